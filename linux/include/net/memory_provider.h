/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory providers: sources of page_pool buffers that are not pages.
 *
 * A provider is bound to an RX queue of a device. Restarting the queue makes
 * the driver create a new page_pool for it; that pool takes its buffers from
 * the provider instead of the page allocator. The buffers are net_iovs,
 * grouped in net_iov_areas that name the provider owning them.
 */
#ifndef _NET_MEMORY_PROVIDER_H
#define _NET_MEMORY_PROVIDER_H

#include <net/netmem.h>
#include <net/page_pool.h>

struct net_device;
struct netdev_rx_queue;
struct netlink_ext_ack;
struct sk_buff;

/**
 * struct memory_provider_ops - a source of RX buffers for page_pools
 * @alloc_netmems: hand @pool one or more buffers; return one, place any
 *	others with net_mp_netmem_place_in_cache(). Each buffer must first
 *	go through net_mp_niov_set_page_pool(). Return 0 when the provider
 *	has nothing. Called in the pool's allocation context (NAPI).
 * @release_netmem: take back a buffer that left @pool; its page_pool
 *	fields are already cleared. Any context, including softirq.
 * @init: a pool of a queue bound to the provider is being created (RTNL
 *	held): typically take a reference on the binding. Non-zero fails the
 *	pool's creation.
 * @destroy: @pool is being freed, every buffer came back: undo @init.
 * @nl_fill: add the provider's attributes to a netdev netlink message:
 *	queue attributes (NETDEV_A_QUEUE_*) for @rxq, or page_pool ones
 *	(NETDEV_A_PAGE_POOL_*) for a pool of the provider when @rxq is NULL.
 * @uninstall: @rxq's device is going away, or opened with a driver that
 *	made the queue's pool without the provider (RTNL held): forget the
 *	binding. The queue is not restarted; pools still holding buffers keep
 *	the provider alive through @init's reference, but the device must not
 *	be: once no queue is left, unmap the memory and drop every reference
 *	to the device.
 */
struct memory_provider_ops {
	netmem_ref (*alloc_netmems)(struct page_pool *pool, gfp_t gfp);
	void (*release_netmem)(struct page_pool *pool, netmem_ref netmem);
	int (*init)(struct page_pool *pool);
	void (*destroy)(struct page_pool *pool);
	int (*nl_fill)(void *mp_priv, struct sk_buff *rsp,
		       struct netdev_rx_queue *rxq);
	void (*uninstall)(void *mp_priv, struct netdev_rx_queue *rxq);
};

/**
 * net_iov_provider - the memory provider a net_iov belongs to
 * @niov: the net_iov
 *
 * Return: the ops of the provider owning @niov's area.
 */
static inline const struct memory_provider_ops *
net_iov_provider(const struct net_iov *niov)
{
	return net_iov_owner(niov)->ops;
}

int net_iov_area_init(struct net_iov_area *area, size_t num_niovs,
		      unsigned long base_virtual,
		      const struct memory_provider_ops *ops, void *priv);
void net_iov_area_release(struct net_iov_area *area);

void net_mp_niov_set_page_pool(struct page_pool *pool, struct net_iov *niov);
bool net_mp_netmem_place_in_cache(struct page_pool *pool, netmem_ref netmem);
netmem_ref net_mp_netmem_get_recycled(struct page_pool *pool);

int net_mp_bind_rxq(struct net_device *dev, unsigned int rxq_idx,
		    const struct memory_provider_ops *ops, void *priv,
		    struct netlink_ext_ack *extack);
void net_mp_unbind_rxq(struct net_device *dev, unsigned int rxq_idx,
		       const struct memory_provider_ops *ops, void *priv);
bool net_mp_rxq_bound_from(struct net_device *dev, unsigned int from);
void net_mp_uninstall_dev(struct net_device *dev);
void net_mp_dev_opening(struct net_device *dev);
void net_mp_dev_opened(struct net_device *dev);

#endif /* _NET_MEMORY_PROVIDER_H */
