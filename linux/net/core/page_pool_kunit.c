// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the page_pool page path: fast-path recycling into the
 * lockless cache, recycling through the ptr_ring, release to the page
 * allocator, page fragments, stats, and destroying a pool while pages are
 * still in flight.
 *
 * Every pool made here is destroyed by the test's exit hook, which waits
 * for the pool to be freed and checks that no page was left in flight.
 */

#include <kunit/test.h>
#include <linux/bottom_half.h>
#include <linux/completion.h>
#include <linux/mm.h>
#include <net/page_pool.h>

struct page_pool_kunit_ctx {
	struct page_pool *pool;
	struct completion freed;
	s32 inflight_at_free;
};

/* page_pool_free() calls ->disconnect with no argument of ours: tests run
 * one at a time, so the live context is found through this pointer.
 */
static struct page_pool_kunit_ctx *page_pool_kunit_cur;

static s32 page_pool_kunit_inflight(const struct page_pool *pool)
{
	return (s32)(READ_ONCE(pool->pages_state_hold_cnt) -
		     atomic_read(&pool->pages_state_release_cnt));
}

static void page_pool_kunit_disconnect(void *arg)
{
	struct page_pool_kunit_ctx *ctx = page_pool_kunit_cur;

	ctx->inflight_at_free = page_pool_kunit_inflight(arg);
	complete(&ctx->freed);
}

static struct page_pool *page_pool_kunit_create(struct kunit *test,
						unsigned int flags,
						unsigned int pool_size)
{
	struct page_pool_kunit_ctx *ctx = test->priv;
	struct page_pool_params pp = {
		.flags = flags,
		.pool_size = pool_size,
		.nid = NUMA_NO_NODE,
	};
	struct page_pool *pool;

	pool = page_pool_create(&pp);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(pool));
	pool->disconnect = page_pool_kunit_disconnect;
	ctx->pool = pool;
	return pool;
}

/* Destroy the pool and wait until it is really freed; returns false if it
 * was not freed within a few deferred-release rounds.
 */
static bool page_pool_kunit_destroy(struct page_pool_kunit_ctx *ctx)
{
	struct page_pool *pool = ctx->pool;

	ctx->pool = NULL;
	page_pool_destroy(pool);
	return wait_for_completion_timeout(&ctx->freed, 10 * HZ);
}

static int page_pool_kunit_init(struct kunit *test)
{
	struct page_pool_kunit_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	init_completion(&ctx->freed);
	ctx->inflight_at_free = -1;
	test->priv = ctx;
	page_pool_kunit_cur = ctx;
	return 0;
}

static void page_pool_kunit_exit(struct kunit *test)
{
	struct page_pool_kunit_ctx *ctx = test->priv;

	if (ctx->pool) {
		KUNIT_EXPECT_TRUE(test, page_pool_kunit_destroy(ctx));
		KUNIT_EXPECT_EQ(test, ctx->inflight_at_free, 0);
	}
	page_pool_kunit_cur = NULL;
}

#ifdef CONFIG_PAGE_POOL_STATS
static struct page_pool_stats page_pool_kunit_stats(struct kunit *test,
						    struct page_pool *pool)
{
	struct page_pool_stats stats = {};

	KUNIT_EXPECT_TRUE(test, page_pool_get_stats(pool, &stats));
	return stats;
}
#endif

/* A page recycled in softirq context goes to the lockless cache and is
 * the very next page handed out.
 */
static void page_pool_test_recycle_direct(struct kunit *test)
{
	struct page_pool *pool = page_pool_kunit_create(test, 0, 64);
	struct page *page, *again;
	unsigned int cached;

	page = page_pool_dev_alloc_pages(pool);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_PTR_EQ(test, page->pp, pool);
	KUNIT_EXPECT_EQ(test, page->pp_magic & ~0x3UL, PP_SIGNATURE);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	KUNIT_EXPECT_GE(test, page_pool_kunit_inflight(pool), 1);

	local_bh_disable();
	cached = pool->alloc.count;
	page_pool_recycle_direct(pool, page);
	KUNIT_EXPECT_EQ(test, pool->alloc.count, cached + 1);
	again = page_pool_dev_alloc_pages(pool);
	local_bh_enable();

	KUNIT_EXPECT_PTR_EQ(test, again, page);
	KUNIT_EXPECT_TRUE(test, __ptr_ring_empty(&pool->ring));
#ifdef CONFIG_PAGE_POOL_STATS
	{
		struct page_pool_stats st = page_pool_kunit_stats(test, pool);

		KUNIT_EXPECT_EQ(test, st.alloc_stats.slow, 1);
		KUNIT_EXPECT_EQ(test, st.alloc_stats.fast, 1);
		KUNIT_EXPECT_EQ(test, st.recycle_stats.cached, 1);
	}
#endif
	page_pool_put_full_page(pool, again, false);
}

