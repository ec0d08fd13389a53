/* put / put_full / recycle_direct of a buffer that never leaves the
 * function: all three have netmem counterparts.
 */
static int rx_check_buf(struct rx_ring *ring, int mode)
{
	struct page *page;
	dma_addr_t dma;

	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (!page)
		return -ENOMEM;

	dma = page_pool_get_dma_addr(page);
	if (mode == 0)
		page_pool_put_page(ring->page_pool, page, ring->buf_size, true);
	else if (mode == 1)
		page_pool_put_full_page(ring->page_pool, page, false);
	else
		page_pool_recycle_direct(ring->page_pool, page);
	return dma ? 0 : -EIO;
}
