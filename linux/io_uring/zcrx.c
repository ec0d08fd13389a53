// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy receive: an RX queue of a device takes its payload buffers from
 * memory the application registered with the ring (an "area"); completions
 * of IORING_OP_RECV_ZC say where in the area the bytes are, and the
 * application gives buffers back through a refill ring it shares with the
 * kernel. The queue's page_pool draws its buffers from the area through the
 * memory provider ops below.
 *
 * Each buffer (a PAGE_SIZE net_iov) counts the references user space holds
 * on it in area->user_refs: one per completion naming it, dropped by a
 * refill ring entry. A buffer in user hands also holds one page_pool
 * reference per completion, so the pool cannot hand it to the device again
 * before it comes back. Bytes that did not land in the area (linear data,
 * another queue, a device-less zcrx) are copied into a free buffer, which
 * belongs to no pool while user space holds it.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/io_uring.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/nospec.h>
#include <linux/nsproxy.h>
#include <linux/rtnetlink.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/skbuff.h>
#include <linux/vmalloc.h>
#include <net/memory_provider.h>
#include <net/page_pool.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <uapi/linux/netdev.h>

#include <uapi/linux/io_uring.h>

#include "io_uring.h"
#include "rsrc.h"
#include "zcrx.h"

#define IO_ZCRX_MAX_RQ_ENTRIES	32768
/* Refill ring entries looked at per refill, to bound the work in NAPI */
#define IO_ZCRX_REFILL_BATCH	256
/* Bytes an area may have, as upstream; far below the area id bits */
#define IO_ZCRX_MAX_AREA_LEN	SZ_1G

static_assert(sizeof(struct io_uring_zcrx_rqe) == 16);
static_assert(offsetof(struct io_uring_zcrx_rqe, len) == 8);
static_assert(offsetof(struct io_uring_zcrx_rqe, __pad) == 12);
static_assert(sizeof(struct io_uring_zcrx_cqe) == 16);
static_assert(sizeof(struct io_uring_zcrx_offsets) == 32);
static_assert(offsetof(struct io_uring_zcrx_offsets, rqes) == 8);
static_assert(offsetof(struct io_uring_zcrx_offsets, __resv) == 16);
static_assert(sizeof(struct io_uring_zcrx_area_reg) == 48);
static_assert(offsetof(struct io_uring_zcrx_area_reg, rq_area_token) == 16);
static_assert(offsetof(struct io_uring_zcrx_area_reg, flags) == 24);
static_assert(offsetof(struct io_uring_zcrx_area_reg, dmabuf_fd) == 28);
static_assert(offsetof(struct io_uring_zcrx_area_reg, __resv2) == 32);
static_assert(sizeof(struct io_uring_zcrx_ifq_reg) == 96);
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, area_ptr) == 16);
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, region_ptr) == 24);
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, offsets) == 32);
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, zcrx_id) == 64);
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, rx_buf_len) == 68);
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, __resv) == 72);
static_assert(sizeof(struct io_uring_region_desc) == 64);
static_assert(offsetof(struct io_uring_region_desc, flags) == 16);
static_assert(offsetof(struct io_uring_region_desc, id) == 20);
static_assert(offsetof(struct io_uring_region_desc, mmap_offset) == 24);
static_assert(offsetof(struct io_uring_region_desc, __resv) == 32);
static_assert(sizeof(struct zcrx_ctrl) == 72);
static_assert(offsetof(struct zcrx_ctrl, op) == 4);
static_assert(offsetof(struct zcrx_ctrl, __resv) == 8);
static_assert(offsetof(struct zcrx_ctrl, zc_export) == 24);
static_assert(offsetof(struct zcrx_ctrl, zc_flush) == 24);

/**
 * struct io_zcrx_area - the memory buffers of a zcrx come from
 * @nia: the buffers as net_iovs; nia.priv is the area
 * @user_refs: references user space holds on each buffer
 * @dma: DMA address of each buffer for the device, if there is one
 * @nr_mapped: user memory: how many of @dma are mapped (0 is a valid address)
 * @pages: user memory: the pinned pages, one per buffer
 * @dmabuf: dma-buf memory: the dma-buf
 * @attach: its attachment to the device's DMA device
 * @sgt: its mapping
 * @freelist_lock: protects @freelist and @free_count
 * @free_count: entries of @freelist in use
 * @freelist: indexes of buffers nobody holds
 */
struct io_zcrx_area {
	struct net_iov_area		nia;
	atomic_t			*user_refs;
	dma_addr_t			*dma;
	u32				nr_mapped;
	struct page			**pages;
	struct dma_buf			*dmabuf;
	struct dma_buf_attachment	*attach;
	struct sg_table			*sgt;
	spinlock_t			freelist_lock;	/* @freelist */
	u32				free_count;
	u32				*freelist;
};

/**
 * struct io_zcrx_ifq - a zero-copy receive interface queue
 * @area: the buffers
 * @refs: keeps the memory alive: one per user, one per page_pool
 * @users: rings and export files using the zcrx; the last one unbinds it
 * @rq_lock: serialises consumers of the refill ring
 * @rq_entries: entries of the refill ring, a power of two
 * @cached_rq_head: the next entry to consume
 * @rq_head: the head in the region, published to user space
 * @rq_tail: the tail in the region, written by user space
 * @rqes: the entries in the region
 * @region: the refill ring's memory, mapped in the kernel
 * @region_pages: its pages
 * @nr_region_pages: entries of @region_pages
 * @region_user: @region_pages are pinned user pages
 * @netdev: the device of the bound queue; NULL once unbound or gone (RTNL)
 * @if_rxq: the bound queue
 * @dma_dev: the device buffers are mapped for; NULL without a device, and
 *	once the queue is unbound or its device gone (the mapping with it)
 * @dma_sem: held for reading while a buffer is synced for the CPU, for
 *	writing while @dma_dev and the mapping go
 * @user: the user the pinned memory is accounted to
 * @mm_account: the mm the pinned memory is accounted to
 * @acct_pages: pages accounted
 * @free_work: frees the zcrx once the last reference is gone
 */
struct io_zcrx_ifq {
	struct io_zcrx_area		*area;
	refcount_t			refs;
	refcount_t			users;
	spinlock_t			rq_lock;	/* refill consumers */
	u32				rq_entries;
	u32				cached_rq_head;
	u32				*rq_head;
	u32				*rq_tail;
	struct io_uring_zcrx_rqe	*rqes;
	void				*region;
	struct page			**region_pages;
	int				nr_region_pages;
	bool				region_user;
	struct net_device		*netdev;
	u32				if_rxq;
	struct device			*dma_dev;
	struct rw_semaphore		dma_sem;	/* @dma_dev */
	struct user_struct		*user;
	struct mm_struct		*mm_account;
	unsigned long			acct_pages;
	struct work_struct		free_work;
};

