// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devmem TCP: RX buffers out of a dma-buf.
 *
 * A binding attaches a dma-buf to the DMA device of a network device and
 * maps it. Each mapped chunk becomes a net_iov_area with one net_iov per
 * PAGE_SIZE; the free buffers of all chunks sit in a gen_pool keyed by
 * offset in the dma-buf. The binding is bound to RX queues as their memory provider: the
 * page_pools of those queues take their buffers from the gen_pool, and the
 * device writes payload straight into the dma-buf.
 *
 * Lifetime: the netlink socket that asked for the binding owns one
 * reference; each page_pool created on a bound queue owns another (provider
 * init/destroy). When the socket closes, the queues are unbound (they
 * restart on pages) and the owner reference goes. Pools that still have
 * buffers out (in skbs, or held by sockets through devmem tokens) keep the
 * binding, so the dma-buf stays mapped until the last buffer is back and
 * the last pool is freed. Once no queue is bound (unbind, or the device
 * unregistered), the dma-buf is unmapped and the device let go at once.
 */

#include <linux/dma-buf.h>
#include <linux/genalloc.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/rtnetlink.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <net/devmem.h>
#include <net/memory_provider.h>
#include <net/netlink.h>
#include <net/page_pool.h>
#include <uapi/linux/netdev.h>

MODULE_IMPORT_NS(DMA_BUF);

/* Buffers handed to a pool per alloc_netmems call: one returned, the rest
 * placed in the pool's (then empty) allocation cache.
 */
#define NET_DEVMEM_ALLOC_BATCH	16

/**
 * struct net_devmem_chunk - one mapped chunk of a binding's dma-buf
 * @area: the chunk's net_iovs; base_virtual is the chunk's offset in the
 *	dma-buf, priv the binding
 * @base_dma: DMA address of the chunk's first byte
 */
struct net_devmem_chunk {
	struct net_iov_area area;
	dma_addr_t base_dma;
};

/* Binding ids; allocated cyclically so a closed binding's id is not
 * handed out again right away.
 */
static DEFINE_XARRAY_FLAGS(net_devmem_bindings, XA_FLAGS_ALLOC1);
static u32 net_devmem_next_id;

/* Bindings whose netlink socket is still open */
static DEFINE_MUTEX(net_devmem_owners_lock);
static LIST_HEAD(net_devmem_owners);

static struct net_devmem_chunk *net_devmem_iov_chunk(const struct net_iov *niov)
{
	return container_of(net_iov_owner(niov), struct net_devmem_chunk, area);
}

/* gen_pool_alloc() returns 0 for "nothing left", and 0 is a DMA address
 * like any other: the gen_pool is keyed by dma-buf offset, one page up.
 */
#define NET_DEVMEM_POOL_BASE	PAGE_SIZE

static unsigned long net_devmem_iov_pool_addr(const struct net_iov *niov)
{
	return NET_DEVMEM_POOL_BASE + net_iov_virtual_addr(niov);
}

static dma_addr_t net_devmem_iov_dma(const struct net_iov *niov)
{
	return net_devmem_iov_chunk(niov)->base_dma +
	       ((dma_addr_t)net_iov_idx(niov) << PAGE_SHIFT);
}

static void net_devmem_free_chunk(struct gen_pool *pool,
				  struct gen_pool_chunk *gchunk, void *data)
{
	struct net_devmem_chunk *chunk = gchunk->owner;

	net_iov_area_release(&chunk->area);
	kfree(chunk);
}

/* Once no queue uses the binding, the device never writes to the dma-buf
 * again: unmap it and drop the device then, not when the last buffer comes
 * back from user space, which may be after the device and its driver module
 * are gone. Sleeps; idempotent.
 */
static void net_devmem_dma_release(struct net_devmem_binding *binding)
{
	if (binding->sgt)
		dma_buf_unmap_attachment_unlocked(binding->attach, binding->sgt,
						  DMA_FROM_DEVICE);
	binding->sgt = NULL;
	if (binding->attach)
		dma_buf_detach(binding->dmabuf, binding->attach);
	binding->attach = NULL;
	put_device(binding->dma_dev);
	binding->dma_dev = NULL;
}

/* Undo net_devmem_bind_dmabuf(): no queue bound, no pool left. Sleeps. */
static void __net_devmem_binding_free(struct net_devmem_binding *binding)
{
	if (binding->chunks) {
		/* A buffer still out would be written to unmapped memory:
		 * leak the whole binding rather than free anything under it.
		 */
		if (WARN_ON(gen_pool_avail(binding->chunks) !=
			    gen_pool_size(binding->chunks)))
			return;
		gen_pool_for_each_chunk(binding->chunks, net_devmem_free_chunk,
					NULL);
		gen_pool_destroy(binding->chunks);
	}
	net_devmem_dma_release(binding);
	dma_buf_put(binding->dmabuf);
	if (binding->id)
		xa_erase(&net_devmem_bindings, binding->id);
	xa_destroy(&binding->bound_rxqs);
	kfree(binding);
}

