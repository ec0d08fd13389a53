// SPDX-License-Identifier: GPL-2.0
/*
 * page_pools as the netdev netlink family shows them.
 *
 * Every pool gets an id when it is created and keeps it until it is freed,
 * which may be long after its driver destroyed it (buffers in flight). A
 * pool is listed under the device its driver named (page_pool_params
 * netdev); pools without one get an id but are never shown. When the
 * device is unregistered its leftover pools move to the loopback device of
 * the namespace and are shown without an ifindex, until they are freed.
 */

#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/notifier.h>
#include <linux/timekeeping.h>
#include <linux/xarray.h>
#include <net/memory_provider.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/page_pool.h>
#include <net/sock.h>

#include "netdev-genl.h"
#include "page_pool_priv.h"

/* Protects page_pools and pool->user of every pool. Taken inside RTNL. */
static DEFINE_MUTEX(page_pools_lock);
static DEFINE_XARRAY_FLAGS(page_pools, XA_FLAGS_ALLOC1);
static u32 page_pools_next_id;

/* Is @pool shown to a request from @net? page_pools_lock held. */
static bool page_pool_visible(const struct page_pool *pool,
			      const struct net *net)
{
	return pool->user.netdev && net_eq(dev_net(pool->user.netdev), net);
}

/* The pool's id, and its ifindex unless it waits under loopback */
static int page_pool_nl_put_ident(struct sk_buff *rsp,
				  const struct page_pool *pool)
{
	int ifindex = pool->user.netdev->ifindex;

	if (netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_ID, pool->user.id))
		return -EMSGSIZE;
	if (ifindex != LOOPBACK_IFINDEX &&
	    nla_put_u32(rsp, NETDEV_A_PAGE_POOL_IFINDEX, ifindex))
		return -EMSGSIZE;
	return 0;
}

static int page_pool_nl_fill(struct sk_buff *rsp, const struct page_pool *pool,
			     u32 portid, u32 seq, int flags, u8 cmd)
{
	size_t bufsz = PAGE_SIZE << pool->p.order;
	s32 inflight;
	void *hdr;

	hdr = genlmsg_put(rsp, portid, seq, &netdev_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	inflight = page_pool_inflight_count(pool);
	if (inflight < 0)
		inflight = 0;

	if (page_pool_nl_put_ident(rsp, pool) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_INFLIGHT, inflight) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_INFLIGHT_MEM,
			       (u64)inflight * bufsz))
		goto err_cancel;
	if (pool->user.detach_time &&
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_DETACH_TIME,
			       pool->user.detach_time))
		goto err_cancel;
	/* The pool holds its provider: the binding is alive. */
	if (pool->mp_ops && pool->mp_ops->nl_fill &&
	    pool->mp_ops->nl_fill(pool->mp_priv, rsp, NULL))
		goto err_cancel;

	genlmsg_end(rsp, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(rsp, hdr);
	return -EMSGSIZE;
}

/* page_pools_lock held. Process context. */
static void page_pool_nl_notify(const struct page_pool *pool, u8 cmd)
{
	struct sk_buff *ntf;
	struct net *net;

	if (!pool->user.netdev)
		return;
	net = dev_net(pool->user.netdev);
	ntf = netdev_nl_ntf_new(net, NETDEV_NLGRP_PAGE_POOL);
	if (ntf)
		netdev_nl_ntf_send(ntf, net, NETDEV_NLGRP_PAGE_POOL,
				   page_pool_nl_fill(ntf, pool, 0, 0, 0, cmd));
}

/**
 * page_pool_list - give a new pool its id and announce it
 * @pool: the pool, fully initialised
 *
 * Return: 0, or -ENOMEM.
 */
int page_pool_list(struct page_pool *pool)
{
	int err;

	mutex_lock(&page_pools_lock);
	err = xa_alloc_cyclic(&page_pools, &pool->user.id, pool, xa_limit_32b,
			      &page_pools_next_id, GFP_KERNEL);
	if (err >= 0) {
		err = 0;
		pool->user.netdev = pool->p.netdev;
		page_pool_nl_notify(pool, NETDEV_CMD_PAGE_POOL_ADD_NTF);
	}
	mutex_unlock(&page_pools_lock);
	return err;
}

