/* A frag's page handed on: into another skb as a page frag, or to a
 * sendpage through a function pointer.
 */

static void regroup(struct sk_buff *nskb, struct sk_buff *skb, int i)
{
	skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

	skb_add_rx_frag(nskb, 0, skb_frag_page(frag), skb_frag_off(frag),
			skb_frag_size(frag), skb->truesize);
}

static void regroup_local(struct sk_buff *nskb, skb_frag_t *frag)
{
	struct page *page;

	page = skb_frag_page(frag);
	get_page(page);
	skb_fill_page_desc(nskb, 0, page, skb_frag_off(frag),
			   skb_frag_size(frag));
}

static int send_frag(struct sock *sk, skb_frag_t *frag,
		     int (*sendpage)(struct sock *sk, struct page *page,
				     int offset, size_t size, int flags))
{
	int ret;

	ret = INDIRECT_CALL_2(sendpage, kernel_sendpage_locked,
			      sendpage_unlocked, sk, skb_frag_page(frag),
			      skb_frag_off(frag), skb_frag_size(frag), 0);
	return ret ? : sendpage(sk, skb_frag_page(frag), 0, 1, 0);
}

/* Moving the frag descriptor itself keeps a net_iov a net_iov. */
static void keep(struct sk_buff *nskb, struct sk_buff *skb)
{
	skb_shinfo(nskb)->frags[0] = skb_shinfo(skb)->frags[0];
	__skb_frag_ref(&skb_shinfo(nskb)->frags[0]);
	skb_add_rx_frag_netmem(nskb, 1, skb_frag_netmem(&skb_shinfo(skb)->frags[1]),
			       0, 1, 1);
}
