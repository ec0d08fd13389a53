/* Copies out of an skb whose failure is a BUG or a WARN, or is ignored. */

static void bug_if(struct sk_buff *skb, u8 *to)
{
	if (skb_copy_bits(skb, 0, to, 4))
		BUG();
	if (skb_store_bits(skb, 0, to, 4) < 0) {
		pr_err("short skb\n");
		BUG();
	}
}

static void bug_on(struct sk_buff *skb, u8 *to)
{
	BUG_ON(skb_copy_bits(skb, -2, to, skb->len + 2));
	WARN_ON_ONCE(skb_copy_bits(skb, 0, to, skb->len));
	if (WARN_ON(!skb_header_pointer(skb, 0, 4, to)))
		return;
}

static int through_result(struct sk_buff *skb, u8 *to)
{
	const struct iphdr *iph;
	int err;

	err = skb_copy_bits(skb, 0, to, 2);
	BUG_ON(err);
	iph = skb_header_pointer(skb, 0, sizeof(*iph), to);
	if (WARN_ON_ONCE(!iph))
		return -EINVAL;
	return 0;
}

static void ignored(struct sk_buff *skb, u8 *to)
{
	skb_copy_bits(skb, 0, to, 4);
	(void)skb_store_bits(skb, 0, to, 4);
}

/* Handled: the caller drops, or the result is used. */
static int handled(struct sk_buff *skb, u8 *to)
{
	int err;

	if (skb_copy_bits(skb, 0, to, 4))
		return -EFAULT;
	err = skb_store_bits(skb, 0, to, 4);
	if (err)
		goto drop;
	if (!skb_header_pointer(skb, 0, 4, to))
		return -EINVAL;
	return skb_checksum(skb, 0, skb->len, 0);
drop:
	kfree_skb(skb);
	return err;
}

/* The same names for other things. */
static void other(struct sk_buff *skb, u8 *to)
{
	BUG_ON(!skb);
	WARN_ON(skb_copy_ubufs(skb, GFP_ATOMIC));
	skb_copy_from_linear_data(skb, to, 4);
}