struct io_recvzc {
	struct file			*file;
	struct io_zcrx_ifq		*ifq;
	u32				len;
	u16				flags;
};

static const struct memory_provider_ops io_zcrx_ops;

static struct io_zcrx_area *io_zcrx_iov_area(const struct net_iov *niov)
{
	return net_iov_owner(niov)->priv;
}

/* Free buffers */

static void io_zcrx_push_free(struct io_zcrx_area *area, struct net_iov *niov)
{
	spin_lock_bh(&area->freelist_lock);
	/* Each buffer is pushed once per trip: a full list means a bug. */
	if (!WARN_ON_ONCE(area->free_count >= area->nia.num_niovs))
		area->freelist[area->free_count++] = net_iov_idx(niov);
	spin_unlock_bh(&area->freelist_lock);
}

static struct net_iov *io_zcrx_pop_free(struct io_zcrx_area *area)
{
	struct net_iov *niov = NULL;

	spin_lock_bh(&area->freelist_lock);
	if (area->free_count)
		niov = &area->nia.niovs[area->freelist[--area->free_count]];
	spin_unlock_bh(&area->freelist_lock);
	return niov;
}

/* A buffer user space no longer holds: back to its pool, which recycles it
 * once the stack is done with it too, or to the free list if it was a copy
 * buffer outside any pool. @pool is the pool being refilled, if any: a
 * buffer of that pool may go straight into its cache.
 */
static void io_zcrx_return_niov(struct net_iov *niov, struct page_pool *pool)
{
	struct page_pool *pp = READ_ONCE(niov->pp);

	if (pp)
		page_pool_put_full_netmem(pp, net_iov_to_netmem(niov),
					  pp == pool);
	else
		io_zcrx_push_free(io_zcrx_iov_area(niov), niov);
}

/* Consume refill ring entries. Entries that do not name a buffer user
 * space holds (bad offset, reserved bits, returned already) are skipped.
 */
static void io_zcrx_ring_refill(struct io_zcrx_ifq *ifq,
				struct page_pool *pool)
{
	struct io_zcrx_area *area = ifq->area;
	unsigned int mask = ifq->rq_entries - 1;
	unsigned int entries;
	u32 head;

	spin_lock_bh(&ifq->rq_lock);
	head = ifq->cached_rq_head;
	/* Pairs with user space's store-release of the tail. */
	entries = smp_load_acquire(ifq->rq_tail) - head;
	entries = min3(entries, ifq->rq_entries, IO_ZCRX_REFILL_BATCH);
	for (; entries; entries--, head++) {
		const struct io_uring_zcrx_rqe *rqe = &ifq->rqes[head & mask];
		u64 off = READ_ONCE(rqe->off);
		unsigned long idx;

		if (READ_ONCE(rqe->__pad) || (off & IORING_ZCRX_AREA_MASK))
			continue;
		idx = off >> PAGE_SHIFT;
		if (idx >= area->nia.num_niovs)
			continue;
		idx = array_index_nospec(idx, area->nia.num_niovs);
		if (atomic_dec_if_positive(&area->user_refs[idx]) < 0)
			continue;
		io_zcrx_return_niov(&area->nia.niovs[idx], pool);
	}
	ifq->cached_rq_head = head;
	/* Entries are read before user space may reuse their slots. */
	smp_store_release(ifq->rq_head, head);
	spin_unlock_bh(&ifq->rq_lock);
}

/* Memory provider ops; a pool's mp_priv is the zcrx */

static netmem_ref io_zcrx_alloc_netmems(struct page_pool *pool, gfp_t gfp)
{
	struct io_zcrx_ifq *ifq = pool->mp_priv;
	struct io_zcrx_area *area = ifq->area;
	netmem_ref netmem, first;
	struct net_iov *niov;
	int n;

	io_zcrx_ring_refill(ifq, pool);
	first = net_mp_netmem_get_recycled(pool);
	if (first)
		return first;

	/* The cache is empty: it takes a refill's worth after @first. */
	for (n = 0; n < PP_ALLOC_CACHE_REFILL; n++) {
		niov = io_zcrx_pop_free(area);
		if (!niov)
			break;
		netmem = net_iov_to_netmem(niov);
		page_pool_set_dma_addr_netmem(netmem,
					      area->dma[net_iov_idx(niov)]);
		net_mp_niov_set_page_pool(pool, niov);
		if (!first)
			first = netmem;
		else if (!net_mp_netmem_place_in_cache(pool, netmem))
			page_pool_put_full_netmem(pool, netmem, false);
	}
	return first;
}

static void io_zcrx_release_netmem(struct page_pool *pool, netmem_ref netmem)
{
	struct net_iov *niov = netmem_to_net_iov(netmem);

	page_pool_set_dma_addr_netmem(netmem, 0);
	io_zcrx_push_free(io_zcrx_iov_area(niov), niov);
}

static int io_zcrx_pp_init(struct page_pool *pool)
{
	struct io_zcrx_ifq *ifq = pool->mp_priv;

	/* One net_iov is one PAGE_SIZE buffer, mapped for the DMA device. */
	if (pool->p.order || !ifq->dma_dev || pool->p.dev != ifq->dma_dev)
		return -EINVAL;
	refcount_inc(&ifq->refs);
	return 0;
}

static void io_zcrx_ifq_put(struct io_zcrx_ifq *ifq);

static void io_zcrx_pp_destroy(struct page_pool *pool)
{
	io_zcrx_ifq_put(pool->mp_priv);
}

static int io_zcrx_nl_fill(void *mp_priv, struct sk_buff *rsp,
			   struct netdev_rx_queue *rxq)
{
	int type = rxq ? NETDEV_A_QUEUE_IO_URING : NETDEV_A_PAGE_POOL_IO_URING;
	struct nlattr *nest;

	nest = nla_nest_start(rsp, type);
	if (!nest)
		return -EMSGSIZE;
	nla_nest_end(rsp, nest);
	return 0;
}

static void io_zcrx_dma_release(struct io_zcrx_ifq *ifq);

/* The device is being unregistered (RTNL held): it will not write to the
 * area again, and nothing may keep it past its unregistration.
 */