/**
 * page_pool_detached - the driver destroyed a pool with buffers in flight
 * @pool: the pool
 */
void page_pool_detached(struct page_pool *pool)
{
	mutex_lock(&page_pools_lock);
	pool->user.detach_time = ktime_get_boottime_seconds();
	page_pool_nl_notify(pool, NETDEV_CMD_PAGE_POOL_CHANGE_NTF);
	mutex_unlock(&page_pools_lock);
}

/**
 * page_pool_unlist - forget a pool about to be freed
 * @pool: the pool
 */
void page_pool_unlist(struct page_pool *pool)
{
	if (!pool->user.id)
		return;

	mutex_lock(&page_pools_lock);
	page_pool_nl_notify(pool, NETDEV_CMD_PAGE_POOL_DEL_NTF);
	xa_erase(&page_pools, pool->user.id);
	mutex_unlock(&page_pools_lock);
}

/* A device goes away (RTNL held): its pools that are still around, waiting
 * for buffers, stay visible under the namespace's loopback device, unless
 * that goes too (the namespace is dismantled).
 */
static int page_pool_netdev_event(struct notifier_block *nb,
				  unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct net_device *lo = dev_net(dev)->loopback_dev;
	struct page_pool *pool;
	unsigned long id;

	/* A device moving to another namespace stays registered: its pools
	 * go with it.
	 */
	if (event != NETDEV_UNREGISTER || dev->reg_state == NETREG_REGISTERED)
		return NOTIFY_DONE;

	if (lo == dev || !lo || lo->reg_state != NETREG_REGISTERED)
		lo = NULL;

	mutex_lock(&page_pools_lock);
	xa_for_each(&page_pools, id, pool)
		if (pool->user.netdev == dev)
			pool->user.netdev = lo;
	mutex_unlock(&page_pools_lock);
	return NOTIFY_OK;
}

static struct notifier_block page_pool_netdev_nb = {
	.notifier_call = page_pool_netdev_event,
};

static int __init page_pool_user_init(void)
{
	return register_netdevice_notifier(&page_pool_netdev_nb);
}
subsys_initcall(page_pool_user_init);

/* netlink requests */

typedef int (*page_pool_nl_fill_t)(struct sk_buff *rsp,
				   const struct page_pool *pool, u32 portid,
				   u32 seq, int flags, u8 cmd);

static int page_pool_nl_get_one(struct genl_info *info, u64 id,
				page_pool_nl_fill_t fill)
{
	struct page_pool *pool;
	struct sk_buff *rsp;
	int err;

	if (id > U32_MAX)
		return -ENOENT;

	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;

	mutex_lock(&page_pools_lock);
	pool = xa_load(&page_pools, id);
	if (pool && page_pool_visible(pool, genl_info_net(info)))
		err = fill(rsp, pool, info->snd_portid, info->snd_seq, 0,
			   info->genlhdr->cmd);
	else
		err = -ENOENT;
	mutex_unlock(&page_pools_lock);

	return netdev_nl_reply(rsp, info, err);
}

/* cb->args[0]: id of the next pool to report */
static int page_pool_nl_dump(struct sk_buff *skb, struct netlink_callback *cb,
			     page_pool_nl_fill_t fill, u8 cmd)
{
	struct net *net = sock_net(skb->sk);
	struct page_pool *pool;
	unsigned long id;
	int err = 0;

	mutex_lock(&page_pools_lock);
	xa_for_each_start(&page_pools, id, pool, cb->args[0]) {
		if (!page_pool_visible(pool, net))
			continue;
		err = fill(skb, pool, NETLINK_CB(cb->skb).portid,
			   cb->nlh->nlmsg_seq, NLM_F_MULTI, cmd);
		if (err)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&page_pools_lock);

	return netdev_nl_dump_done(skb, err);
}

