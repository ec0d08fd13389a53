// SPDX-License-Identifier: GPL-2.0
/*
 * page_pool micro-benchmark.
 *
 * Times the page_pool paths of a driver's RX ring, @iters iterations per
 * repeat and @repeats repeats per path, and prints one line per path with
 * the cost of one iteration (alloc + return of one page) in ns and, where
 * a cycle counter is readable, in cycles:
 *
 *   fast    alloc from the lockless cache, recycle straight back into it
 *   ring    alloc, put without direct recycling: the page goes into the
 *           ptr_ring and the alloc side refills its cache from there
 *   slow    alloc, release the page to the page allocator: every page
 *           comes from alloc_pages_bulk (the pool refills its cache in
 *           batches) and is freed again by put_page()
 *   slow1   the same with order-1 pages: the pool has no bulk allocator
 *           for them, so every iteration is one alloc_pages() and one free
 *
 * Only the page API of page_pool is used, so this file builds on 6.1
 * before and after netmem: the harness runs it on both kernels and
 * compares. It measures and never judges: no case fails on a time. It is
 * a KUnit suite only to run at boot and to halt the kernel afterwards
 * (kunit_shutdown=halt), which lets a UML kernel run it natively.
 *
 * A memory provider path belongs here once providers exist: the loops
 * take any pool, a provider-backed one too.
 */

#include <kunit/test.h>
#include <linux/bottom_half.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timex.h>
#include <net/page_pool.h>

static unsigned int iters = 5000000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "iterations per repeat of the recycling paths");

static unsigned int slow_iters = 1000000;
module_param(slow_iters, uint, 0444);
MODULE_PARM_DESC(slow_iters, "iterations per repeat of the slow paths");

static unsigned int repeats = 11;
module_param(repeats, uint, 0444);
MODULE_PARM_DESC(repeats, "timed repeats per path");

/* Values in one line of output: more would not fit a printk record. */
#define PAGE_POOL_BENCH_MAX_REPEATS	21

struct page_pool_bench_path {
	const char *name;
	unsigned int order;
	bool slow;
	/* Runs @n iterations; returns the number of failed allocations. */
	unsigned int (*loop)(struct page_pool *pool, unsigned int n);
};

/* Each loop runs with BHs disabled, as a NAPI poll does. The calls are
 * out of line in both kernels (exported functions), so nothing of the
 * work is optimised away.
 */
static unsigned int page_pool_bench_fast(struct page_pool *pool,
					 unsigned int n)
{
	unsigned int i, failed = 0;
	struct page *page;

	for (i = 0; i < n; i++) {
		page = page_pool_alloc_pages(pool, GFP_ATOMIC);
		if (unlikely(!page)) {
			failed++;
			continue;
		}
		page_pool_recycle_direct(pool, page);
	}
	return failed;
}

static unsigned int page_pool_bench_ring(struct page_pool *pool,
					 unsigned int n)
{
	unsigned int i, failed = 0;
	struct page *page;

	for (i = 0; i < n; i++) {
		page = page_pool_alloc_pages(pool, GFP_ATOMIC);
		if (unlikely(!page)) {
			failed++;
			continue;
		}
		/* Not direct: as if the page were freed off the NAPI CPU. */
		page_pool_put_full_page(pool, page, false);
	}
	return failed;
}

static unsigned int page_pool_bench_slow(struct page_pool *pool,
					 unsigned int n)
{
	unsigned int i, failed = 0;
	struct page *page;

	for (i = 0; i < n; i++) {
		page = page_pool_alloc_pages(pool, GFP_ATOMIC);
		if (unlikely(!page)) {
			failed++;
			continue;
		}
		page_pool_release_page(pool, page);
		put_page(page);
	}
	return failed;
}

static const struct page_pool_bench_path page_pool_bench_paths[] = {
	{ .name = "fast", .loop = page_pool_bench_fast },
	{ .name = "ring", .loop = page_pool_bench_ring },
	{ .name = "slow", .loop = page_pool_bench_slow, .slow = true },
	{ .name = "slow1", .loop = page_pool_bench_slow, .slow = true,
	  .order = 1 },
};