static void io_zcrx_uninstall(void *mp_priv, struct netdev_rx_queue *rxq)
{
	struct io_zcrx_ifq *ifq = mp_priv;

	ifq->netdev = NULL;
	io_zcrx_dma_release(ifq);
}

static const struct memory_provider_ops io_zcrx_ops = {
	.alloc_netmems	= io_zcrx_alloc_netmems,
	.release_netmem	= io_zcrx_release_netmem,
	.init		= io_zcrx_pp_init,
	.destroy	= io_zcrx_pp_destroy,
	.nl_fill	= io_zcrx_nl_fill,
	.uninstall	= io_zcrx_uninstall,
};

/* Areas */

/*
 * Once no queue can write to the area (unbound, or the device unregistered),
 * unmap it and drop the device: buffers may stay with user space for as long
 * as it likes, the device and its driver module must not wait for them.
 * Unmapping syncs for the CPU, so bytes still queued in sockets reach the
 * pages even through a bounce buffer. Sleeps; idempotent.
 */
static void io_zcrx_dma_release(struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_area *area = ifq->area;
	struct device *dev;
	int i;

	down_write(&ifq->dma_sem);
	dev = ifq->dma_dev;
	ifq->dma_dev = NULL;
	if (!dev || !area)
		goto out;
	if (area->dmabuf) {
		if (area->sgt)
			dma_buf_unmap_attachment_unlocked(area->attach,
							  area->sgt,
							  DMA_FROM_DEVICE);
		if (area->attach)
			dma_buf_detach(area->dmabuf, area->attach);
		area->sgt = NULL;
		area->attach = NULL;
		goto out;
	}
	/* A count, not a sentinel: 0 may be a valid DMA address */
	for (i = 0; i < area->nr_mapped; i++)
		dma_unmap_page_attrs(dev, area->dma[i], PAGE_SIZE,
				     DMA_FROM_DEVICE, 0);
	area->nr_mapped = 0;
out:
	up_write(&ifq->dma_sem);
	put_device(dev);
}

static void io_zcrx_free_area(struct io_zcrx_ifq *ifq,
			      struct io_zcrx_area *area)
{
	io_zcrx_dma_release(ifq);
	if (area->dmabuf)
		dma_buf_put(area->dmabuf);
	if (area->pages) {
		unpin_user_pages(area->pages, area->nia.num_niovs);
		kvfree(area->pages);
	}
	net_iov_area_release(&area->nia);
	kvfree(area->user_refs);
	kvfree(area->dma);
	kvfree(area->freelist);
	kfree(area);
}

static int io_zcrx_account(struct io_zcrx_ifq *ifq, unsigned long nr_pages)
{
	int ret;

	/* no user to charge: the ring's creator has CAP_IPC_LOCK */
	if (ifq->user) {
		ret = __io_account_mem(ifq->user, nr_pages);
		if (ret)
			return ret;
	}
	if (ifq->mm_account)
		atomic64_add(nr_pages, &ifq->mm_account->pinned_vm);
	ifq->acct_pages += nr_pages;
	return 0;
}

static void io_zcrx_unaccount(struct io_zcrx_ifq *ifq)
{
	if (ifq->user)
		__io_unaccount_mem(ifq->user, ifq->acct_pages);
	if (ifq->mm_account)
		atomic64_sub(ifq->acct_pages, &ifq->mm_account->pinned_vm);
	ifq->acct_pages = 0;
}

/* Pin the user memory of an area and account it. */
static int io_zcrx_pin_area(struct io_zcrx_ifq *ifq, struct io_zcrx_area *area,
			    const struct io_uring_zcrx_area_reg *reg)
{
	struct page **pages;
	int nr_pages;

	pages = io_pin_pages(reg->addr, reg->len, &nr_pages);
	if (IS_ERR(pages))
		return PTR_ERR(pages);
	/* Page aligned: one pinned page per buffer of the area. */
	area->pages = pages;
	return io_zcrx_account(ifq, nr_pages);
}

static int io_zcrx_map_user_area(struct io_zcrx_ifq *ifq,
				 struct io_zcrx_area *area)
{
	dma_addr_t dma;
	int i;

	for (i = 0; i < area->nia.num_niovs; i++) {
		dma = dma_map_page_attrs(ifq->dma_dev, area->pages[i], 0,
					 PAGE_SIZE, DMA_FROM_DEVICE,
					 DMA_ATTR_SKIP_CPU_SYNC);
		if (dma_mapping_error(ifq->dma_dev, dma))
			return -ENOMEM;
		area->dma[i] = dma;
		area->nr_mapped = i + 1;
	}
	return 0;
}

/* Attach and map the dma-buf; buffer i is at reg->addr + i * PAGE_SIZE. */
static int io_zcrx_map_dmabuf_area(struct io_zcrx_ifq *ifq,
				   struct io_zcrx_area *area,
				   const struct io_uring_zcrx_area_reg *reg)
{
	unsigned long start = reg->addr, pos = 0, i = 0;
	struct scatterlist *sg;
	unsigned int n;

	area->dmabuf = dma_buf_get(reg->dmabuf_fd);
	if (IS_ERR(area->dmabuf)) {
		int err = PTR_ERR(area->dmabuf);

		area->dmabuf = NULL;
		return err;
	}
	if (reg->addr + reg->len > area->dmabuf->size)
		return -EINVAL;

	area->attach = dma_buf_attach(area->dmabuf, ifq->dma_dev);
	if (IS_ERR(area->attach)) {
		int err = PTR_ERR(area->attach);

		area->attach = NULL;
		return err;
	}
	area->sgt = dma_buf_map_attachment_unlocked(area->attach,
						    DMA_FROM_DEVICE);
	if (IS_ERR(area->sgt)) {
		int err = PTR_ERR(area->sgt);

		area->sgt = NULL;
		return err;
	}

	for_each_sgtable_dma_sg(area->sgt, sg, n) {
		dma_addr_t dma = sg_dma_address(sg);
		unsigned long len = sg_dma_len(sg);
		unsigned long skip = 0;

		if (!PAGE_ALIGNED(dma) || !PAGE_ALIGNED(len))
			return -EINVAL;
		if (pos + len <= start) {
			pos += len;
			continue;
		}
		if (pos < start)
			skip = start - pos;
		for (; skip < len && i < area->nia.num_niovs; skip += PAGE_SIZE)
			area->dma[i++] = dma + skip;
		pos += len;
	}
	return i == area->nia.num_niovs ? 0 : -EINVAL;
}

