// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Restarting one RX queue, and binding memory providers to RX queues.
 *
 * A memory provider replaces the page allocator behind the page_pool of one
 * RX queue. The binding lives in the queue (struct netdev_rx_queue); the
 * driver's page_pool_create() for that queue picks it up. Binding and
 * unbinding restart just that queue through the driver's queue management
 * ops, so the other queues keep receiving.
 */

#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/memory_provider.h>
#include <net/netdev_queues.h>

static bool netdev_can_restart_rxq(const struct net_device *dev)
{
	const struct netdev_queue_mgmt_ops *qops = dev->queue_mgmt_ops;

	return qops && qops->ndo_queue_mem_alloc && qops->ndo_queue_mem_free &&
	       qops->ndo_queue_start && qops->ndo_queue_stop;
}

/**
 * netdev_rx_queue_restart - replace the memory of one running RX queue
 * @dev: the device
 * @rxq_idx: the RX queue
 *
 * Allocates the queue's new memory first, so a failure leaves the queue as
 * it was. A device that is down has nothing to restart: the queue takes its
 * binding when the device opens. Called with RTNL held.
 *
 * Return: 0, -EOPNOTSUPP if the driver has no queue management ops, -ERANGE
 * for a queue the device does not have, or the driver's error.
 */
int netdev_rx_queue_restart(struct net_device *dev, unsigned int rxq_idx)
{
	const struct netdev_queue_mgmt_ops *qops = dev->queue_mgmt_ops;
	void *new_mem, *old_mem;
	int err;

	ASSERT_RTNL();

	if (!netdev_can_restart_rxq(dev))
		return -EOPNOTSUPP;
	if (rxq_idx >= dev->real_num_rx_queues)
		return -ERANGE;
	if (!netif_running(dev))
		return 0;

	new_mem = kvzalloc(qops->ndo_queue_mem_size, GFP_KERNEL);
	old_mem = kvzalloc(qops->ndo_queue_mem_size, GFP_KERNEL);
	if (!new_mem || !old_mem) {
		err = -ENOMEM;
		goto out;
	}

	err = qops->ndo_queue_mem_alloc(dev, new_mem, rxq_idx);
	if (err)
		goto out;

	err = qops->ndo_queue_stop(dev, old_mem, rxq_idx);
	if (err)
		goto err_free_new;

	err = qops->ndo_queue_start(dev, new_mem, rxq_idx);
	if (err)
		goto err_start_old;

	qops->ndo_queue_mem_free(dev, old_mem);
	goto out;

err_start_old:
	if (qops->ndo_queue_start(dev, old_mem, rxq_idx)) {
		netdev_err(dev, "RX queue %u is down: restart failed twice\n",
			   rxq_idx);
		qops->ndo_queue_mem_free(dev, old_mem);
	}
err_free_new:
	qops->ndo_queue_mem_free(dev, new_mem);
out:
	kvfree(old_mem);
	kvfree(new_mem);
	return err;
}
EXPORT_SYMBOL_GPL(netdev_rx_queue_restart);

static bool netdev_header_split_on(struct net_device *dev)
{
	struct kernel_ethtool_ringparam kring = {};
	struct ethtool_ringparam ring = {};

	if (!dev->ethtool_ops || !dev->ethtool_ops->get_ringparam)
		return false;
	dev->ethtool_ops->get_ringparam(dev, &ring, &kring, NULL);
	return kring.tcp_data_split == ETHTOOL_TCP_DATA_SPLIT_ENABLED;
}

/**
 * net_mp_bind_rxq - make a memory provider the source of an RX queue's buffers
 * @dev: the device
 * @rxq_idx: the RX queue
 * @ops: the provider
 * @priv: the provider's state for this binding, handed back in its ops
 * @extack: netlink extended ack for the reason of a failure, or NULL
 *
 * The queue needs header split on (headers must stay readable), no XDP
 * program on the device and no other binding. A running queue is restarted
 * and its new page_pool must have taken the provider; a driver that did not
 * pass the queue and PP_FLAG_ALLOW_UNREADABLE_NETMEM fails the bind. Called
 * with RTNL held.
 *
 * Return: 0; -ERANGE for a bad queue index; -EOPNOTSUPP if the device cannot
 * restart a queue or ignored the provider; -EINVAL with header split off;
 * -EEXIST if the queue is bound already or XDP is attached; -EBUSY for an
 * AF_XDP zero-copy socket on the queue; or the restart's error.
 */
int net_mp_bind_rxq(struct net_device *dev, unsigned int rxq_idx,
		    const struct memory_provider_ops *ops, void *priv,
		    struct netlink_ext_ack *extack)
{
	struct netdev_rx_queue *rxq;
	int err;

	ASSERT_RTNL();

	if (rxq_idx >= dev->real_num_rx_queues) {
		NL_SET_ERR_MSG(extack, "RX queue index out of range");
		return -ERANGE;
	}
	if (!netdev_can_restart_rxq(dev)) {
		NL_SET_ERR_MSG(extack, "device cannot restart an RX queue");
		return -EOPNOTSUPP;
	}
	if (!netdev_header_split_on(dev)) {
		NL_SET_ERR_MSG(extack, "TCP header split is off on the device");
		return -EINVAL;
	}
	if (dev_xdp_prog_count(dev)) {
		NL_SET_ERR_MSG(extack, "an XDP program is attached to the device");
		return -EEXIST;
	}

	rxq = __netif_get_rx_queue(dev, rxq_idx);
	if (rxq->mp.ops) {
		NL_SET_ERR_MSG(extack, "RX queue already has a memory provider");
		return -EEXIST;
	}
#ifdef CONFIG_XDP_SOCKETS
	if (rxq->pool) {
		NL_SET_ERR_MSG(extack, "RX queue is used by AF_XDP zero-copy");
		return -EBUSY;
	}
#endif