static void page_pool_bench_desc(const struct page_pool_bench_path *path,
				 char *desc)
{
	strscpy(desc, path->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(page_pool_bench, page_pool_bench_paths,
		  page_pool_bench_desc);

/* UML's get_cycles() is 0, but the host's TSC is readable from a UML
 * kernel as from any other process.
 */
static u64 page_pool_bench_cycles(void)
{
#if defined(CONFIG_UML) && defined(CONFIG_X86_64)
	u32 lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	return ((u64)hi << 32) | lo;
#else
	return get_cycles();
#endif
}

static int page_pool_bench_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Appends " @key=v1,v2,..." of @v[@n] (thousandths of a unit per op). */
static int page_pool_bench_list(char *buf, size_t size, const char *key,
				const u64 *v, unsigned int n)
{
	int len = scnprintf(buf, size, " %s=", key);
	unsigned int i;

	for (i = 0; i < n; i++)
		len += scnprintf(buf + len, size - len, "%s%llu", i ? "," : "",
				 v[i]);
	return len;
}

static void page_pool_bench_run(struct kunit *test)
{
	const struct page_pool_bench_path *path = test->param_value;
	unsigned int n = path->slow ? slow_iters : iters;
	struct page_pool_params pp = {
		.order = path->order,
		.pool_size = 256,
		.nid = NUMA_NO_NODE,
	};
	unsigned int r, reps, failed = 0;
	u64 *ns, *cyc, *sorted, pages, cyc_seen = 0;
	struct page_pool *pool;
	u32 held = 0;
	size_t size = 1024;
	char *buf;
	int len;

	reps = clamp_t(unsigned int, repeats, 1, PAGE_POOL_BENCH_MAX_REPEATS);
	n = max(n, 1U);
	ns = kunit_kcalloc(test, reps, sizeof(*ns), GFP_KERNEL);
	cyc = kunit_kcalloc(test, reps, sizeof(*cyc), GFP_KERNEL);
	sorted = kunit_kcalloc(test, reps, sizeof(*sorted), GFP_KERNEL);
	buf = kunit_kzalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, ns && cyc && sorted && buf);

	pool = page_pool_create(&pp);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(pool));

	/* One untimed round brings the cache and the ring to steady state. */
	local_bh_disable();
	failed += path->loop(pool, min(n, 4096U));
	local_bh_enable();

	for (r = 0; r < reps; r++) {
		u64 t0, t1, c0, c1;
		u32 hold;

		local_bh_disable();
		hold = pool->pages_state_hold_cnt;
		t0 = ktime_get_ns();
		c0 = page_pool_bench_cycles();
		failed += path->loop(pool, n);
		c1 = page_pool_bench_cycles();
		t1 = ktime_get_ns();
		held += pool->pages_state_hold_cnt - hold;
		local_bh_enable();

		/* Thousandths of a ns (of a cycle) per iteration. */
		ns[r] = div_u64((t1 - t0) * 1000, n);
		cyc[r] = div_u64((c1 - c0) * 1000, n);
		cyc_seen |= c1 - c0;
		cond_resched();
	}
	page_pool_destroy(pool);

	/* Not an assertion on time: a failed allocation voids the numbers. */
	KUNIT_EXPECT_EQ(test, failed, 0);

	/* pages= is how many pages per iteration came from the page
	 * allocator: 0 proves the recycling paths never left the pool.
	 */
	pages = div64_u64((u64)held * 1000, (u64)n * reps);
	len = scnprintf(buf, size,
			"page_pool_bench: path=%s order=%u iters=%u repeats=%u pages=%llu.%03llu",
			path->name, path->order, n, reps, pages / 1000,
			pages % 1000);
	memcpy(sorted, ns, reps * sizeof(*sorted));
	sort(sorted, reps, sizeof(*sorted), page_pool_bench_cmp, NULL);
	len += scnprintf(buf + len, size - len,
			 " ns_median=%llu.%03llu ns_min=%llu.%03llu ns_max=%llu.%03llu",
			 sorted[reps / 2] / 1000, sorted[reps / 2] % 1000,
			 sorted[0] / 1000, sorted[0] % 1000,
			 sorted[reps - 1] / 1000, sorted[reps - 1] % 1000);
	if (cyc_seen) {
		memcpy(sorted, cyc, reps * sizeof(*sorted));
		sort(sorted, reps, sizeof(*sorted), page_pool_bench_cmp, NULL);
		len += scnprintf(buf + len, size - len,
				 " cycles_median=%llu.%03llu",
				 sorted[reps / 2] / 1000, sorted[reps / 2] % 1000);
	} else {
		len += scnprintf(buf + len, size - len, " cycles=n/a");
	}
	len += page_pool_bench_list(buf + len, size - len, "ns_milli", ns, reps);
	if (cyc_seen)
		page_pool_bench_list(buf + len, size - len, "cycles_milli", cyc,
				     reps);
	kunit_info(test, "%s\n", buf);
}

static struct kunit_case page_pool_bench_cases[] = {
	KUNIT_CASE_PARAM(page_pool_bench_run, page_pool_bench_gen_params),
	{}
};

static struct kunit_suite page_pool_bench_suite = {
	.name = "page_pool_bench",
	.test_cases = page_pool_bench_cases,
};

kunit_test_suite(page_pool_bench_suite);

MODULE_DESCRIPTION("page_pool micro-benchmark");
MODULE_LICENSE("GPL");
