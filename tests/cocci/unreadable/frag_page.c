/* skb_frag_page() reaching a CPU access, directly or through a local. */

static void *direct(const skb_frag_t *f)
{
	return kmap_atomic(skb_frag_page(f)) + skb_frag_off(f);
}

static void through_local(struct sk_buff *skb, struct scatterlist *sg)
{
	skb_frag_t *f = &skb_shinfo(skb)->frags[0];
	struct page *page = skb_frag_page(f) + (skb_frag_off(f) >> PAGE_SHIFT);

	sg_set_page(sg, page, skb_frag_size(f), 0);
}

static int assigned(struct sk_buff *skb, struct iov_iter *to)
{
	struct page *page;

	page = netmem_to_page(skb_frag_netmem(&skb_shinfo(skb)->frags[0]));
	return copy_page_to_iter(page, 0, 1, to);
}

static int sent(struct socket *sock, skb_frag_t *frag)
{
	return sock->ops->sendpage(sock, skb_frag_page(frag), 0, 1, 0);
}

static void *netmem(skb_frag_t *frag)
{
	return netmem_address(skb_frag_netmem(frag));
}

static void loop(skb_frag_t *f, u8 *to)
{
	struct page *p;
	u32 p_off, p_len, copied;

	skb_frag_foreach_page(f, skb_frag_off(f), skb_frag_size(f),
			      p, p_off, p_len, copied) {
		u8 *vaddr = kmap_local_page(p);

		memcpy(to + copied, vaddr + p_off, p_len);
		kunmap_local(vaddr);
	}
}

/* Into an array of pages: a pipe, or a user mapping. */
static void mapped(skb_frag_t *frag, struct page **pages, int *n)
{
	struct page *page = skb_frag_page(frag);

	pages[(*n)++] = page;
}

/* Not reads: reference counts, DMA, comparisons. */
static void not_read(struct sk_buff *skb, skb_frag_t *f, struct page *mine)
{
	struct page *page = skb_frag_page(f);

	page_ref_inc(skb_frag_page(f));
	dma_map_page(dev, page, 0, 1, DMA_TO_DEVICE);
	if (skb_frag_page(f) == mine)
		put_page(page);
}
