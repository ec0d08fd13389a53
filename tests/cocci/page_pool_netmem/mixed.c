/* A file whose field and parameter stay pages still has its convertible
 * local converted: a rejected candidate stops nothing else.
 */
struct rx_info {
	struct page *page;
};

void rx_info_put(struct rx_ring *ring, struct page *page)
{
	page_pool_put_full_page(ring->page_pool, page, false);
}

static void *rx_info_read(struct rx_info *info)
{
	return page_address(info->page);
}

static int rx_info_fill(struct rx_ring *ring, struct sk_buff *skb)
{
	struct page *page;

	page = page_pool_dev_alloc_pages(ring->page_pool);
	if (!page)
		return -ENOMEM;
	skb_add_rx_frag(skb, 0, page, 0, ring->len, PAGE_SIZE);
	return 0;
}