static int io_zcrx_create_area(struct io_zcrx_ifq *ifq,
			       const struct io_uring_zcrx_area_reg *reg)
{
	bool is_dmabuf = reg->flags & IORING_ZCRX_AREA_DMABUF;
	struct io_zcrx_area *area;
	unsigned long nr_iovs, i;
	int ret;

	if (reg->flags & ~IORING_ZCRX_AREA_DMABUF || reg->rq_area_token ||
	    reg->__resv2[0] || reg->__resv2[1])
		return -EINVAL;
	if (!is_dmabuf && reg->dmabuf_fd)
		return -EINVAL;
	/* Bounds the per-buffer arrays, before any of them is sized. */
	if (!reg->len || reg->len > IO_ZCRX_MAX_AREA_LEN)
		return -EFAULT;
	if (!PAGE_ALIGNED(reg->addr) || !PAGE_ALIGNED(reg->len))
		return -EINVAL;
	nr_iovs = reg->len >> PAGE_SHIFT;
	/* A device-less zcrx copies into the area: it must be readable. */
	if (is_dmabuf && !ifq->dma_dev)
		return -EINVAL;

	area = kzalloc(sizeof(*area), GFP_KERNEL);
	if (!area)
		return -ENOMEM;
	spin_lock_init(&area->freelist_lock);
	ifq->area = area;

	ret = -ENOMEM;
	area->user_refs = kvcalloc(nr_iovs, sizeof(*area->user_refs),
				   GFP_KERNEL_ACCOUNT);
	area->dma = kvcalloc(nr_iovs, sizeof(*area->dma), GFP_KERNEL_ACCOUNT);
	area->freelist = kvmalloc_array(nr_iovs, sizeof(*area->freelist),
					GFP_KERNEL_ACCOUNT);
	if (!area->user_refs || !area->dma || !area->freelist)
		return ret;
	ret = net_iov_area_init(&area->nia, nr_iovs, reg->addr, &io_zcrx_ops,
				area);
	if (ret)
		return ret;
	for (i = 0; i < nr_iovs; i++)
		area->freelist[i] = nr_iovs - 1 - i;
	area->free_count = nr_iovs;

	if (is_dmabuf)
		return io_zcrx_map_dmabuf_area(ifq, area, reg);
	ret = io_zcrx_pin_area(ifq, area, reg);
	if (ret || !ifq->dma_dev)
		return ret;
	return io_zcrx_map_user_area(ifq, area);
}

/* The refill ring's region */

static void io_zcrx_free_region(struct io_zcrx_ifq *ifq)
{
	int i;

	if (ifq->region)
		vunmap(ifq->region);
	if (!ifq->region_pages)
		return;
	if (ifq->region_user) {
		unpin_user_pages(ifq->region_pages, ifq->nr_region_pages);
	} else {
		for (i = 0; i < ifq->nr_region_pages; i++)
			if (ifq->region_pages[i])
				put_page(ifq->region_pages[i]);
	}
	kvfree(ifq->region_pages);
}

static int io_zcrx_create_region(struct io_zcrx_ifq *ifq,
				 struct io_uring_region_desc *rd)
{
	size_t need = IO_ZCRX_RQ_HDR_SIZE +
		      (size_t)ifq->rq_entries * sizeof(struct io_uring_zcrx_rqe);
	struct page **pages;
	int i, nr_pages;

	if (rd->flags & ~IORING_MEM_REGION_TYPE_USER || rd->id ||
	    rd->mmap_offset || memchr_inv(rd->__resv, 0, sizeof(rd->__resv)))
		return -EINVAL;
	if (!rd->size || !PAGE_ALIGNED(rd->size) || rd->size < need ||
	    rd->size > SZ_16M)
		return -EINVAL;

	if (rd->flags & IORING_MEM_REGION_TYPE_USER) {
		if (!rd->user_addr || !PAGE_ALIGNED(rd->user_addr))
			return -EINVAL;
		pages = io_pin_pages(rd->user_addr, rd->size, &nr_pages);
		if (IS_ERR(pages))
			return PTR_ERR(pages);
		ifq->region_user = true;
	} else {
		if (rd->user_addr)
			return -EINVAL;
		nr_pages = rd->size >> PAGE_SHIFT;
		pages = kvcalloc(nr_pages, sizeof(*pages), GFP_KERNEL);
		if (!pages)
			return -ENOMEM;
		for (i = 0; i < nr_pages; i++) {
			pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
			if (!pages[i])
				break;
		}
	}
	ifq->region_pages = pages;
	ifq->nr_region_pages = nr_pages;
	if (!ifq->region_user && i < nr_pages)
		return -ENOMEM;

	ifq->region = vmap(pages, nr_pages, VM_MAP, PAGE_KERNEL);
	if (!ifq->region)
		return -ENOMEM;
	ifq->rq_head = ifq->region + IO_ZCRX_RQ_HEAD_OFF;
	ifq->rq_tail = ifq->region + IO_ZCRX_RQ_TAIL_OFF;
	ifq->rqes = ifq->region + IO_ZCRX_RQ_HDR_SIZE;
	return 0;
}

/* Lifetime */

static void io_zcrx_ifq_free(struct io_zcrx_ifq *ifq)
{
	if (ifq->area)
		io_zcrx_free_area(ifq, ifq->area);
	else
		io_zcrx_dma_release(ifq);
	io_zcrx_free_region(ifq);
	io_zcrx_unaccount(ifq);
	free_uid(ifq->user);
	if (ifq->mm_account)
		mmdrop(ifq->mm_account);
	kfree(ifq);
}

static void io_zcrx_free_work(struct work_struct *work)
{
	io_zcrx_ifq_free(container_of(work, struct io_zcrx_ifq, free_work));
}

/* The last page_pool may go in any context: free from a workqueue. */
static void io_zcrx_ifq_put(struct io_zcrx_ifq *ifq)
{
	if (refcount_dec_and_test(&ifq->refs))
		queue_work(system_unbound_wq, &ifq->free_work);
}

/* The ring is done with the zcrx: unbind its queue and take back every
 * buffer user space still holds.
 */
static void io_zcrx_shutdown(struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_area *area = ifq->area;
	unsigned long i;
	int refs;

	if (!area || !area->user_refs)
		return;
	rtnl_lock();
	if (ifq->netdev)
		net_mp_unbind_rxq(ifq->netdev, ifq->if_rxq, &io_zcrx_ops, ifq);
	ifq->netdev = NULL;
	rtnl_unlock();
	io_zcrx_dma_release(ifq);

	for (i = 0; i < area->nia.num_niovs; i++) {
		refs = atomic_xchg(&area->user_refs[i], 0);
		for (; refs > 0; refs--)
			io_zcrx_return_niov(&area->nia.niovs[i], NULL);
	}
}

