/* One site per reason; reasons.res holds the report lines, sorted. */
struct rx_page_cache {
	u32 head;
	struct page *page_cache[64];
};

static struct sk_buff *rx_one(struct rx_ring *ring, struct rx_buf *buf,
			      void *data, unsigned int len)
{
	struct page *page = buf->page;
	struct sk_buff *skb;
	struct xdp_buff xdp;

	page_pool_dma_sync_for_cpu(ring->page_pool, page, 0, len);
	xdp_prepare_buff(&xdp, page_address(buf->page), 0, len, false);
	skb = build_skb(page_address(page), PAGE_SIZE);
	page_ref_inc(page);
	put_page(virt_to_head_page(data));
	page_pool_release_page(ring->page_pool, page);
	put_page(page);
	return skb;
}

static void rx_free(struct rx_ring *ring, struct rx_buf *buf)
{
	page_pool_put_full_page(ring->page_pool, buf->page, false);
}

static int rx_fill(struct rx_ring *ring, struct rx_buf *buf)
{
	struct page *page;

	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (!page)
		return -ENOMEM;
	buf->page = page;
	rx_desc_fill(ring, page, page_pool_get_dma_addr(page));
	return 0;
}
