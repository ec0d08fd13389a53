/* dma sync and skb_add_rx_frag with a pool buffer; the name "netmem" is
 * free, so the local is renamed.
 */
static struct sk_buff *rx_frag_skb(struct rx_ring *ring, unsigned int len)
{
	struct sk_buff *skb;
	struct page *page;

	skb = napi_alloc_skb(&ring->napi, RX_HDR_SIZE);
	if (!skb)
		return NULL;
	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (page) {
		page_pool_dma_sync_for_cpu(ring->page_pool, page, 0, len);
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, 0, len,
				PAGE_SIZE);
		skb_mark_for_recycle(skb);
	}
	return skb;
}
