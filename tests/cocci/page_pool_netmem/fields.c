/* Fields that share the local's name are not the local: they keep
 * their name.
 */
static int rx_refill(struct rx_ring *ring)
{
	struct page *page;

	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (!page)
		return -ENOMEM;
	ring->stats.page++;
	ring->last.page = NULL;
	page_pool_recycle_direct(ring->page_pool, page);
	return 0;
}
