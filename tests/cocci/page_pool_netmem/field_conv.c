/* A field of a struct of this file that only carries pool buffers, every
 * access typed as that struct: the field and its calls convert, and so
 * does a local copied to and from it.
 */
struct rx_slot {
	struct page *page;
	struct page *spare;
	u32 len;
};

static int rx_slot_fill(struct rx_ring *ring, struct rx_slot *slot)
{
	struct page *page;

	if (slot->spare) {
		page = slot->spare;
		slot->spare = NULL;
	} else {
		page = page_pool_dev_alloc_pages(ring->page_pool);
		if (!page)
			return -ENOMEM;
	}
	slot->page = page;
	ring->desc->addr = page_pool_get_dma_addr(slot->page);
	return 0;
}

static void rx_slot_free(struct rx_ring *ring, struct rx_slot *slot)
{
	struct rx_slot copy = *slot;

	if (copy.page)
		page_pool_put_full_page(ring->page_pool, copy.page, false);
	if (slot->spare)
		page_pool_recycle_direct(ring->page_pool, slot->spare);
	slot->page = NULL;
}

static void rx_slot_frag(struct rx_ring *ring, struct rx_slot *slot,
			 struct sk_buff *skb)
{
	skb_add_rx_frag(skb, 0, slot->page, 0, slot->len, PAGE_SIZE);
	slot->page = NULL;
}
