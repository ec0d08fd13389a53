/* A local called "netmem" exists already: the converted local keeps its
 * name.
 */
static int rx_two(struct rx_ring *ring, netmem_ref netmem)
{
	struct page *page;

	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (!page)
		return -ENOMEM;
	page_pool_recycle_direct(ring->page_pool, page);
	return netmem ? 1 : 0;
}
