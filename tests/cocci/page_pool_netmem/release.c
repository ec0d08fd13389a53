/* Must NOT be converted: page_pool_release_page() turns the buffer into a
 * plain page that the stack frees with put_page(); so is a local shared in
 * a declaration list, and a parameter of a function other files may call.
 */
void rx_release(struct rx_ring *ring, struct page *param)
{
	struct page *page;
	struct page *a, *b;

	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (!page)
		return;
	page_pool_release_page(ring->page_pool, page);

	a = page_pool_dev_alloc_pages(ring->page_pool);
	b = NULL;
	if (a)
		page_pool_recycle_direct(ring->page_pool, a);
	page_pool_put_full_page(ring->page_pool, param, false);
}