static void io_zcrx_drop_user(struct io_zcrx_ifq *ifq)
{
	if (refcount_dec_and_test(&ifq->users))
		io_zcrx_shutdown(ifq);
	io_zcrx_ifq_put(ifq);
}

/* Export and import: another ring may use the zcrx through a file */

static int io_zcrx_file_release(struct inode *inode, struct file *file)
{
	io_zcrx_drop_user(file->private_data);
	return 0;
}

static const struct file_operations io_zcrx_fops = {
	.owner		= THIS_MODULE,
	.release	= io_zcrx_file_release,
};

static void io_zcrx_add_user(struct io_zcrx_ifq *ifq)
{
	refcount_inc(&ifq->users);
	refcount_inc(&ifq->refs);
}

/* An id for a zcrx, its slot reserved but empty: mmap() of the ring, which
 * does not take uring_lock, finds the zcrx only once io_zcrx_publish()
 * stored it, after everything that can fail.
 */
static int io_zcrx_reserve_id(struct io_ring_ctx *ctx, u32 *id)
{
	return xa_alloc(&ctx->zcrx_ctxs, id, NULL,
			XA_LIMIT(0, IO_ZCRX_MAX_IFQS - 1), GFP_KERNEL);
}

static int io_zcrx_publish(struct io_ring_ctx *ctx, u32 id,
			   struct io_zcrx_ifq *ifq)
{
	return xa_err(xa_store(&ctx->zcrx_ctxs, id, ifq, GFP_KERNEL));
}

static void io_zcrx_fill_reg(struct io_zcrx_ifq *ifq, u32 id,
			     struct io_uring_zcrx_ifq_reg *reg,
			     struct io_uring_region_desc *rd)
{
	reg->zcrx_id = id;
	reg->rq_entries = ifq->rq_entries;
	reg->offsets.head = IO_ZCRX_RQ_HEAD_OFF;
	reg->offsets.tail = IO_ZCRX_RQ_TAIL_OFF;
	reg->offsets.rqes = IO_ZCRX_RQ_HDR_SIZE;
	if (!ifq->region_user)
		rd->mmap_offset = IORING_OFF_ZCRX_REGION |
				  ((u64)id << IORING_OFF_ZCRX_SHIFT);
}

