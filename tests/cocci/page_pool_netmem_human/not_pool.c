/* Must NOT be reported: none of these pages comes from a page_pool. */
struct tx_ring {
	struct page *tx_pages[64];
};

static void *tx_map(struct tx_ring *ring, struct sk_buff *skb)
{
	struct page *page = alloc_page(GFP_ATOMIC);

	if (!page)
		return NULL;
	get_page(page);
	put_page(page);
	return page_address(page) + skb_headroom(skb);
}
