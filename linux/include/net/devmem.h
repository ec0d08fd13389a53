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

#include <linux/refcount.h>
#include <linux/types.h>
#include <net/memory_provider.h>
#include <net/netmem.h>

struct dma_buf;
struct dma_buf_attachment;
struct gen_pool;
struct net_device;
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
 */
struct net_devmem_binding {
	struct net_device *dev;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	struct gen_pool *chunks;
	refcount_t refs;
	u32 id;
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
	return net_iov_provider(niov) == &net_devmem_ops;
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

#endif /* _NET_DEVMEM_H */