static void net_devmem_binding_free_work(struct work_struct *work)
{
	__net_devmem_binding_free(container_of(work, struct net_devmem_binding,
					       free_work));
}

/**
 * net_devmem_binding_get - take a reference on a binding
 * @binding: the binding, already referenced by the caller
 */
void net_devmem_binding_get(struct net_devmem_binding *binding)
{
	refcount_inc(&binding->refs);
}

/**
 * net_devmem_binding_put - drop a reference on a binding
 * @binding: the binding
 *
 * The last reference unmaps and releases the dma-buf from a work item, so
 * any context may drop it.
 */
void net_devmem_binding_put(struct net_devmem_binding *binding)
{
	if (refcount_dec_and_test(&binding->refs))
		schedule_work(&binding->free_work);
}

/* Split the mapped dma-buf into areas whose free buffers go to the gen_pool */
static int net_devmem_add_chunks(struct net_devmem_binding *binding,
				 struct netlink_ext_ack *extack)
{
	int nid = dev_to_node(binding->dma_dev);
	struct net_devmem_chunk *chunk;
	struct scatterlist *sg;
	unsigned long offset = 0;
	dma_addr_t dma;
	size_t len;
	int err;
	int i;

	binding->chunks = gen_pool_create(PAGE_SHIFT, nid);
	if (!binding->chunks)
		return -ENOMEM;

	for_each_sgtable_dma_sg(binding->sgt, sg, i) {
		dma = sg_dma_address(sg);
		len = sg_dma_len(sg);
		if (!len || !PAGE_ALIGNED(len) || !PAGE_ALIGNED(dma)) {
			NL_SET_ERR_MSG(extack, "dma-buf chunks must be page aligned");
			return -EINVAL;
		}

		chunk = kzalloc_node(sizeof(*chunk), GFP_KERNEL, nid);
		if (!chunk)
			return -ENOMEM;
		err = net_iov_area_init(&chunk->area, len >> PAGE_SHIFT, offset,
					&net_devmem_ops, binding);
		if (err) {
			kfree(chunk);
			return err;
		}
		chunk->base_dma = dma;
		err = gen_pool_add_owner(binding->chunks,
					 NET_DEVMEM_POOL_BASE + offset, dma, len,
					 nid, chunk);
		if (err) {
			net_iov_area_release(&chunk->area);
			kfree(chunk);
			return err;
		}
		offset += len;
	}
	if (!offset) {
		NL_SET_ERR_MSG(extack, "dma-buf is empty");
		return -EINVAL;
	}
	binding->size = offset;
	return 0;
}

/**
 * net_devmem_bind_dmabuf - map a dma-buf for a device's RX queues
 * @dev: the device; its parent is the DMA device the buffers are mapped for
 * @dmabuf_fd: file descriptor of the dma-buf, in the caller's table
 * @extack: netlink extended ack for the reason of a failure
 *
 * The new binding has no queue yet (net_devmem_bind_rxq()) and one
 * reference, the owner's, dropped by net_devmem_unbind_dmabuf(). Called
 * with RTNL held.
 *
 * Return: the binding; ERR_PTR(-EBADF) for a bad fd, ERR_PTR(-EINVAL) for
 * an fd that is not a dma-buf or a dma-buf that cannot serve as page sized
 * buffers, ERR_PTR(-EOPNOTSUPP) for a device without a DMA device, or the
 * error of attaching or mapping.
 */
struct net_devmem_binding *
net_devmem_bind_dmabuf(struct net_device *dev, unsigned int dmabuf_fd,
		       struct netlink_ext_ack *extack)
{
	struct net_devmem_binding *binding;
	struct device *dma_dev;
	struct dma_buf *dmabuf;
	int err;

	ASSERT_RTNL();

	dma_dev = dev->dev.parent;
	if (!dma_dev) {
		NL_SET_ERR_MSG(extack, "device has no DMA device");
		return ERR_PTR(-EOPNOTSUPP);
	}

	dmabuf = dma_buf_get(dmabuf_fd);
	if (IS_ERR(dmabuf)) {
		NL_SET_ERR_MSG(extack, "fd is not a dma-buf");
		return ERR_CAST(dmabuf);
	}

	binding = kzalloc_node(sizeof(*binding), GFP_KERNEL,
			       dev_to_node(dma_dev));
	if (!binding) {
		dma_buf_put(dmabuf);
		return ERR_PTR(-ENOMEM);
	}
	binding->dev = dev;
	binding->dmabuf = dmabuf;
	binding->dma_dev = get_device(dma_dev);
	refcount_set(&binding->refs, 1);
	xa_init(&binding->bound_rxqs);
	INIT_LIST_HEAD(&binding->owner_node);
	INIT_WORK(&binding->free_work, net_devmem_binding_free_work);

