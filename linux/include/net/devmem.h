/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devmem TCP: a memory provider serving RX buffers out of a dma-buf.
 *
 * A binding maps one dma-buf for one device and bound to some of its RX
 * queues; each mapped chunk of the dma-buf becomes a net_iov_area whose
 * priv is the binding. The stack hands user space offsets into the dma-buf
 * and tokens, never the bytes; net_iov_virtual_addr() of a devmem net_iov
 * is its offset in the dma-buf.
 */
#ifndef _NET_DEVMEM_H
#define _NET_DEVMEM_H

#include <linux/err.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/memory_provider.h>
#include <net/netmem.h>

struct dma_buf;
struct dma_buf_attachment;
struct gen_pool;
struct net_device;
struct net;
struct netlink_ext_ack;
struct sg_table;

/**
 * struct net_devmem_binding - a dma-buf mapped for a device's RX queues
 * @dev: the device the dma-buf is attached to
 * @dmabuf: the dma-buf, referenced for the binding's lifetime
 * @attach: the dma-buf's attachment to @dev's DMA device
 * @sgt: the mapped scatter list
 * @chunks: allocator of free PAGE_SIZE buffers across every mapped chunk
 * @refs: one for the owner (the netlink socket), one per page_pool using it
 * @id: binding id reported to user space; never 0
 * @dma_dev: the device the dma-buf is attached to and mapped for (@dev's
 *	parent), referenced until the dma-buf is detached; with @attach and
 *	@sgt, NULL once no queue is bound
 * @size: bytes of the dma-buf served as RX buffers
 * @bound_rxqs: the RX queues of @dev bound to the binding, by index (RTNL)
 * @owner_net: network namespace of the netlink socket owning the binding
 * @owner_portid: its port id; the binding is unbound when it closes
 * @owner_node: entry in the list of bindings with a live owner
 * @free_work: frees the binding once the last reference is gone
 *
 * @dev is NULL once no queue is bound any more (unbound, or the device was
 * unregistered), and the dma-buf is unmapped then; the binding itself lives
 * until every page_pool that took buffers from it is gone, so net_iovs held
 * by sockets stay valid.
 */
struct net_devmem_binding {
	struct net_device *dev;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	struct gen_pool *chunks;
	refcount_t refs;
	u32 id;
	struct device *dma_dev;
	size_t size;
	struct xarray bound_rxqs;
	struct net *owner_net;
	u32 owner_portid;
	struct list_head owner_node;
	struct work_struct free_work;
};

extern const struct memory_provider_ops net_devmem_ops;

/**
 * net_iov_is_devmem - does a net_iov belong to a devmem binding
 * @niov: the net_iov
 *
 * Return: true if @niov describes dma-buf memory of a devmem binding.
 */
static inline bool net_iov_is_devmem(const struct net_iov *niov)
{
#ifdef CONFIG_NET_DEVMEM
	return net_iov_provider(niov) == &net_devmem_ops;
#else
	return false;
#endif
}

/**
 * net_devmem_iov_binding - the binding a devmem net_iov belongs to
 * @niov: a net_iov for which net_iov_is_devmem() holds
 *
 * Return: the binding; alive as long as @niov belongs to a page_pool.
 */
static inline struct net_devmem_binding *
net_devmem_iov_binding(const struct net_iov *niov)
{
	return net_iov_owner(niov)->priv;
}

#ifdef CONFIG_NET_DEVMEM
struct net_devmem_binding *
net_devmem_bind_dmabuf(struct net_device *dev, unsigned int dmabuf_fd,
		       struct netlink_ext_ack *extack);
int net_devmem_bind_rxq(struct net_devmem_binding *binding,
			unsigned int rxq_idx, struct netlink_ext_ack *extack);
void net_devmem_set_owner(struct net_devmem_binding *binding,
			  struct net *net, u32 portid);
void net_devmem_unbind_dmabuf(struct net_devmem_binding *binding);
void net_devmem_binding_get(struct net_devmem_binding *binding);
void net_devmem_binding_put(struct net_devmem_binding *binding);
#else
static inline struct net_devmem_binding *
net_devmem_bind_dmabuf(struct net_device *dev, unsigned int dmabuf_fd,
		       struct netlink_ext_ack *extack)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline int net_devmem_bind_rxq(struct net_devmem_binding *binding,
				      unsigned int rxq_idx,
				      struct netlink_ext_ack *extack)
{
	return -EOPNOTSUPP;
}

static inline void net_devmem_set_owner(struct net_devmem_binding *binding,
					struct net *net, u32 portid)
{
}

static inline void net_devmem_unbind_dmabuf(struct net_devmem_binding *binding)
{
}

static inline void net_devmem_binding_get(struct net_devmem_binding *binding)
{
}

static inline void net_devmem_binding_put(struct net_devmem_binding *binding)
{
}
#endif /* CONFIG_NET_DEVMEM */

#endif /* _NET_DEVMEM_H */
