/* Must NOT be converted: parameters used as pages, of functions with a
 * prototype, a function pointer or external linkage.
 */
static void rx_proto(struct rx_ring *ring, struct page *page);

static void rx_proto(struct rx_ring *ring, struct page *page)
{
	page_pool_recycle_direct(ring->page_pool, page);
}

static void rx_ptr(struct rx_ring *ring, struct page *page)
{
	page_pool_recycle_direct(ring->page_pool, page);
}

void rx_extern(struct rx_ring *ring, struct page *page)
{
	page_pool_recycle_direct(ring->page_pool, page);
}

static void *rx_payload(struct rx_ring *ring, struct page *page)
{
	page_pool_dma_sync_for_cpu(ring->page_pool, page, 0, 64);
	return page_address(page);
}

/* The local is handed to a page parameter: it stays a page too. */
static int rx_poll(struct rx_ring *ring)
{
	struct page *page;

	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (!page)
		return -ENOMEM;
	ring->cb = rx_ptr;
	rx_proto(ring, page);
	return rx_payload(ring, page) != NULL;
}