static int io_zcrx_export(struct io_zcrx_ifq *ifq, struct zcrx_ctrl *ctrl,
			  void __user *arg)
{
	struct file *file;
	int fd;

	if (memchr_inv(&ctrl->zc_export, 0, sizeof(ctrl->zc_export)))
		return -EINVAL;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	io_zcrx_add_user(ifq);
	file = anon_inode_getfile("[zcrx]", &io_zcrx_fops, ifq, O_CLOEXEC);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		io_zcrx_drop_user(ifq);
		return PTR_ERR(file);
	}
	ctrl->zc_export.zcrx_fd = fd;
	if (copy_to_user(arg, ctrl, sizeof(*ctrl))) {
		put_unused_fd(fd);
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

/* ZCRX_REG_IMPORT: if_idx is the fd of an exported zcrx, everything else
 * but the outputs is zero. A region descriptor is optional: it only gets
 * the mmap offset of the refill ring.
 */
static int io_zcrx_import(struct io_ring_ctx *ctx,
			  struct io_uring_zcrx_ifq_reg *reg, void __user *arg)
{
	struct io_uring_region_desc rd = {};
	struct io_zcrx_ifq *ifq;
	struct fd f;
	u32 id;
	int ret;

	if (reg->flags != ZCRX_REG_IMPORT || reg->if_rxq || reg->rq_entries ||
	    reg->area_ptr || reg->rx_buf_len || reg->zcrx_id ||
	    memchr_inv(reg->__resv, 0, sizeof(reg->__resv)) ||
	    memchr_inv(&reg->offsets, 0, sizeof(reg->offsets)))
		return -EINVAL;
	if (reg->region_ptr &&
	    copy_from_user(&rd, u64_to_user_ptr(reg->region_ptr), sizeof(rd)))
		return -EFAULT;
	if (memchr_inv(&rd, 0, sizeof(rd)))
		return -EINVAL;
	f = fdget(reg->if_idx);
	if (!f.file)
		return -EBADF;
	ret = -EINVAL;
	if (f.file->f_op != &io_zcrx_fops)
		goto out;
	ifq = f.file->private_data;
	io_zcrx_add_user(ifq);
	ret = io_zcrx_reserve_id(ctx, &id);
	if (ret) {
		io_zcrx_drop_user(ifq);
		goto out;
	}
	io_zcrx_fill_reg(ifq, id, reg, &rd);
	if (copy_to_user(arg, reg, sizeof(*reg)) ||
	    (reg->region_ptr &&
	     copy_to_user(u64_to_user_ptr(reg->region_ptr), &rd, sizeof(rd))))
		ret = -EFAULT;
	else
		ret = io_zcrx_publish(ctx, id, ifq);
	if (ret) {
		xa_erase(&ctx->zcrx_ctxs, id);
		io_zcrx_drop_user(ifq);
	}
out:
	fdput(f);
	return ret;
}

/* Registration */

static int io_zcrx_bind(struct io_zcrx_ifq *ifq,
			const struct io_uring_zcrx_ifq_reg *reg,
			const struct io_uring_zcrx_area_reg *area_reg)
{
	struct net_device *dev;
	int ret;

	rtnl_lock();
	dev = __dev_get_by_index(current->nsproxy->net_ns, reg->if_idx);
	if (!dev) {
		ret = -ENODEV;
		goto out;
	}
	ret = -EOPNOTSUPP;
	if (!dev->dev.parent)
		goto out;
	ifq->dma_dev = get_device(dev->dev.parent);

	ret = io_zcrx_create_area(ifq, area_reg);
	if (ret)
		goto out;
	ret = net_mp_bind_rxq(dev, reg->if_rxq, &io_zcrx_ops, ifq, NULL);
	if (ret)
		goto out;
	ifq->netdev = dev;
	ifq->if_rxq = reg->if_rxq;
out:
	rtnl_unlock();
	return ret;
}

/**
 * io_register_zcrx_ifq - IORING_REGISTER_ZCRX_IFQ
 * @ctx: the ring, its uring_lock held
 * @arg: struct io_uring_zcrx_ifq_reg
 *
 * Return: 0, or -errno: -EPERM without CAP_NET_ADMIN, -EINVAL for a ring
 * without DEFER_TASKRUN and CQE32 or bad arguments, -EFAULT, -ENODEV for
 * an unknown device, -EEXIST for a bound queue, -ERANGE for a queue the
 * device lacks, -ENOMEM when the pinned memory limit is reached.
 */
int io_register_zcrx_ifq(struct io_ring_ctx *ctx, void __user *arg)
{
	struct io_uring_zcrx_area_reg area_reg;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_region_desc rd;
	struct io_zcrx_ifq *ifq;
	bool nodev;
	u32 id;
	int ret;

	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	if (!(ctx->flags & IORING_SETUP_DEFER_TASKRUN) ||
	    !(ctx->flags & IORING_SETUP_CQE32) ||
	    !(ctx->flags & IORING_SETUP_SINGLE_ISSUER))
		return -EINVAL;
	if (copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	if (reg.flags & ZCRX_REG_IMPORT)
		return io_zcrx_import(ctx, &reg, arg);
	if (!reg.region_ptr)
		return -EFAULT;
	if (copy_from_user(&rd, u64_to_user_ptr(reg.region_ptr), sizeof(rd)))
		return -EFAULT;
	if (memchr_inv(reg.__resv, 0, sizeof(reg.__resv)) || reg.zcrx_id ||
	    memchr_inv(&reg.offsets, 0, sizeof(reg.offsets)))
		return -EINVAL;
	if (reg.flags & ~ZCRX_REG_NODEV)
		return -EINVAL;
	nodev = reg.flags & ZCRX_REG_NODEV;
	if ((!nodev && reg.if_rxq == -1) || !reg.rq_entries)
		return -EINVAL;
	if (reg.rx_buf_len && reg.rx_buf_len != PAGE_SIZE)
		return -EINVAL;
	if (reg.rq_entries > IO_ZCRX_MAX_RQ_ENTRIES) {
		if (!(ctx->flags & IORING_SETUP_CLAMP))
			return -EINVAL;
		reg.rq_entries = IO_ZCRX_MAX_RQ_ENTRIES;
	}
	reg.rq_entries = roundup_pow_of_two(reg.rq_entries);
	if (!reg.area_ptr)
		return -EFAULT;
	if (copy_from_user(&area_reg, u64_to_user_ptr(reg.area_ptr),
			   sizeof(area_reg)))
		return -EFAULT;

	ifq = kzalloc(sizeof(*ifq), GFP_KERNEL);
	if (!ifq)
		return -ENOMEM;
	refcount_set(&ifq->refs, 1);
	refcount_set(&ifq->users, 1);
	spin_lock_init(&ifq->rq_lock);
	init_rwsem(&ifq->dma_sem);
	INIT_WORK(&ifq->free_work, io_zcrx_free_work);
	ifq->rq_entries = reg.rq_entries;
	if (ctx->user)
		ifq->user = get_uid(ctx->user);
	if (ctx->mm_account) {
		mmgrab(ctx->mm_account);
		ifq->mm_account = ctx->mm_account;
	}

	/* The refill ring first: the queue's page_pool reads it as soon as
	 * the queue restarts bound, for the next packet.
	 */
	ret = io_zcrx_create_region(ifq, &rd);
	if (ret)
		goto err;
	if (nodev)
		ret = io_zcrx_create_area(ifq, &area_reg);
	else
		ret = io_zcrx_bind(ifq, &reg, &area_reg);
	if (ret)
		goto err;

	ret = io_zcrx_reserve_id(ctx, &id);
	if (ret)
		goto err;

	io_zcrx_fill_reg(ifq, id, &reg, &rd);
	area_reg.rq_area_token = 0;
	if (copy_to_user(arg, &reg, sizeof(reg)) ||
	    copy_to_user(u64_to_user_ptr(reg.region_ptr), &rd, sizeof(rd)) ||
	    copy_to_user(u64_to_user_ptr(reg.area_ptr), &area_reg,
			 sizeof(area_reg)))
		ret = -EFAULT;
	else
		ret = io_zcrx_publish(ctx, id, ifq);
	if (ret) {
		xa_erase(&ctx->zcrx_ctxs, id);
		goto err;
	}
	return 0;
err:
	if (ifq->area)
		io_zcrx_shutdown(ifq);
	io_zcrx_ifq_put(ifq);
	return ret;
}

/**
 * io_unregister_zcrx_ifqs - the ring is going away: shut its zcrxs down
 * @ctx: the ring, with no requests left
 */
void io_unregister_zcrx_ifqs(struct io_ring_ctx *ctx)
{
	struct io_zcrx_ifq *ifq;
	unsigned long id;

	xa_for_each(&ctx->zcrx_ctxs, id, ifq) {
		xa_erase(&ctx->zcrx_ctxs, id);
		io_zcrx_drop_user(ifq);
	}
	xa_destroy(&ctx->zcrx_ctxs);
}

/**
 * io_register_zcrx_ctrl - IORING_REGISTER_ZCRX_CTRL
 * @ctx: the ring, its uring_lock held
 * @arg: struct zcrx_ctrl
 *
 * ZCRX_CTRL_FLUSH_RQ consumes the refill ring now; ZCRX_CTRL_EXPORT returns
 * an fd another ring imports the zcrx from (ZCRX_REG_IMPORT).
 *
 * Return: 0, -EFAULT, -EINVAL for an unknown zcrx, op or reserved bits
 * set, or the error of creating the fd.
 */
int io_register_zcrx_ctrl(struct io_ring_ctx *ctx, void __user *arg)
{
	struct io_zcrx_ifq *ifq;
	struct zcrx_ctrl ctrl;

	if (copy_from_user(&ctrl, arg, sizeof(ctrl)))
		return -EFAULT;
	if (memchr_inv(ctrl.__resv, 0, sizeof(ctrl.__resv)))
		return -EINVAL;
	ifq = xa_load(&ctx->zcrx_ctxs, ctrl.zcrx_id);
	if (!ifq)
		return -EINVAL;

	switch (ctrl.op) {
	case ZCRX_CTRL_FLUSH_RQ:
		if (memchr_inv(&ctrl.zc_flush, 0, sizeof(ctrl.zc_flush)))
			return -EINVAL;
		io_zcrx_ring_refill(ifq, NULL);
		return 0;
	case ZCRX_CTRL_EXPORT:
		return io_zcrx_export(ifq, &ctrl, arg);
	}
	return -EINVAL;
}

/* mmap of a kernel-allocated refill ring region */

static struct io_zcrx_ifq *io_zcrx_mmap_ifq(struct io_ring_ctx *ctx,
					    loff_t offset)
{
	struct io_zcrx_ifq *ifq;
	unsigned long id;

	if (offset & ((1ULL << IORING_OFF_ZCRX_SHIFT) - 1))
		return NULL;
	id = (offset & ~IORING_OFF_MMAP_MASK) >> IORING_OFF_ZCRX_SHIFT;
	ifq = xa_load(&ctx->zcrx_ctxs, id);
	if (!ifq || ifq->region_user)
		return NULL;
	return ifq;
}

void *io_zcrx_region_ptr(struct io_ring_ctx *ctx, loff_t offset, size_t sz)
{
	struct io_zcrx_ifq *ifq = io_zcrx_mmap_ifq(ctx, offset);

	if (!ifq || sz > ((size_t)ifq->nr_region_pages << PAGE_SHIFT))
		return ERR_PTR(-EINVAL);
	return ifq->region;
}

int io_zcrx_mmap(struct io_ring_ctx *ctx, struct vm_area_struct *vma,
		 loff_t offset)
{
	struct io_zcrx_ifq *ifq = io_zcrx_mmap_ifq(ctx, offset);
	size_t sz = vma->vm_end - vma->vm_start;

	if (!ifq)
		return -EINVAL;
	return io_uring_mmap_pages(ctx, vma, ifq->region_pages,
				   min_t(size_t, ifq->nr_region_pages,
					 PAGE_ALIGN(sz) >> PAGE_SHIFT));
}

/* IORING_OP_RECV_ZC */

struct io_zcrx_args {
	struct io_kiocb		*req;
	struct io_zcrx_ifq	*ifq;
	int			err;
};

/* Post a completion for @len bytes at @niov + @off and hand the buffer to
 * user space. The CQE is reserved first and published last: references are
 * taken only once the completion cannot fail, so none is ever rolled back
 * under a refill that consumed it, and before user space can see the CQE,
 * so a refill entry cannot come first. The CQ never overflows here: a full
 * CQ ends the receive with -ENOSPC and the application re-arms.
 */
static bool io_zcrx_post(struct io_kiocb *req, struct net_iov *niov,
			 unsigned int off, unsigned int len, bool pool_ref)
{
	struct io_zcrx_area *area = io_zcrx_iov_area(niov);
	netmem_ref netmem = net_iov_to_netmem(niov);
	unsigned int idx = net_iov_idx(niov);
	struct io_ring_ctx *ctx = req->ctx;
	struct io_uring_cqe *cqe;

	io_cq_lock(ctx);
	cqe = io_get_cqe(ctx);
	if (cqe) {
		atomic_inc(&area->user_refs[idx]);
		if (pool_ref)
			atomic_long_inc(netmem_get_pp_ref_count_ref(netmem));
		ctx->cq_extra++;
		WRITE_ONCE(cqe->user_data, req->cqe.user_data);
		WRITE_ONCE(cqe->res, len);
		WRITE_ONCE(cqe->flags, IORING_CQE_F_MORE);
		/* Registration requires IORING_SETUP_CQE32. */
		WRITE_ONCE(cqe->big_cqe[0], ((u64)idx << PAGE_SHIFT) + off);
		WRITE_ONCE(cqe->big_cqe[1], 0);
	}
	io_cq_unlock_post(ctx);
	return cqe;
}

/* The device wrote through a mapping that may bounce (swiotlb, a small DMA
 * mask, a confidential guest): user space reads the pages themselves.
 * Areas are mapped without syncs; each write the CPU will see is synced
 * here. A dma-buf area is its exporter's to keep coherent.
 */
static void io_zcrx_sync_for_cpu(struct io_zcrx_ifq *ifq,
				 struct net_iov *niov, unsigned int off,
				 unsigned int len)
{
	struct io_zcrx_area *area = ifq->area;

	if (!area->pages)
		return;
	/* Once unmapped, the unmap has synced the whole area already. */
	down_read(&ifq->dma_sem);
	if (ifq->dma_dev)
		dma_sync_single_range_for_cpu(ifq->dma_dev,
					      area->dma[net_iov_idx(niov)],
					      off, len, DMA_FROM_DEVICE);
	up_read(&ifq->dma_sem);
}

/* A frag in a buffer of the area: hand it out as it is. */
static int io_zcrx_recv_frag(struct io_zcrx_args *args, const skb_frag_t *frag,
			     unsigned int off, unsigned int len)
{
	struct net_iov *niov = netmem_to_net_iov(skb_frag_netmem(frag));

	if (net_iov_provider(niov) != &io_zcrx_ops ||
	    io_zcrx_iov_area(niov) != args->ifq->area)
		return -EFAULT;
	io_zcrx_sync_for_cpu(args->ifq, niov, skb_frag_off(frag) + off, len);
	if (!io_zcrx_post(args->req, niov, skb_frag_off(frag) + off, len,
			  true))
		return -ENOSPC;
	return len;
}

static struct net_iov *io_zcrx_get_copy_buf(struct io_zcrx_ifq *ifq)
{
	struct net_iov *niov = io_zcrx_pop_free(ifq->area);

	if (niov)
		return niov;
	io_zcrx_ring_refill(ifq, NULL);
	return io_zcrx_pop_free(ifq->area);
}

/* Copy @len bytes of @skb at @offset into free buffers of the area, one
 * completion per buffer. The bytes are in the linear part or in page frags.
 */
static int io_zcrx_copy(struct io_zcrx_args *args, const struct sk_buff *skb,
			const skb_frag_t *frag, unsigned int offset,
			unsigned int len)
{
	struct io_zcrx_area *area = args->ifq->area;
	unsigned int done = 0;

	if (!area->pages)
		return -EFAULT;

	while (done < len) {
		unsigned int n = min_t(unsigned int, len - done, PAGE_SIZE);
		struct net_iov *niov = io_zcrx_get_copy_buf(args->ifq);
		void *dst;

		if (!niov)
			break;
		dst = kmap_local_page(area->pages[net_iov_idx(niov)]);
		if (frag) {
			u32 p_off, p_len, copied;
			struct page *p;
			void *src;

			skb_frag_foreach_page(frag,
					      skb_frag_off(frag) + offset + done,
					      n, p, p_off, p_len, copied) {
				src = kmap_local_page(p);
				memcpy(dst + copied, src + p_off, p_len);
				kunmap_local(src);
			}
		} else {
			memcpy(dst, skb->data + offset + done, n);
		}
		kunmap_local(dst);

		if (!io_zcrx_post(args->req, niov, 0, n, false)) {
			io_zcrx_push_free(area, niov);
			break;
		}
		done += n;
	}
	return done ? done : -ENOSPC;
}

/* Hand out @len bytes of @skb from @offset: bytes in buffers of the area as
 * they are, the others through copies.
 *
 * Return: the bytes handed out, or -errno if none were.
 */
static int __io_zcrx_recv_skb(struct io_zcrx_args *args,
			      const struct sk_buff *skb, unsigned int offset,
			      unsigned int len)
{
	unsigned int start, start_off = offset;
	struct sk_buff *frag_iter;
	int i, ret = 0;

	start = skb_headlen(skb);
	if (offset < start) {
		unsigned int copy = min_t(size_t, start - offset, len);

		ret = io_zcrx_copy(args, skb, NULL, offset, copy);
		if (ret < 0)
			goto out;
		offset += ret;
		len -= ret;
		if (ret != copy)
			goto out;
	}

	for (i = 0; i < skb_shinfo(skb)->nr_frags && len; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];
		unsigned int end = start + skb_frag_size(frag);

		if (offset < end) {
			unsigned int copy = min_t(size_t, end - offset, len);

			if (skb_frag_is_net_iov(frag))
				ret = io_zcrx_recv_frag(args, frag,
							offset - start, copy);
			else
				ret = io_zcrx_copy(args, skb, frag,
						   offset - start, copy);
			if (ret < 0)
				goto out;
			offset += ret;
			len -= ret;
			if (ret != copy)
				goto out;
		}
		start = end;
	}

	skb_walk_frags(skb, frag_iter) {
		unsigned int end = start + frag_iter->len;

		if (!len)
			break;
		if (offset < end) {
			unsigned int copy = min_t(size_t, end - offset, len);

			ret = __io_zcrx_recv_skb(args, frag_iter,
						 offset - start, copy);
			if (ret < 0)
				goto out;
			offset += ret;
			len -= ret;
			if (ret != copy)
				goto out;
		}
		start = end;
	}
out:
	if (offset == start_off)
		return ret;
	return offset - start_off;
}

static int io_zcrx_recv_skb(read_descriptor_t *desc, struct sk_buff *skb,
			    unsigned int offset, size_t len)
{
	struct io_zcrx_args *args = desc->arg.data;
	int ret;

	len = min_t(size_t, len, desc->count);
	if (!len)
		return 0;
	ret = __io_zcrx_recv_skb(args, skb, offset, min_t(size_t, len, INT_MAX));
	if (ret < 0)
		args->err = ret;
	else
		desc->count -= ret;
	return ret;
}

static int io_zcrx_tcp_recv(struct io_kiocb *req, struct io_zcrx_ifq *ifq,
			    struct sock *sk, unsigned int *limit)
{
	struct io_zcrx_args args = { .req = req, .ifq = ifq };
	read_descriptor_t desc = {
		.count = *limit ? *limit : SIZE_MAX,
		.arg.data = &args,
	};
	int ret;

	lock_sock(sk);
	ret = tcp_read_sock(sk, &desc, io_zcrx_recv_skb);
	if (ret > 0) {
		if (*limit)
			*limit -= ret;
	} else if (args.err) {
		ret = args.err;
	} else if (sock_flag(sk, SOCK_DONE) ||
		   (sk->sk_shutdown & RCV_SHUTDOWN)) {
		ret = 0;
	} else if (sk->sk_err) {
		ret = sock_error(sk);
	} else if (sk->sk_state == TCP_CLOSE) {
		ret = -ENOTCONN;
	} else {
		ret = -EAGAIN;
	}
	release_sock(sk);
	return ret;
}

int io_recvzc_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe)
{
	struct io_recvzc *zc = io_kiocb_to_cmd(req, struct io_recvzc);
	unsigned int idx;

	if (sqe->addr || sqe->addr2 || sqe->addr3 || READ_ONCE(sqe->msg_flags))
		return -EINVAL;
	idx = READ_ONCE(sqe->zcrx_ifq_idx);
	zc->ifq = xa_load(&req->ctx->zcrx_ctxs, idx);
	if (!zc->ifq)
		return -EINVAL;
	zc->len = READ_ONCE(sqe->len);
	zc->flags = READ_ONCE(sqe->ioprio);
	if (zc->flags & ~(IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT))
		return -EINVAL;
	if (!(zc->flags & IORING_RECV_MULTISHOT))
		return -EINVAL;
	req->flags |= REQ_F_APOLL_MULTISHOT;
	return 0;
}

