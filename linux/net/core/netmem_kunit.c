// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for netmem: the netmem_ref helpers, and skb fragments that
 * mix pages and net_iovs through the paths that copy, share and free them.
 *
 * The net_iovs come from a small area made by the test and handed to a
 * page_pool by hand, the way a memory provider would. One handed out in an
 * skb counts as held by the pool, so the pool stays alive while an skb
 * holds it, and page_pool_destroy() takes it back from the ring.
 */

#include <kunit/test.h>
#include <linux/skbuff.h>
#include <net/netmem.h>
#include <net/page_pool.h>

#define NETMEM_KUNIT_NIOVS	4

struct netmem_kunit_ctx {
	struct page_pool *pool;
	struct net_iov_area area;
	struct net_iov niovs[NETMEM_KUNIT_NIOVS];
};

static int netmem_kunit_init(struct kunit *test)
{
	struct page_pool_params pp = {
		.pool_size = 64,
		.nid = NUMA_NO_NODE,
	};
	struct netmem_kunit_ctx *ctx;
	int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->pool = page_pool_create(&pp);
	if (IS_ERR(ctx->pool))
		return PTR_ERR(ctx->pool);

	ctx->area.niovs = ctx->niovs;
	ctx->area.num_niovs = NETMEM_KUNIT_NIOVS;
	ctx->area.base_virtual = 0x100000;
	for (i = 0; i < NETMEM_KUNIT_NIOVS; i++) {
		struct net_iov *niov = &ctx->niovs[i];

		niov->owner = &ctx->area;
		niov->pp = ctx->pool;
		niov->pp_magic = PP_SIGNATURE;
		atomic_long_set(&niov->pp_ref_count, 1);
	}
	test->priv = ctx;
	return 0;
}

static void netmem_kunit_exit(struct kunit *test)
{
	struct netmem_kunit_ctx *ctx = test->priv;

	page_pool_destroy(ctx->pool);
}

static netmem_ref netmem_kunit_ring_consume(struct page_pool *pool)
{
	return (__force netmem_ref)ptr_ring_consume_bh(&pool->ring);
}

/* Count what came back to the pool's ring since the last call: pages leave
 * the pool for the page allocator, net_iovs go back into the ring, where
 * page_pool_destroy() finds them.
 */
static int netmem_kunit_drain_niovs(struct netmem_kunit_ctx *ctx,
				    int *pages)
{
	netmem_ref niovs[NETMEM_KUNIT_NIOVS];
	netmem_ref netmem;
	int n = 0, i;

	*pages = 0;
	while ((netmem = netmem_kunit_ring_consume(ctx->pool))) {
		if (netmem_is_net_iov(netmem)) {
			if (!WARN_ON(n == NETMEM_KUNIT_NIOVS))
				niovs[n++] = netmem;
			continue;
		}
		(*pages)++;
		page_pool_release_page(ctx->pool, netmem_to_page(netmem));
		put_page(netmem_to_page(netmem));
	}
	for (i = 0; i < n; i++)
		page_pool_put_full_netmem(ctx->pool, niovs[i], false);
	return n;
}

static void netmem_test_page_round_trip(struct kunit *test)
{
	struct netmem_kunit_ctx *ctx = test->priv;
	struct page *page = page_pool_dev_alloc_pages(ctx->pool);
	netmem_ref netmem;

	KUNIT_ASSERT_NOT_NULL(test, page);
	netmem = page_to_netmem(page);
	KUNIT_EXPECT_FALSE(test, netmem_is_net_iov(netmem));
	KUNIT_EXPECT_PTR_EQ(test, netmem_to_page(netmem), page);
	KUNIT_EXPECT_PTR_EQ(test, netmem_get_pp(netmem), ctx->pool);
	KUNIT_EXPECT_EQ(test, netmem_get_pp_magic(netmem) & ~0x3UL,
			PP_SIGNATURE);
	KUNIT_EXPECT_PTR_EQ(test, netmem_address(netmem), page_address(page));
	KUNIT_EXPECT_EQ(test, netmem_nid(netmem), page_to_nid(page));
	KUNIT_EXPECT_EQ(test, netmem_is_pfmemalloc(netmem),
			page_is_pfmemalloc(page));
	KUNIT_EXPECT_TRUE(test, netmem_compound_head(netmem) == netmem);
	page_pool_put_full_page(ctx->pool, page, false);
}

