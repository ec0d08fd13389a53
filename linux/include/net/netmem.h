/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netmem: network memory that may or may not be a struct page.
 *
 * A netmem_ref names one RX buffer. Most are ordinary pages. Others are
 * struct net_iov: descriptors of memory the kernel may not be able to
 * read or map as a page (device memory behind a dma-buf, user memory
 * registered for zero-copy receive). Bit 0 of the handle tells the two
 * apart; it never says which memory provider owns a net_iov, the owning
 * net_iov_area does.
 *
 * netmem_ref is __bitwise: sparse rejects mixing it with pointers or
 * integers. Convert only through the helpers below.
 */
#ifndef _NET_NETMEM_H
#define _NET_NETMEM_H

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <net/net_debug.h>

typedef unsigned long __bitwise netmem_ref;

/* Tag bit: set for a net_iov, clear for a struct page. Pages and net_iovs
 * are at least word aligned, so bit 0 of their address is always free.
 */
#define NET_IOV		0x01UL

struct page_pool;
struct net_iov_area;
struct memory_provider_ops;

/**
 * struct net_iov - descriptor of one buffer of non-page memory
 * @__unused_flags: overlays page->flags; never read for a net_iov
 * @pp_magic: PP_SIGNATURE while the buffer belongs to a page_pool
 * @pp: the page_pool the buffer belongs to
 * @owner: the area (and so the memory provider) the buffer comes from;
 *	overlays page->_pp_mapping_pad, which page_pool never uses
 * @dma_addr: DMA address of the buffer, set by its provider
 * @dma_addr_upper: upper DMA address bits where dma_addr_t is wider than
 *	a long; page_pool then supports neither fragments nor net_iovs
 * @pp_ref_count: references held on the buffer: 1 while the pool owns
 *	it, one more for each extra holder (an skb frag reference); for a
 *	page of a PP_FLAG_PAGE_FRAG pool, the count of its fragments
 *
 * The page_pool words sit at the offsets they have in struct page, so
 * page_pool code reads them from either kind of netmem without branching.
 */
struct net_iov {
	unsigned long __unused_flags;
	unsigned long pp_magic;
	struct page_pool *pp;
	struct net_iov_area *owner;
	unsigned long dma_addr;
	union {
		unsigned long dma_addr_upper;
		atomic_long_t pp_ref_count;
	};
};

/**
 * struct net_iov_area - a contiguous chunk of provider memory
 * @niovs: one net_iov per PAGE_SIZE of the chunk
 * @num_niovs: number of entries in @niovs
 * @base_virtual: offset of the chunk within the provider's memory (in a
 *	dma-buf, in a registered user area); not a kernel address
 * @priv: the owning provider's private data
 * @ops: the owning provider: which kind of memory the net_iovs describe
 */
struct net_iov_area {
	struct net_iov *niovs;
	size_t num_niovs;
	unsigned long base_virtual;
	void *priv;
	const struct memory_provider_ops *ops;
};

#define NET_IOV_ASSERT_OFFSET(pg, iov)					\
	static_assert(offsetof(struct page, pg) ==			\
		      offsetof(struct net_iov, iov))
NET_IOV_ASSERT_OFFSET(flags, __unused_flags);
NET_IOV_ASSERT_OFFSET(pp_magic, pp_magic);
NET_IOV_ASSERT_OFFSET(pp, pp);
NET_IOV_ASSERT_OFFSET(_pp_mapping_pad, owner);
NET_IOV_ASSERT_OFFSET(dma_addr, dma_addr);
NET_IOV_ASSERT_OFFSET(pp_frag_count, pp_ref_count);
#undef NET_IOV_ASSERT_OFFSET

static_assert(sizeof(netmem_ref) == sizeof(struct page *));

static inline struct net_iov_area *net_iov_owner(const struct net_iov *niov)
{
	return niov->owner;
}

static inline unsigned int net_iov_idx(const struct net_iov *niov)
{
	return niov - net_iov_owner(niov)->niovs;
}

/* Offset of the buffer within its provider's memory. */
static inline unsigned long net_iov_virtual_addr(const struct net_iov *niov)
{
	return net_iov_owner(niov)->base_virtual +
	       ((unsigned long)net_iov_idx(niov) << PAGE_SHIFT);
}

/**
 * netmem_is_net_iov - whether a netmem is a net_iov rather than a page
 * @netmem: the netmem
 *
 * Return: true for a net_iov, false for a page.
 */
static inline bool netmem_is_net_iov(const netmem_ref netmem)
{
	return (__force unsigned long)netmem & NET_IOV;
}

/**
 * netmem_to_page - the page behind a netmem
 * @netmem: the netmem
 *
 * Return: the page, or NULL (with a warning) for a net_iov, which has no
 * struct page. Callers that may see a net_iov test netmem_is_net_iov()
 * first.
 */
static inline struct page *netmem_to_page(const netmem_ref netmem)
{
	if (WARN_ON_ONCE(netmem_is_net_iov(netmem)))
		return NULL;

	return (__force struct page *)netmem;
}

/* As netmem_to_page(), for callers that have checked the tag. */
static inline struct page *__netmem_to_page(const netmem_ref netmem)
{
	return (__force struct page *)netmem;
}