int io_recvzc(struct io_kiocb *req, unsigned int issue_flags)
{
	struct io_recvzc *zc = io_kiocb_to_cmd(req, struct io_recvzc);
	struct socket *sock;
	unsigned int had;
	int ret;

	if (!(req->flags & REQ_F_POLLED) &&
	    (zc->flags & IORING_RECVSEND_POLL_FIRST))
		return -EAGAIN;

	sock = sock_from_file(req->file);
	if (unlikely(!sock))
		return -ENOTSOCK;
	if (sock->sk->sk_protocol != IPPROTO_TCP ||
	    sock->sk->sk_type != SOCK_STREAM)
		return -EPROTONOSUPPORT;

	/* Completions that overflowed earlier go first: until they are in the
	 * ring, none of ours may be posted. Without uring_lock the next issue
	 * or a GETEVENTS wait moves them.
	 */
	if (!(issue_flags & IO_URING_F_UNLOCKED))
		io_cqring_overflow_flush_locked(req->ctx);

	had = zc->len;
	do {
		ret = io_zcrx_tcp_recv(req, zc->ifq, sock->sk, &zc->len);
	} while (ret > 0 && (!had || zc->len));

	if (ret == -EAGAIN) {
		if (issue_flags & IO_URING_F_MULTISHOT)
			return IOU_ISSUE_SKIP_COMPLETE;
		return -EAGAIN;
	}
	/* The limit is met, EOF, or an error: the final completion. */
	if (ret > 0)
		ret = 0;
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	if (ret < 0)
		req_set_fail(req);
	io_req_set_res(req, ret, 0);
	if (issue_flags & IO_URING_F_MULTISHOT)
		return IOU_STOP_MULTISHOT;
	return IOU_OK;
}