static void netmem_test_net_iov_round_trip(struct kunit *test)
{
	struct netmem_kunit_ctx *ctx = test->priv;
	struct net_iov *niov = &ctx->niovs[2];
	netmem_ref netmem = net_iov_to_netmem(niov);

	KUNIT_EXPECT_TRUE(test, netmem_is_net_iov(netmem));
	KUNIT_EXPECT_EQ(test, (__force unsigned long)netmem & NET_IOV, NET_IOV);
	KUNIT_EXPECT_PTR_EQ(test, netmem_to_net_iov(netmem), niov);
	KUNIT_EXPECT_PTR_EQ(test, netmem_get_pp(netmem), ctx->pool);
	KUNIT_EXPECT_PTR_EQ(test, net_iov_owner(niov), &ctx->area);
	KUNIT_EXPECT_EQ(test, net_iov_idx(niov), 2U);
	KUNIT_EXPECT_EQ(test, net_iov_virtual_addr(niov),
			0x100000UL + 2 * PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, netmem_address(netmem));
	KUNIT_EXPECT_FALSE(test, netmem_is_pfmemalloc(netmem));
	KUNIT_EXPECT_EQ(test, netmem_nid(netmem), NUMA_NO_NODE);
	KUNIT_EXPECT_TRUE(test, netmem_compound_head(netmem) == netmem);

	niov->dma_addr = 0xabc000;
	KUNIT_EXPECT_EQ(test, page_pool_get_dma_addr_netmem(netmem),
			(dma_addr_t)0xabc000);
}

/* A net_iov has no page: asking for one warns once and yields NULL. The
 * harness checks that the warning fires between the two markers, and
 * ignores it there.
 */
static void netmem_test_net_iov_has_no_page(struct kunit *test)
{
	struct netmem_kunit_ctx *ctx = test->priv;
	netmem_ref netmem = net_iov_to_netmem(&ctx->niovs[0]);
	struct page *page;

	pr_info("NETMEM_EXPECT_SPLAT_BEGIN netmem_to_page on a net_iov\n");
	page = netmem_to_page(netmem);
	pr_info("NETMEM_EXPECT_SPLAT_END\n");
	KUNIT_EXPECT_NULL(test, page);
}

static void netmem_test_frag_layout(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);
	skb_frag_t frag;
	struct bio_vec *bv = (struct bio_vec *)&frag;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, sizeof(skb_frag_t), 16);
	skb_frag_fill_page_desc(&frag, page, 12, 345);
	KUNIT_EXPECT_PTR_EQ(test, bv->bv_page, page);
	KUNIT_EXPECT_EQ(test, bv->bv_offset, 12U);
	KUNIT_EXPECT_EQ(test, bv->bv_len, 345U);
	KUNIT_EXPECT_PTR_EQ(test, skb_frag_page(&frag), page);
	__free_page(page);
}

/* Free @skb and check what came back to the pool because of it. */
static void netmem_kunit_free_expect(struct kunit *test, struct sk_buff *skb,
				     int want_niovs, int want_pages)
{
	int pages;

	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, netmem_kunit_drain_niovs(test->priv, &pages),
			want_niovs);
	KUNIT_EXPECT_EQ(test, pages, want_pages);
}

static struct sk_buff *netmem_kunit_mixed_skb(struct kunit *test,
					      struct page **page,
					      struct net_iov **niov)
{
	struct netmem_kunit_ctx *ctx = test->priv;
	struct sk_buff *skb;