int netdev_nl_page_pool_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 id;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NETDEV_A_PAGE_POOL_ID))
		return -EINVAL;
	err = netdev_nl_get_uint(info->attrs[NETDEV_A_PAGE_POOL_ID], &id,
				 info->extack);
	if (err)
		return err;
	return page_pool_nl_get_one(info, id, page_pool_nl_fill);
}

int netdev_nl_page_pool_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	return page_pool_nl_dump(skb, cb, page_pool_nl_fill,
				 NETDEV_CMD_PAGE_POOL_GET);
}

#ifdef CONFIG_PAGE_POOL_STATS
static int page_pool_nl_stats_fill(struct sk_buff *rsp,
				   const struct page_pool *pool, u32 portid,
				   u32 seq, int flags, u8 cmd)
{
	struct page_pool_stats stats = {};
	struct nlattr *nest;
	void *hdr;

	/* Reads the counters only; the pool is not changed. */
	page_pool_get_stats((struct page_pool *)pool, &stats);

	hdr = genlmsg_put(rsp, portid, seq, &netdev_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	nest = nla_nest_start(rsp, NETDEV_A_PAGE_POOL_STATS_INFO);
	if (!nest)
		goto err_cancel;
	if (page_pool_nl_put_ident(rsp, pool))
		goto err_cancel;
	nla_nest_end(rsp, nest);

	if (netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_ALLOC_FAST,
			       stats.alloc_stats.fast) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_ALLOC_SLOW,
			       stats.alloc_stats.slow) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_ALLOC_SLOW_HIGH_ORDER,
			       stats.alloc_stats.slow_high_order) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_ALLOC_EMPTY,
			       stats.alloc_stats.empty) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_ALLOC_REFILL,
			       stats.alloc_stats.refill) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_ALLOC_WAIVE,
			       stats.alloc_stats.waive) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_RECYCLE_CACHED,
			       stats.recycle_stats.cached) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_RECYCLE_CACHE_FULL,
			       stats.recycle_stats.cache_full) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_RECYCLE_RING,
			       stats.recycle_stats.ring) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_RECYCLE_RING_FULL,
			       stats.recycle_stats.ring_full) ||
	    netdev_nl_put_uint(rsp, NETDEV_A_PAGE_POOL_STATS_RECYCLE_RELEASED_REFCNT,
			       stats.recycle_stats.released_refcnt))
		goto err_cancel;

	genlmsg_end(rsp, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(rsp, hdr);
	return -EMSGSIZE;
}

int netdev_nl_page_pool_stats_get_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	struct nlattr *tb[NETDEV_A_PAGE_POOL_IFINDEX + 1];
	struct nlattr *nest;
	u64 id;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NETDEV_A_PAGE_POOL_STATS_INFO))
		return -EINVAL;
	nest = info->attrs[NETDEV_A_PAGE_POOL_STATS_INFO];
	/* Validated by the op's policy already. */
	err = nla_parse_nested(tb, ARRAY_SIZE(tb) - 1, nest, NULL,
			       info->extack);
	if (err)
		return err;
	if (tb[NETDEV_A_PAGE_POOL_IFINDEX]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[NETDEV_A_PAGE_POOL_IFINDEX],
				    "selecting pools by ifindex is not supported");
		return -EOPNOTSUPP;
	}
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, NETDEV_A_PAGE_POOL_ID))
		return -EINVAL;
	err = netdev_nl_get_uint(tb[NETDEV_A_PAGE_POOL_ID], &id, info->extack);
	if (err)
		return err;
	return page_pool_nl_get_one(info, id, page_pool_nl_stats_fill);
}

int netdev_nl_page_pool_stats_get_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb)
{
	return page_pool_nl_dump(skb, cb, page_pool_nl_stats_fill,
				 NETDEV_CMD_PAGE_POOL_STATS_GET);
}
#else
int netdev_nl_page_pool_stats_get_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	return -EOPNOTSUPP;
}

int netdev_nl_page_pool_stats_get_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb)
{
	return -EOPNOTSUPP;
}
#endif /* CONFIG_PAGE_POOL_STATS */