	binding->attach = dma_buf_attach(dmabuf, dma_dev);
	if (IS_ERR(binding->attach)) {
		err = PTR_ERR(binding->attach);
		binding->attach = NULL;
		NL_SET_ERR_MSG(extack, "cannot attach the dma-buf to the device");
		goto err_free;
	}

	binding->sgt = dma_buf_map_attachment_unlocked(binding->attach,
						       DMA_FROM_DEVICE);
	if (IS_ERR(binding->sgt)) {
		err = PTR_ERR(binding->sgt);
		binding->sgt = NULL;
		NL_SET_ERR_MSG(extack, "cannot map the dma-buf for the device");
		goto err_free;
	}

	err = net_devmem_add_chunks(binding, extack);
	if (err)
		goto err_free;

	err = xa_alloc_cyclic(&net_devmem_bindings, &binding->id, binding,
			      xa_limit_32b, &net_devmem_next_id, GFP_KERNEL);
	if (err < 0)
		goto err_free;

	return binding;

err_free:
	__net_devmem_binding_free(binding);
	return ERR_PTR(err);
}

/**
 * net_devmem_bind_rxq - make a binding the memory provider of an RX queue
 * @binding: the binding, not yet unbound
 * @rxq_idx: RX queue of the binding's device
 * @extack: netlink extended ack for the reason of a failure
 *
 * Restarts the queue; its new page_pool takes buffers from the dma-buf.
 * Called with RTNL held.
 *
 * Return: 0, or the error of net_mp_bind_rxq() (-EINVAL with header split
 * off, -EEXIST for a queue bound already, -ERANGE for no such queue, ...).
 */
int net_devmem_bind_rxq(struct net_devmem_binding *binding,
			unsigned int rxq_idx, struct netlink_ext_ack *extack)
{
	struct netdev_rx_queue *rxq;
	int err;

	ASSERT_RTNL();

	if (WARN_ON_ONCE(!binding->dev))
		return -ENODEV;

	err = net_mp_bind_rxq(binding->dev, rxq_idx, &net_devmem_ops, binding,
			      extack);
	if (err)
		return err;

	rxq = __netif_get_rx_queue(binding->dev, rxq_idx);
	err = xa_err(xa_store(&binding->bound_rxqs, rxq_idx, rxq, GFP_KERNEL));
	if (err)
		net_mp_unbind_rxq(binding->dev, rxq_idx, &net_devmem_ops,
				  binding);
	return err;
}

/* RTNL held: give every queue of the binding back to the page allocator */
static void net_devmem_unbind_rxqs(struct net_devmem_binding *binding)
{
	struct netdev_rx_queue *rxq;
	unsigned long idx;

	ASSERT_RTNL();

	xa_for_each(&binding->bound_rxqs, idx, rxq) {
		xa_erase(&binding->bound_rxqs, idx);
		net_mp_unbind_rxq(binding->dev, idx, &net_devmem_ops, binding);
	}
	binding->dev = NULL;
	net_devmem_dma_release(binding);
}

/**
 * net_devmem_unbind_dmabuf - unbind every queue and drop the owner reference
 * @binding: the binding, as returned by net_devmem_bind_dmabuf()
 *
 * The queues restart on pages. The dma-buf stays mapped until the pools
 * that used it have all their buffers back. Called with RTNL held.
 */
void net_devmem_unbind_dmabuf(struct net_devmem_binding *binding)
{
	net_devmem_unbind_rxqs(binding);
	net_devmem_binding_put(binding);
}

/**
 * net_devmem_set_owner - tie a binding to the netlink socket that made it
 * @binding: the binding, fully bound
 * @net: the socket's network namespace
 * @portid: the socket's port id
 *
 * When that socket is released the binding is unbound and the owner
 * reference dropped.
 */
void net_devmem_set_owner(struct net_devmem_binding *binding,
			  struct net *net, u32 portid)
{
	binding->owner_net = net;
	binding->owner_portid = portid;
	mutex_lock(&net_devmem_owners_lock);
	list_add_tail(&binding->owner_node, &net_devmem_owners);
	mutex_unlock(&net_devmem_owners_lock);
}

/* A netlink socket is released (process context, no lock held): unbind
 * the bindings it owns. The bindings leave the owner list first, so a new
 * socket that gets the same port id cannot be mistaken for the owner.
 */