	skb = alloc_skb(256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	*page = page_pool_dev_alloc_pages(ctx->pool);
	KUNIT_ASSERT_NOT_NULL(test, *page);
	*niov = &ctx->niovs[1];
	/* As the pool's allocation path does for what it hands out. */
	ctx->pool->pages_state_hold_cnt++;

	skb_put(skb, 64);
	skb_add_rx_frag(skb, 0, *page, 100, 1000, PAGE_SIZE);
	skb_add_rx_frag_netmem(skb, 1, net_iov_to_netmem(*niov), 0, 4000,
			       PAGE_SIZE);
	skb_mark_for_recycle(skb);
	return skb;
}

static void netmem_test_add_rx_frag(struct kunit *test)
{
	unsigned int truesize;
	struct sk_buff *skb;
	struct net_iov *niov;
	struct page *page;
	skb_frag_t *frag;

	skb = alloc_skb(256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	truesize = skb->truesize;
	kfree_skb(skb);

	skb = netmem_kunit_mixed_skb(test, &page, &niov);
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->nr_frags, 2);
	KUNIT_EXPECT_EQ(test, skb->len, 64U + 1000 + 4000);
	KUNIT_EXPECT_EQ(test, skb->data_len, 1000U + 4000);
	KUNIT_EXPECT_EQ(test, skb->truesize, truesize + 2 * PAGE_SIZE);

	frag = &skb_shinfo(skb)->frags[0];
	KUNIT_EXPECT_FALSE(test, skb_frag_is_net_iov(frag));
	KUNIT_EXPECT_PTR_EQ(test, skb_frag_page(frag), page);
	KUNIT_EXPECT_EQ(test, skb_frag_off(frag), 100U);
	KUNIT_EXPECT_EQ(test, skb_frag_size(frag), 1000U);
	KUNIT_EXPECT_PTR_EQ(test, skb_frag_address(frag),
			    page_address(page) + 100);

	frag = &skb_shinfo(skb)->frags[1];
	KUNIT_EXPECT_TRUE(test, skb_frag_is_net_iov(frag));
	KUNIT_EXPECT_TRUE(test, skb_frag_netmem(frag) ==
			  net_iov_to_netmem(niov));
	KUNIT_EXPECT_NULL(test, skb_frag_page(frag));
	KUNIT_EXPECT_NULL(test, skb_frag_address(frag));
	KUNIT_EXPECT_NULL(test, skb_frag_address_safe(frag));
	KUNIT_EXPECT_EQ(test, skb_frag_size(frag), 4000U);

	/* Freeing returns both frags to the pool, each by its own kind. */
	netmem_kunit_free_expect(test, skb, 1, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&niov->pp_ref_count), 1);
}

/* A clone shares the frags: only the last of the two returns them. */
static void netmem_test_clone(struct kunit *test)
{
	struct sk_buff *skb, *clone;
	struct net_iov *niov;
	struct page *page;

	skb = netmem_kunit_mixed_skb(test, &page, &niov);
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	KUNIT_EXPECT_TRUE(test, clone->pp_recycle);
	KUNIT_EXPECT_TRUE(test, skb_frag_is_net_iov(&skb_shinfo(clone)->frags[1]));

	netmem_kunit_free_expect(test, skb, 0, 0);
	netmem_kunit_free_expect(test, clone, 1, 1);
}

/* Expanding a clone's head gives it its own frag array, with a reference
 * on every frag: a net_iov counts it in pp_ref_count, a page in its
 * refcount. Each skb then drops its own reference.
 */
static void netmem_test_pskb_expand_head(struct kunit *test)
{
	struct sk_buff *skb, *clone;
	struct net_iov *niov;
	struct page *page;

	skb = netmem_kunit_mixed_skb(test, &page, &niov);
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	KUNIT_ASSERT_EQ(test, pskb_expand_head(clone, 0, 0, GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, skb_shinfo(clone) != skb_shinfo(skb));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&niov->pp_ref_count), 2);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);

	/* The page is shared, so the pool lets go of it; the net_iov stays
	 * with its last holder.
	 */
	netmem_kunit_free_expect(test, skb, 0, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&niov->pp_ref_count), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);

	netmem_kunit_free_expect(test, clone, 1, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&niov->pp_ref_count), 1);
}

/* pskb_copy() shares the frags with a new skb not marked pp_recycle: the
 * page goes back by refcount, the net_iov to its pool regardless.
 */
