/* Allocation: page_pool_{,dev_}alloc_pages, NULL tests and resets. */
static int rx_refill(struct rx_ring *ring, struct rx_desc *desc, gfp_t gfp)
{
	struct page *page = NULL;

	if (ring->atomic)
		page = page_pool_dev_alloc_pages(ring->page_pool);
	else
		page = page_pool_alloc_pages(ring->page_pool,
					     gfp | __GFP_NOWARN | __GFP_ZERO);
	if (unlikely(page == NULL))
		return -ENOMEM;
	desc->addr = cpu_to_le64(page_pool_get_dma_addr(page));
	page = NULL;
	return 0;
}