static int net_devmem_netlink_event(struct notifier_block *nb,
				    unsigned long event, void *ptr)
{
	struct net_devmem_binding *binding, *tmp;
	struct netlink_notify *n = ptr;
	LIST_HEAD(released);

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;

	mutex_lock(&net_devmem_owners_lock);
	list_for_each_entry_safe(binding, tmp, &net_devmem_owners, owner_node)
		if (binding->owner_net == n->net &&
		    binding->owner_portid == n->portid)
			list_move_tail(&binding->owner_node, &released);
	mutex_unlock(&net_devmem_owners_lock);

	if (list_empty(&released))
		return NOTIFY_DONE;

	rtnl_lock();
	list_for_each_entry_safe(binding, tmp, &released, owner_node) {
		list_del_init(&binding->owner_node);
		net_devmem_unbind_dmabuf(binding);
	}
	rtnl_unlock();
	return NOTIFY_OK;
}

static struct notifier_block net_devmem_netlink_nb = {
	.notifier_call = net_devmem_netlink_event,
};

/* Provider ops; a pool's mp_priv is its queue's binding. */

static int net_devmem_pp_init(struct page_pool *pool)
{
	struct net_devmem_binding *binding = pool->mp_priv;

	/* One net_iov is one PAGE_SIZE buffer, mapped for the DMA device. */
	if (pool->p.order || pool->p.dev != binding->dma_dev)
		return -EINVAL;
	net_devmem_binding_get(binding);
	return 0;
}

static void net_devmem_pp_destroy(struct page_pool *pool)
{
	net_devmem_binding_put(pool->mp_priv);
}

/* Called from the pool's allocation context (NAPI) with its cache empty */
static netmem_ref net_devmem_alloc_netmems(struct page_pool *pool, gfp_t gfp)
{
	struct net_devmem_binding *binding = pool->mp_priv;
	struct net_devmem_chunk *chunk;
	netmem_ref first = 0, netmem;
	struct net_iov *niov;
	unsigned long addr;
	int n;

	for (n = 0; n < NET_DEVMEM_ALLOC_BATCH; n++) {
		addr = gen_pool_alloc_owner(binding->chunks, PAGE_SIZE,
					    (void **)&chunk);
		if (!addr)
			break;

		addr -= NET_DEVMEM_POOL_BASE + chunk->area.base_virtual;
		niov = &chunk->area.niovs[addr >> PAGE_SHIFT];
		netmem = net_iov_to_netmem(niov);
		page_pool_set_dma_addr_netmem(netmem, net_devmem_iov_dma(niov));
		net_mp_niov_set_page_pool(pool, niov);
		if (!first)
			first = netmem;
		else if (!net_mp_netmem_place_in_cache(pool, netmem))
			/* Not expected with an empty cache: let the pool
			 * take it back through its ring.
			 */
			page_pool_put_full_netmem(pool, netmem, false);
	}
	return first;
}

/* Any context, softirq included: gen_pool_free() does not sleep. */
static void net_devmem_release_netmem(struct page_pool *pool,
				      netmem_ref netmem)
{
	struct net_iov *niov = netmem_to_net_iov(netmem);
	struct net_devmem_binding *binding = net_devmem_iov_binding(niov);

	page_pool_set_dma_addr_netmem(netmem, 0);
	gen_pool_free(binding->chunks, net_devmem_iov_pool_addr(niov), PAGE_SIZE);
}

/* For a queue (@rxq set) or, with @rxq NULL, for a page_pool of one. */
static int net_devmem_nl_fill(void *mp_priv, struct sk_buff *rsp,
			      struct netdev_rx_queue *rxq)
{
	const struct net_devmem_binding *binding = mp_priv;
	int type = rxq ? NETDEV_A_QUEUE_DMABUF : NETDEV_A_PAGE_POOL_DMABUF;

	return nla_put_u32(rsp, type, binding->id);
}

/* The queue's device is being unregistered (RTNL held). */
static void net_devmem_uninstall(void *mp_priv, struct netdev_rx_queue *rxq)
{
	struct net_devmem_binding *binding = mp_priv;
	struct netdev_rx_queue *bound;
	unsigned long idx;

	xa_for_each(&binding->bound_rxqs, idx, bound) {
		if (bound == rxq) {
			xa_erase(&binding->bound_rxqs, idx);
			break;
		}
	}
	if (xa_empty(&binding->bound_rxqs)) {
		binding->dev = NULL;
		net_devmem_dma_release(binding);
	}
}

const struct memory_provider_ops net_devmem_ops = {
	.alloc_netmems	= net_devmem_alloc_netmems,
	.release_netmem	= net_devmem_release_netmem,
	.init		= net_devmem_pp_init,
	.destroy	= net_devmem_pp_destroy,
	.nl_fill	= net_devmem_nl_fill,
	.uninstall	= net_devmem_uninstall,
};
EXPORT_SYMBOL_GPL(net_devmem_ops);

static int __init net_devmem_init(void)
{
	return netlink_register_notifier(&net_devmem_netlink_nb);
}
subsys_initcall(net_devmem_init);
