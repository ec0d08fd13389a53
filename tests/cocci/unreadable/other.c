/* Frag addresses and sequential reads: every call is a site. */

static u8 first_byte(struct sk_buff *skb)
{
	u8 *va = skb_frag_address(&skb_shinfo(skb)->frags[0]);

	return va ? *va : 0;
}

static void *safe(const skb_frag_t *frag)
{
	return skb_frag_address_safe(frag);
}

static unsigned int scan(struct sk_buff *skb, struct ts_config *conf)
{
	struct skb_seq_state st;
	const u8 *data;
	unsigned int n = 0, len;

	skb_prepare_seq_read(skb, 0, skb->len, &st);
	while ((len = skb_seq_read(n, &data, &st)) != 0)
		n += len;
	return skb_find_text(skb, 0, skb->len, conf) + n;
}

/* A guard in front does not hide the site: the list says it is guarded. */
static u8 *guarded(struct sk_buff *skb)
{
	if (!skb_frags_readable(skb))
		return NULL;
	return skb_frag_address(&skb_shinfo(skb)->frags[0]);
}