/* Outside softirq a put goes through the ptr_ring; once the lockless cache
 * is empty the allocator refills it from there.
 */
static void page_pool_test_ptr_ring_recycle(struct kunit *test)
{
	struct page_pool *pool = page_pool_kunit_create(test, 0, 64);
	struct page *page, *got, **held;
	unsigned int i, n;

	page = page_pool_dev_alloc_pages(pool);
	KUNIT_ASSERT_NOT_NULL(test, page);

	/* Hold every cached page so the next allocation must refill. */
	n = pool->alloc.count;
	held = kunit_kcalloc(test, n, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	for (i = 0; i < n; i++) {
		held[i] = page_pool_dev_alloc_pages(pool);
		KUNIT_ASSERT_NOT_NULL(test, held[i]);
	}
	KUNIT_EXPECT_EQ(test, pool->alloc.count, 0U);

	page_pool_put_full_page(pool, page, false);
	KUNIT_EXPECT_FALSE(test, __ptr_ring_empty(&pool->ring));
	KUNIT_EXPECT_EQ(test, pool->alloc.count, 0U);

	got = page_pool_dev_alloc_pages(pool);
	KUNIT_EXPECT_PTR_EQ(test, got, page);
	KUNIT_EXPECT_TRUE(test, __ptr_ring_empty(&pool->ring));
#ifdef CONFIG_PAGE_POOL_STATS
	{
		struct page_pool_stats st = page_pool_kunit_stats(test, pool);

		KUNIT_EXPECT_EQ(test, st.recycle_stats.ring, 1);
		KUNIT_EXPECT_EQ(test, st.alloc_stats.refill, 1);
		KUNIT_EXPECT_EQ(test, st.alloc_stats.slow, 1);
		KUNIT_EXPECT_EQ(test, st.recycle_stats.cached, 0);
	}
#endif
	page_pool_put_full_page(pool, got, false);
	for (i = 0; i < n; i++)
		page_pool_put_full_page(pool, held[i], false);
}

/* With the ring full, returned pages go back to the page allocator and
 * stop counting as in flight.
 */
static void page_pool_test_ring_full_release(struct kunit *test)
{
	struct page_pool *pool = page_pool_kunit_create(test, 0, 8);
	struct page *pages[20];
	s32 before;
	int i;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = page_pool_dev_alloc_pages(pool);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	before = page_pool_kunit_inflight(pool);
	for (i = 0; i < ARRAY_SIZE(pages); i++)
		page_pool_put_full_page(pool, pages[i], false);

	KUNIT_EXPECT_EQ(test, page_pool_kunit_inflight(pool),
			before - (s32)(ARRAY_SIZE(pages) - 8));
#ifdef CONFIG_PAGE_POOL_STATS
	{
		struct page_pool_stats st = page_pool_kunit_stats(test, pool);

		KUNIT_EXPECT_EQ(test, st.recycle_stats.ring, 8);
		KUNIT_EXPECT_EQ(test, st.recycle_stats.ring_full,
				ARRAY_SIZE(pages) - 8);
	}
#endif
}

/* A page someone else still holds is not recycled: the pool lets go of it
 * and the holder's reference keeps the page alive.
 */
static void page_pool_test_release_elevated_ref(struct kunit *test)
{
	struct page_pool *pool = page_pool_kunit_create(test, 0, 64);
	struct page *page;
	s32 before;

	page = page_pool_dev_alloc_pages(pool);
	KUNIT_ASSERT_NOT_NULL(test, page);
	before = page_pool_kunit_inflight(pool);
	get_page(page);
	page_pool_put_full_page(pool, page, false);

	KUNIT_EXPECT_EQ(test, page_pool_kunit_inflight(pool), before - 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	KUNIT_EXPECT_EQ(test, page->pp_magic, 0UL);
	KUNIT_EXPECT_TRUE(test, __ptr_ring_empty(&pool->ring));
#ifdef CONFIG_PAGE_POOL_STATS
	KUNIT_EXPECT_EQ(test,
			page_pool_kunit_stats(test, pool).recycle_stats.released_refcnt,
			1);
#endif
	put_page(page);
}

/* page_pool_release_page() hands a page over to the caller. */
static void page_pool_test_release_page(struct kunit *test)
{
	struct page_pool *pool = page_pool_kunit_create(test, 0, 64);
	struct page *page;
	s32 before;

	page = page_pool_dev_alloc_pages(pool);
	KUNIT_ASSERT_NOT_NULL(test, page);
	before = page_pool_kunit_inflight(pool);
	page_pool_release_page(pool, page);
	KUNIT_EXPECT_EQ(test, page_pool_kunit_inflight(pool), before - 1);
	KUNIT_EXPECT_EQ(test, page->pp_magic, 0UL);
	put_page(page);
}

/* Fragments share a page until it is full; the page returns to the pool
 * only when its last fragment is put.
 */
static void page_pool_test_frag(struct kunit *test)
{
	struct page_pool *pool = page_pool_kunit_create(test, PP_FLAG_PAGE_FRAG,
							64);
	unsigned int off[3];
	struct page *frag[3];

	frag[0] = page_pool_dev_alloc_frag(pool, &off[0], 1024);
	frag[1] = page_pool_dev_alloc_frag(pool, &off[1], 1024);
	frag[2] = page_pool_dev_alloc_frag(pool, &off[2], PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, frag[0]);
	KUNIT_ASSERT_NOT_NULL(test, frag[1]);
	KUNIT_ASSERT_NOT_NULL(test, frag[2]);

	KUNIT_EXPECT_PTR_EQ(test, frag[0], frag[1]);
	KUNIT_EXPECT_EQ(test, off[0], 0U);
	KUNIT_EXPECT_EQ(test, off[1], 1024U);
	/* A whole page does not fit behind the first two: new page. */
	KUNIT_EXPECT_PTR_NE(test, frag[2], frag[0]);
	KUNIT_EXPECT_EQ(test, off[2], 0U);
	/* The first page was drained down to its two users. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&frag[0]->pp_frag_count), 2);

	page_pool_put_full_page(pool, frag[0], false);
	KUNIT_EXPECT_TRUE(test, __ptr_ring_empty(&pool->ring));
	page_pool_put_full_page(pool, frag[1], false);
	KUNIT_EXPECT_FALSE(test, __ptr_ring_empty(&pool->ring));
	page_pool_put_full_page(pool, frag[2], false);
}

/* Destroying a pool that still has a page out defers the free until the
 * page comes back; then the pool is freed with nothing in flight.
 */
static void page_pool_test_destroy_inflight(struct kunit *test)
{
	struct page_pool_kunit_ctx *ctx = test->priv;
	struct page_pool *pool = page_pool_kunit_create(test, 0, 64);
	struct page *page;

	page = page_pool_dev_alloc_pages(pool);
	KUNIT_ASSERT_NOT_NULL(test, page);

	ctx->pool = NULL;
	page_pool_destroy(pool);
	/* The cache was emptied but our page keeps the pool alive. */
	KUNIT_EXPECT_FALSE(test, completion_done(&ctx->freed));
	KUNIT_EXPECT_EQ(test, page_pool_kunit_inflight(pool), 1);

	page_pool_put_full_page(pool, page, false);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&ctx->freed,
							    10 * HZ));
	KUNIT_EXPECT_EQ(test, ctx->inflight_at_free, 0);
}

static struct kunit_case page_pool_test_cases[] = {
	KUNIT_CASE(page_pool_test_recycle_direct),
	KUNIT_CASE(page_pool_test_ptr_ring_recycle),
	KUNIT_CASE(page_pool_test_ring_full_release),
	KUNIT_CASE(page_pool_test_release_elevated_ref),
	KUNIT_CASE(page_pool_test_release_page),
	KUNIT_CASE(page_pool_test_frag),
	KUNIT_CASE(page_pool_test_destroy_inflight),
	{}
};

static struct kunit_suite page_pool_test_suite = {
	.name = "page_pool",
	.init = page_pool_kunit_init,
	.exit = page_pool_kunit_exit,
	.test_cases = page_pool_test_cases,
};

kunit_test_suite(page_pool_test_suite);

MODULE_DESCRIPTION("KUnit tests for the page_pool page path");
MODULE_LICENSE("GPL");
