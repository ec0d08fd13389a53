/* Must NOT be converted: the CPU reads the buffer (page_address, XDP,
 * build_skb), which a net_iov does not allow.
 */
static struct sk_buff *rx_build(struct rx_ring *ring, unsigned int len)
{
	struct page *page;
	struct sk_buff *skb;
	void *va;

	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (!page)
		return NULL;
	va = page_address(page);
	skb = build_skb(va, PAGE_SIZE);
	if (!skb)
		page_pool_recycle_direct(ring->page_pool, page);
	return skb;
}
