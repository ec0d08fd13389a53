/* Pool buffers reached through a helper's return value, a void * token
 * kept in a driver ring, and a parameter; one site per line in flow.res.
 */
struct rx_ring {
	struct page_pool *page_pool;
	void **tokens;
	void *scratch;
};

static struct page *rx_get(struct rx_ring *ring)
{
	return page_pool_dev_alloc_pages(ring->page_pool);
}

static void rx_frame(struct rx_ring *ring, struct page *page, int len)
{
	memcpy(ring->scratch, page_address(page), len);
}

static void rx_fill(struct rx_ring *ring, int i)
{
	struct page *page = rx_get(ring);

	if (!page)
		return;
	ring->tokens[i] = page;
	page_ref_inc(page);
}

static void rx_poll(struct rx_ring *ring, int i, int len)
{
	void *token = ring->tokens[i];

	rx_frame(ring, token, len);
	ring->tokens[i] = NULL;
}

/* Not pool buffers: the same calls on other memory say nothing. */
static void rx_other(struct rx_ring *ring, int len)
{
	struct page *page = alloc_page(GFP_KERNEL);
	void *buf = kmalloc(len, GFP_KERNEL);

	memcpy(buf, page_address(page), len);
	put_page(page);
	kfree(buf);
}