static void netmem_test_pskb_copy(struct kunit *test)
{
	struct sk_buff *skb, *copy;
	struct net_iov *niov;
	struct page *page;

	skb = netmem_kunit_mixed_skb(test, &page, &niov);
	copy = pskb_copy(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	KUNIT_EXPECT_FALSE(test, copy->pp_recycle);
	KUNIT_EXPECT_EQ(test, skb_shinfo(copy)->nr_frags, 2);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&niov->pp_ref_count), 2);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);

	netmem_kunit_free_expect(test, copy, 0, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&niov->pp_ref_count), 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);

	netmem_kunit_free_expect(test, skb, 1, 1);
}

/* skb_split() in the middle of a frag leaves both skbs a reference. */
static void netmem_test_skb_split(struct kunit *test)
{
	struct sk_buff *skb, *tail;
	struct net_iov *niov;
	struct page *page;

	skb = netmem_kunit_mixed_skb(test, &page, &niov);
	tail = alloc_skb(0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tail);
	skb_mark_for_recycle(tail);

	/* Split 1000 bytes into the net_iov frag. */
	skb_split(skb, tail, 64 + 1000 + 1000);
	KUNIT_EXPECT_EQ(test, skb->len, 64U + 2000);
	KUNIT_EXPECT_EQ(test, tail->len, 3000U);
	KUNIT_EXPECT_TRUE(test, skb_frag_netmem(&skb_shinfo(tail)->frags[0]) ==
			  net_iov_to_netmem(niov));
	KUNIT_EXPECT_EQ(test, skb_frag_off(&skb_shinfo(tail)->frags[0]), 1000U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&niov->pp_ref_count), 2);

	netmem_kunit_free_expect(test, skb, 0, 1);
	netmem_kunit_free_expect(test, tail, 1, 0);
}

static struct kunit_case netmem_test_cases[] = {
	KUNIT_CASE(netmem_test_page_round_trip),
	KUNIT_CASE(netmem_test_net_iov_round_trip),
	KUNIT_CASE(netmem_test_net_iov_has_no_page),
	KUNIT_CASE(netmem_test_frag_layout),
	{}
};

static struct kunit_suite netmem_test_suite = {
	.name = "netmem",
	.init = netmem_kunit_init,
	.exit = netmem_kunit_exit,
	.test_cases = netmem_test_cases,
};

/* Only the same buffer continues a frag: two net_iovs share no page. */
static void netmem_test_coalesce(struct kunit *test)
{
	struct netmem_kunit_ctx *ctx = test->priv;
	netmem_ref a = net_iov_to_netmem(&ctx->niovs[1]);
	netmem_ref b = net_iov_to_netmem(&ctx->niovs[2]);
	struct sk_buff *skb;

	skb = alloc_skb(0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_fill_netmem_desc(skb, 0, a, 0, 100);
	KUNIT_EXPECT_TRUE(test, skb_can_coalesce_netmem(skb, 1, a, 100));
	KUNIT_EXPECT_FALSE(test, skb_can_coalesce_netmem(skb, 1, a, 99));
	KUNIT_EXPECT_FALSE(test, skb_can_coalesce_netmem(skb, 1, b, 100));
	/* The frag holds no reference of ours: do not let the free drop one. */
	skb_shinfo(skb)->nr_frags = 0;
	kfree_skb(skb);
}

static struct kunit_case skb_netmem_test_cases[] = {
	KUNIT_CASE(netmem_test_add_rx_frag),
	KUNIT_CASE(netmem_test_clone),
	KUNIT_CASE(netmem_test_pskb_expand_head),
	KUNIT_CASE(netmem_test_pskb_copy),
	KUNIT_CASE(netmem_test_skb_split),
	KUNIT_CASE(netmem_test_coalesce),
	{}
};

static struct kunit_suite skb_netmem_test_suite = {
	.name = "skb_netmem",
	.init = netmem_kunit_init,
	.exit = netmem_kunit_exit,
	.test_cases = skb_netmem_test_cases,
};

kunit_test_suites(&netmem_test_suite, &skb_netmem_test_suite);

MODULE_DESCRIPTION("KUnit tests for netmem and skb frags of either kind");
MODULE_LICENSE("GPL");