	rxq->mp.ops = ops;
	rxq->mp.priv = priv;
	rxq->mp.installed = false;

	err = netdev_rx_queue_restart(dev, rxq_idx);
	if (err) {
		NL_SET_ERR_MSG(extack, "restarting the RX queue failed");
		goto err_clear;
	}
	if (netif_running(dev) && !rxq->mp.installed) {
		/* The new queue runs on pages; dropping the binding is enough. */
		NL_SET_ERR_MSG(extack, "driver did not use the memory provider");
		err = -EOPNOTSUPP;
		goto err_clear;
	}
	return 0;

err_clear:
	rxq->mp = (struct netdev_rxq_mp){};
	return err;
}
EXPORT_SYMBOL_GPL(net_mp_bind_rxq);

/**
 * net_mp_unbind_rxq - give an RX queue back to the page allocator
 * @dev: the device
 * @rxq_idx: the RX queue
 * @ops: the provider bound with net_mp_bind_rxq()
 * @priv: the binding's state passed to net_mp_bind_rxq()
 *
 * Restarts the queue on pages. Buffers of the provider still in flight
 * return to it when their last reference drops, through the old pool. If
 * the queue cannot be restarted, the device is closed: a queue must never
 * fill a provider's memory after its binding is gone.
 * Nothing to do when the binding is already gone (the device was
 * unregistered and the provider uninstalled). Called with RTNL held.
 */
void net_mp_unbind_rxq(struct net_device *dev, unsigned int rxq_idx,
		       const struct memory_provider_ops *ops, void *priv)
{
	struct netdev_rx_queue *rxq;
	int err;

	ASSERT_RTNL();

	if (rxq_idx >= dev->num_rx_queues)
		return;
	rxq = __netif_get_rx_queue(dev, rxq_idx);
	if (rxq->mp.ops != ops || rxq->mp.priv != priv)
		return;

	rxq->mp = (struct netdev_rxq_mp){};
	if (rxq_idx >= dev->real_num_rx_queues)
		return;
	err = netdev_rx_queue_restart(dev, rxq_idx);
	if (!err)
		return;
	/* The queue still fills the provider's buffers, whose owner is about
	 * to release them: closing the device is the one sure stop.
	 */
	netdev_err(dev, "RX queue %u cannot leave its memory provider (%d): closing the device\n",
		   rxq_idx, err);
	dev_close(dev);
}
EXPORT_SYMBOL_GPL(net_mp_unbind_rxq);

/**
 * net_mp_rxq_bound_from - whether a provider is bound at or past a queue
 * @dev: the device
 * @from: first RX queue index to look at
 *
 * Channel changes use it to refuse removing bound queues.
 *
 * Return: true if a queue with index @from or higher has a binding.
 */
bool net_mp_rxq_bound_from(struct net_device *dev, unsigned int from)
{
	unsigned int i;

	for (i = from; i < dev->real_num_rx_queues; i++)
		if (__netif_get_rx_queue(dev, i)->mp.ops)
			return true;
	return false;
}

/* Clear the binding of @rxq and tell its provider: the queue is gone */
static void net_mp_uninstall_rxq(struct netdev_rx_queue *rxq)
{
	struct netdev_rxq_mp mp = rxq->mp;

	rxq->mp = (struct netdev_rxq_mp){};
	if (mp.ops->uninstall)
		mp.ops->uninstall(mp.priv, rxq);
}

/**
 * net_mp_dev_opening - a device with bound queues is about to open
 * @dev: the device, RTNL held
 *
 * Forgets what the pools of the last open did with the bindings, so that
 * net_mp_dev_opened() sees what the driver does in this one.
 */
void net_mp_dev_opening(struct net_device *dev)
{
	struct netdev_rx_queue *rxq;
	unsigned int i;

	ASSERT_RTNL();

	for (i = 0; i < dev->real_num_rx_queues; i++) {
		rxq = __netif_get_rx_queue(dev, i);
		rxq->mp.installed = false;
		rxq->mp.created = false;
	}
}

/**
 * net_mp_dev_opened - drop the bindings a driver ignored at open
 * @dev: the device, opened, RTNL held
 *
 * A queue bound while the device was down was never restarted, so nobody
 * checked that its driver takes providers. If the driver made the queue's
 * page_pool in its open without taking the provider, the queue receives
 * into pages: the binding goes (the provider is told, as when the device
 * goes away), so that queue-get and the provider do not claim otherwise.
 * A driver that makes its pools later is not judged here.
 */
void net_mp_dev_opened(struct net_device *dev)
{
	struct netdev_rx_queue *rxq;
	unsigned int i;

	ASSERT_RTNL();

	for (i = 0; i < dev->real_num_rx_queues; i++) {
		rxq = __netif_get_rx_queue(dev, i);
		if (!rxq->mp.ops || !rxq->mp.created || rxq->mp.installed)
			continue;
		netdev_warn(dev, "RX queue %u: the driver did not take its memory provider at open; binding dropped\n",
			    i);
		net_mp_uninstall_rxq(rxq);
	}
}

/**
 * net_mp_uninstall_dev - tell every provider bound to a device it is going
 * @dev: the device being unregistered, already closed
 *
 * Each binding is cleared, then the provider's uninstall op runs. Pools that
 * still hold provider buffers keep the provider alive on their own.
 */
void net_mp_uninstall_dev(struct net_device *dev)
{
	struct netdev_rx_queue *rxq;
	unsigned int i;

	ASSERT_RTNL();

	for (i = 0; i < dev->num_rx_queues; i++) {
		rxq = __netif_get_rx_queue(dev, i);
		if (rxq->mp.ops)
			net_mp_uninstall_rxq(rxq);
	}
}
