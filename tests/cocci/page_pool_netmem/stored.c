/* Must NOT be converted: the buffer is stored in a struct page * field and
 * handed to a driver function, both of which stay pages.
 */
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
