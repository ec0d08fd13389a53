/* Fragment allocation and the DMA address getter. */
static int rx_alloc_frag(struct rx_ring *ring, dma_addr_t *dma, bool napi)
{
	unsigned int offset = 0;
	struct page *page;

	if (napi)
		page = page_pool_dev_alloc_frag(ring->page_pool, &offset,
						ring->buf_size);
	else
		page = page_pool_alloc_frag(ring->page_pool, &offset,
					    ring->buf_size, GFP_KERNEL);
	if (!page)
		return -ENOMEM;

	*dma = page_pool_get_dma_addr(page) + offset;
	return 0;
}