/**
 * netmem_to_net_iov - the net_iov behind a netmem
 * @netmem: the netmem
 *
 * Return: the net_iov, or NULL (with a debug warning) for a page.
 */
static inline struct net_iov *netmem_to_net_iov(const netmem_ref netmem)
{
	if (netmem_is_net_iov(netmem))
		return (struct net_iov *)((__force unsigned long)netmem &
					  ~NET_IOV);

	DEBUG_NET_WARN_ON_ONCE(true);
	return NULL;
}

/**
 * page_to_netmem - the netmem naming a page
 * @page: the page
 *
 * Return: the handle; the same bits as @page.
 */
static inline netmem_ref page_to_netmem(const struct page *page)
{
	return (__force netmem_ref)page;
}

/**
 * net_iov_to_netmem - the netmem naming a net_iov
 * @niov: the net_iov
 *
 * Return: the handle, @niov with the NET_IOV tag set.
 */
static inline netmem_ref net_iov_to_netmem(const struct net_iov *niov)
{
	return (__force netmem_ref)((unsigned long)niov | NET_IOV);
}

/* The page_pool words of either kind, read through the net_iov layout:
 * valid for pages too because the offsets match (asserted above).
 */
static inline struct net_iov *__netmem_clear_lsb(const netmem_ref netmem)
{
	return (struct net_iov *)((__force unsigned long)netmem & ~NET_IOV);
}

/**
 * netmem_get_pp - the page_pool a netmem belongs to
 * @netmem: the netmem
 *
 * Return: the pool, or NULL for a buffer outside any page_pool.
 */
static inline struct page_pool *netmem_get_pp(const netmem_ref netmem)
{
	return __netmem_clear_lsb(netmem)->pp;
}

static inline unsigned long netmem_get_pp_magic(const netmem_ref netmem)
{
	return __netmem_clear_lsb(netmem)->pp_magic;
}

static inline atomic_long_t *netmem_get_pp_ref_count_ref(const netmem_ref netmem)
{
	return &__netmem_clear_lsb(netmem)->pp_ref_count;
}

/**
 * netmem_get_dma_addr - DMA address a page_pool recorded for a netmem
 * @netmem: the netmem
 *
 * Return: the address word; see page_pool_get_dma_addr_netmem() for the
 * full address where dma_addr_t is wider than a long.
 */
static inline dma_addr_t netmem_get_dma_addr(const netmem_ref netmem)
{
	return __netmem_clear_lsb(netmem)->dma_addr;
}

static inline unsigned long netmem_get_dma_addr_upper(const netmem_ref netmem)
{
	return __netmem_clear_lsb(netmem)->dma_addr_upper;
}

/* Writers of the page_pool words, for page_pool and memory providers. */
static inline void netmem_set_pp(netmem_ref netmem, struct page_pool *pool)
{
	__netmem_clear_lsb(netmem)->pp = pool;
}

static inline void netmem_or_pp_magic(netmem_ref netmem, unsigned long magic)
{
	__netmem_clear_lsb(netmem)->pp_magic |= magic;
}

static inline void netmem_clear_pp_magic(netmem_ref netmem)
{
	__netmem_clear_lsb(netmem)->pp_magic = 0;
}

static inline void netmem_set_dma_addr(netmem_ref netmem, unsigned long addr)
{
	__netmem_clear_lsb(netmem)->dma_addr = addr;
}

static inline void netmem_set_dma_addr_upper(netmem_ref netmem,
					     unsigned long upper)
{
	__netmem_clear_lsb(netmem)->dma_addr_upper = upper;
}

/**
 * netmem_is_pfmemalloc - whether a netmem came from the emergency reserves
 * @netmem: the netmem
 *
 * Return: false for a net_iov, which never comes from the page allocator.
 */
static inline bool netmem_is_pfmemalloc(const netmem_ref netmem)
{
	if (netmem_is_net_iov(netmem))
		return false;

	return page_is_pfmemalloc(__netmem_to_page(netmem));
}

/**
 * netmem_nid - NUMA node of a netmem
 * @netmem: the netmem
 *
 * Return: the page's node; NUMA_NO_NODE for a net_iov.
 */
static inline int netmem_nid(const netmem_ref netmem)
{
	if (netmem_is_net_iov(netmem))
		return NUMA_NO_NODE;

	return page_to_nid(__netmem_to_page(netmem));
}

/**
 * netmem_address - kernel virtual address of a netmem's memory
 * @netmem: the netmem
 *
 * Return: the page's address; NULL for a net_iov, whose memory the kernel
 * must not read through a kernel mapping.
 */
static inline void *netmem_address(const netmem_ref netmem)
{
	if (netmem_is_net_iov(netmem))
		return NULL;

	return page_address(__netmem_to_page(netmem));
}

/**
 * netmem_compound_head - the head of a compound page
 * @netmem: the netmem
 *
 * Return: the head page's netmem; a net_iov is its own head.
 */
static inline netmem_ref netmem_compound_head(const netmem_ref netmem)
{
	if (netmem_is_net_iov(netmem))
		return netmem;

	return page_to_netmem(compound_head(__netmem_to_page(netmem)));
}

#endif /* _NET_NETMEM_H */
