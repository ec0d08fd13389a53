/* Parameters of static functions that only hand the buffer to page_pool
 * become netmem_ref; their callers pass a converted local as it is,
 * anything else through page_to_netmem().
 */
static void rx_put(struct rx_ring *ring, struct page *page, bool napi)
{
	if (!page)
		return;
	page_pool_put_full_page(ring->page_pool, page, napi);
}

/* Forwards to another converted parameter: converts too. */
static void rx_drop(struct rx_ring *ring, struct page *page)
{
	ring->stats.drops++;
	rx_put(ring, page, true);
}

static dma_addr_t rx_dma(struct page *page, unsigned int off)
{
	return page_pool_get_dma_addr(page) + off;
}

static int rx_refill(struct rx_ring *ring, struct rx_desc *desc)
{
	struct page *page;

	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (!page)
		return -ENOMEM;
	desc->addr = cpu_to_le64(rx_dma(page, ring->headroom));
	rx_drop(ring, page);
	return 0;
}

static void rx_clean(struct rx_ring *ring, struct rx_buf *buf)
{
	void *data = page_address(buf->page);

	prefetch(data);
	rx_put(ring, buf->page, false);
	rx_put(ring, NULL, false);
}
