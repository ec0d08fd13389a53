/* Must NOT be converted: a field read by the CPU, a field whose name
 * another struct also uses through an untyped expression, a field
 * declared in a list, and a field set in a designated initializer.
 */
struct rx_read {
	struct page *page;
};

struct rx_named {
	struct page *buf;
};

struct rx_list {
	struct page *a, *b;
};

static void rx_read_one(struct rx_ring *ring, struct rx_read *r)
{
	r->page = page_pool_dev_alloc_pages(ring->page_pool);
	prefetch(page_address(r->page));
	page_pool_recycle_direct(ring->page_pool, r->page);
}

static void rx_named_one(struct rx_ring *ring, struct rx_named *n)
{
	n->buf = page_pool_dev_alloc_pages(ring->page_pool);
	page_pool_recycle_direct(ring->page_pool, n->buf);
	page_pool_recycle_direct(ring->page_pool, ring->other[0].buf);
}

static void rx_list_one(struct rx_ring *ring, struct rx_list *l)
{
	l->a = page_pool_dev_alloc_pages(ring->page_pool);
	page_pool_recycle_direct(ring->page_pool, l->a);
}

struct rx_init {
	struct page *pg;
};

static void rx_init_one(struct rx_ring *ring, struct page *spare)
{
	struct rx_init in = { .pg = spare };

	in.pg = page_pool_dev_alloc_pages(ring->page_pool);
	page_pool_recycle_direct(ring->page_pool, in.pg);
}
