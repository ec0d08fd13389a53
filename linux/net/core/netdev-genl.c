// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "netdev" generic netlink family: devices, their queues, page_pools
 * (net/core/page_pool_user.c) and dma-buf bindings for devmem TCP.
 *
 * Numbers and attribute layouts follow include/uapi/linux/netdev.h and
 * Documentation/netlink/specs/netdev.yaml. Commands this kernel does not
 * implement (napi-get, qstats-get, napi-set, bind-tx) have no op, so
 * genetlink rejects them with -EOPNOTSUPP.
 */

#include <linux/netdevice.h>
#include <linux/notifier.h>
#include <linux/rtnetlink.h>
#include <net/devmem.h>
#include <net/memory_provider.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "netdev-genl.h"

/**
 * netdev_nl_put_uint - put a "uint" attribute
 * @skb: the message
 * @attrtype: attribute type
 * @value: the value
 *
 * 6.1's netlink has no NLA_UINT: the value goes out as a u32 when it fits,
 * else as a u64 without padding, which is what clients of the "uint" type
 * of the YNL specs decode.
 *
 * Return: 0, or -EMSGSIZE.
 */
int netdev_nl_put_uint(struct sk_buff *skb, int attrtype, u64 value)
{
	u32 value32 = value;

	if (value32 == value)
		return nla_put_u32(skb, attrtype, value32);
	return nla_put(skb, attrtype, sizeof(value), &value);
}

/**
 * netdev_nl_get_uint - read a "uint" attribute
 * @nla: the attribute, validated by NETDEV_NLA_POLICY_UINT
 * @value: where to store its value
 * @extack: extended ack for a bad length
 *
 * Return: 0, or -EINVAL unless the attribute is 4 or 8 bytes long.
 */
int netdev_nl_get_uint(const struct nlattr *nla, u64 *value,
		       struct netlink_ext_ack *extack)
{
	switch (nla_len(nla)) {
	case sizeof(u32):
		*value = nla_get_u32(nla);
		return 0;
	case sizeof(u64):
		*value = nla_get_u64(nla);
		return 0;
	}
	NL_SET_ERR_MSG_ATTR(extack, nla, "uint attribute must be 4 or 8 bytes");
	return -EINVAL;
}

/**
 * netdev_nl_reply - answer a do request of the family
 * @rsp: the reply, filled unless @err is set
 * @info: the request
 * @err: 0, or why there is no reply to send
 *
 * Return: @err (@rsp is freed), or the result of sending @rsp.
 */
int netdev_nl_reply(struct sk_buff *rsp, struct genl_info *info, int err)
{
	if (err) {
		nlmsg_free(rsp);
		return err;
	}
	return genlmsg_reply(rsp, info);
}

/**
 * netdev_nl_dump_done - what a dump callback of the family returns
 * @skb: the dump message
 * @err: the error that stopped the dump, or 0
 *
 * A message that filled up (-EMSGSIZE) is sent and the dump resumes where
 * it stopped; another error ends the dump, unless @skb still carries
 * entries: they go first, and the next call meets the error again.
 *
 * Return: the bytes of @skb, or @err.
 */
int netdev_nl_dump_done(struct sk_buff *skb, int err)
{
	if (err && (err != -EMSGSIZE || !skb->len))
		return err;
	return skb->len;
}

/**
 * netdev_nl_ntf_new - start a notification of the family
 * @net: the namespace to notify
 * @grp: the multicast group
 *
 * Return: a message to fill and pass to netdev_nl_ntf_send(), or NULL if
 * nobody in @net listens to @grp or memory is short.
 */
struct sk_buff *netdev_nl_ntf_new(struct net *net, enum netdev_nl_groups grp)
{
	if (!genl_has_listeners(&netdev_nl_family, net, grp))
		return NULL;
	return genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
}

/**
 * netdev_nl_ntf_send - multicast a notification from netdev_nl_ntf_new()
 * @ntf: the message
 * @net: the namespace to notify
 * @grp: the multicast group
 * @err: the result of filling @ntf: if set, @ntf is freed, not sent
 */
void netdev_nl_ntf_send(struct sk_buff *ntf, struct net *net,
			enum netdev_nl_groups grp, int err)
{
	if (err) {
		nlmsg_free(ntf);
		return;
	}
	genlmsg_multicast_netns(&netdev_nl_family, net, ntf, 0, grp,
				GFP_KERNEL);
}

/* Dump the devices of the request's namespace through @dump_one, which
 * keeps its own position within a device in cb->args[1] and up.
 * cb->args[0]: position in the device list to resume from.
 */
static int netdev_nl_dump_devs(struct sk_buff *skb, struct netlink_callback *cb,
			       int (*dump_one)(struct sk_buff *skb,
					       struct netlink_callback *cb,
					       struct net_device *dev))
{
	struct net_device *dev;
	long idx = 0;
	int err = 0;

	for_each_netdev(sock_net(skb->sk), dev) {
		if (idx++ < cb->args[0])
			continue;
		err = dump_one(skb, cb, dev);
		if (err)
			break;
		cb->args[0] = idx;
		memset(&cb->args[1], 0, sizeof(cb->args) - sizeof(cb->args[0]));
	}
	return err;
}

/* dev */

static int netdev_nl_dev_fill(struct sk_buff *rsp, struct net_device *dev,
			      u32 portid, u32 seq, int flags, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(rsp, portid, seq, &netdev_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	/* 6.1 keeps no XDP feature flags for a device: report none. */
	if (nla_put_u32(rsp, NETDEV_A_DEV_IFINDEX, dev->ifindex) ||
	    nla_put_u64_64bit(rsp, NETDEV_A_DEV_XDP_FEATURES, 0,
			      NETDEV_A_DEV_PAD) ||
	    nla_put_u32(rsp, NETDEV_A_DEV_XDP_ZC_MAX_SEGS, 1) ||
	    nla_put_u64_64bit(rsp, NETDEV_A_DEV_XDP_RX_METADATA_FEATURES, 0,
			      NETDEV_A_DEV_PAD) ||
	    nla_put_u64_64bit(rsp, NETDEV_A_DEV_XSK_FEATURES, 0,
			      NETDEV_A_DEV_PAD)) {
		genlmsg_cancel(rsp, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(rsp, hdr);
	return 0;
}

static void netdev_nl_dev_notify(struct net_device *dev, u8 cmd)
{
	struct net *net = dev_net(dev);
	struct sk_buff *ntf;

	ntf = netdev_nl_ntf_new(net, NETDEV_NLGRP_MGMT);
	if (ntf)
		netdev_nl_ntf_send(ntf, net, NETDEV_NLGRP_MGMT,
				   netdev_nl_dev_fill(ntf, dev, 0, 0, 0, cmd));
}

static int netdev_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net_device *dev;
	struct sk_buff *rsp;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NETDEV_A_DEV_IFINDEX))
		return -EINVAL;

	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;

	rtnl_lock();
	dev = __dev_get_by_index(genl_info_net(info),
				 nla_get_u32(info->attrs[NETDEV_A_DEV_IFINDEX]));
	if (dev)
		err = netdev_nl_dev_fill(rsp, dev, info->snd_portid,
					 info->snd_seq, 0, info->genlhdr->cmd);
	else
		err = -ENODEV;
	rtnl_unlock();

	return netdev_nl_reply(rsp, info, err);
}

static int netdev_nl_dev_dump_one(struct sk_buff *skb,
				  struct netlink_callback *cb,
				  struct net_device *dev)
{
	return netdev_nl_dev_fill(skb, dev, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, NLM_F_MULTI,
				  NETDEV_CMD_DEV_GET);
}

static int netdev_nl_dev_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	int err;

	rtnl_lock();
	err = netdev_nl_dump_devs(skb, cb, netdev_nl_dev_dump_one);
	rtnl_unlock();

	return netdev_nl_dump_done(skb, err);
}

/* queue */

static int netdev_nl_queue_fill(struct sk_buff *rsp, struct net_device *dev,
				u32 q_idx, u32 q_type, u32 portid, u32 seq,
				int flags)
{
	struct netdev_rx_queue *rxq;
	void *hdr;

	hdr = genlmsg_put(rsp, portid, seq, &netdev_nl_family, flags,
			  NETDEV_CMD_QUEUE_GET);
	if (!hdr)
		return -EMSGSIZE;

	if (nla_put_u32(rsp, NETDEV_A_QUEUE_ID, q_idx) ||
	    nla_put_u32(rsp, NETDEV_A_QUEUE_IFINDEX, dev->ifindex) ||
	    nla_put_u32(rsp, NETDEV_A_QUEUE_TYPE, q_type))
		goto err_cancel;

	/* 6.1 ties no NAPI instance to a queue: no NETDEV_A_QUEUE_NAPI_ID. */
	if (q_type == NETDEV_QUEUE_TYPE_RX) {
		rxq = __netif_get_rx_queue(dev, q_idx);
		if (rxq->mp.ops && rxq->mp.ops->nl_fill &&
		    rxq->mp.ops->nl_fill(rxq->mp.priv, rsp, rxq))
			goto err_cancel;
	}

	genlmsg_end(rsp, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(rsp, hdr);
	return -EMSGSIZE;
}

static int netdev_nl_queue_validate(struct net_device *dev, u32 q_idx,
				    u32 q_type, struct netlink_ext_ack *extack)
{
	unsigned int n = q_type == NETDEV_QUEUE_TYPE_RX ?
			 dev->real_num_rx_queues : dev->real_num_tx_queues;

	if (q_idx >= n) {
		NL_SET_ERR_MSG(extack, "queue index out of range");
		return -EINVAL;
	}
	return 0;
}

static int netdev_nl_queue_get_doit(struct sk_buff *skb,
				    struct genl_info *info)
{
	u32 q_idx, q_type, ifindex;
	struct net_device *dev;
	struct sk_buff *rsp;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NETDEV_A_QUEUE_ID) ||
	    GENL_REQ_ATTR_CHECK(info, NETDEV_A_QUEUE_TYPE) ||
	    GENL_REQ_ATTR_CHECK(info, NETDEV_A_QUEUE_IFINDEX))
		return -EINVAL;

	q_idx = nla_get_u32(info->attrs[NETDEV_A_QUEUE_ID]);
	q_type = nla_get_u32(info->attrs[NETDEV_A_QUEUE_TYPE]);
	ifindex = nla_get_u32(info->attrs[NETDEV_A_QUEUE_IFINDEX]);

	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;

	rtnl_lock();
	dev = __dev_get_by_index(genl_info_net(info), ifindex);
	if (!dev) {
		err = -ENODEV;
	} else {
		err = netdev_nl_queue_validate(dev, q_idx, q_type,
					       info->extack);
		if (!err)
			err = netdev_nl_queue_fill(rsp, dev, q_idx, q_type,
						   info->snd_portid,
						   info->snd_seq, 0);
	}
	rtnl_unlock();

	return netdev_nl_reply(rsp, info, err);
}

/* The queues of one device, RX first; cb->args[1] and [2] are the next RX
 * and TX queue to report.
 */
static int netdev_nl_queue_dump_one(struct sk_buff *skb,
				    struct netlink_callback *cb,
				    struct net_device *dev)
{
	u32 portid = NETLINK_CB(cb->skb).portid;
	u32 seq = cb->nlh->nlmsg_seq;
	int err;

	for (; cb->args[1] < dev->real_num_rx_queues; cb->args[1]++) {
		err = netdev_nl_queue_fill(skb, dev, cb->args[1],
					   NETDEV_QUEUE_TYPE_RX, portid, seq,
					   NLM_F_MULTI);
		if (err)
			return err;
	}
	for (; cb->args[2] < dev->real_num_tx_queues; cb->args[2]++) {
		err = netdev_nl_queue_fill(skb, dev, cb->args[2],
					   NETDEV_QUEUE_TYPE_TX, portid, seq,
					   NLM_F_MULTI);
		if (err)
			return err;
	}
	return 0;
}

/* With an ifindex, the queues of one device, else of every device */
static int netdev_nl_queue_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct net_device *dev;
	int err;

	rtnl_lock();
	if (info->attrs[NETDEV_A_QUEUE_IFINDEX]) {
		dev = __dev_get_by_index(sock_net(skb->sk),
					 nla_get_u32(info->attrs[NETDEV_A_QUEUE_IFINDEX]));
		err = dev ? netdev_nl_queue_dump_one(skb, cb, dev) : -ENODEV;
	} else {
		err = netdev_nl_dump_devs(skb, cb, netdev_nl_queue_dump_one);
	}
	rtnl_unlock();

	return netdev_nl_dump_done(skb, err);
}

/* bind-rx */

static const struct nla_policy netdev_queue_id_policy[NETDEV_A_QUEUE_TYPE + 1] = {
	[NETDEV_A_QUEUE_ID]	= { .type = NLA_U32 },
	[NETDEV_A_QUEUE_TYPE]	= NLA_POLICY_MAX(NLA_U32, NETDEV_QUEUE_TYPE_TX),
};

/* Check every queue of the request before anything is bound. */
static int netdev_nl_bind_rx_queues_check(struct genl_info *info)
{
	struct nlattr *tb[ARRAY_SIZE(netdev_queue_id_policy)];
	struct nlattr *attr;
	int rem, n = 0;
	int err;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != NETDEV_A_DMABUF_QUEUES)
			continue;
		err = nla_parse_nested(tb, ARRAY_SIZE(tb) - 1, attr,
				       netdev_queue_id_policy, info->extack);
		if (err)
			return err;
		if (NL_REQ_ATTR_CHECK(info->extack, attr, tb,
				      NETDEV_A_QUEUE_ID) ||
		    NL_REQ_ATTR_CHECK(info->extack, attr, tb,
				      NETDEV_A_QUEUE_TYPE))
			return -EINVAL;
		if (nla_get_u32(tb[NETDEV_A_QUEUE_TYPE]) !=
		    NETDEV_QUEUE_TYPE_RX) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[NETDEV_A_QUEUE_TYPE],
					    "only RX queues take a dma-buf");
			return -EINVAL;
		}
		n++;
	}
	if (!n) {
		NL_SET_ERR_MSG(info->extack, "no queue to bind");
		return -EINVAL;
	}
	return 0;
}

static int netdev_nl_bind_rx_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[ARRAY_SIZE(netdev_queue_id_policy)];
	struct net_devmem_binding *binding;
	struct net_device *dev;
	struct sk_buff *rsp;
	struct nlattr *attr;
	u32 ifindex, fd;
	void *hdr;
	int rem;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NETDEV_A_DMABUF_IFINDEX) ||
	    GENL_REQ_ATTR_CHECK(info, NETDEV_A_DMABUF_FD))
		return -EINVAL;
	ifindex = nla_get_u32(info->attrs[NETDEV_A_DMABUF_IFINDEX]);
	fd = nla_get_u32(info->attrs[NETDEV_A_DMABUF_FD]);

	err = netdev_nl_bind_rx_queues_check(info);
	if (err)
		return err;

	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;
	hdr = genlmsg_put(rsp, info->snd_portid, info->snd_seq,
			  &netdev_nl_family, 0, info->genlhdr->cmd);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free_msg;
	}

	rtnl_lock();
	dev = __dev_get_by_index(genl_info_net(info), ifindex);
	if (!dev) {
		NL_SET_ERR_MSG(info->extack, "no such device");
		err = -ENODEV;
		goto err_unlock;
	}

	binding = net_devmem_bind_dmabuf(dev, fd, info->extack);
	if (IS_ERR(binding)) {
		err = PTR_ERR(binding);
		goto err_unlock;
	}

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != NETDEV_A_DMABUF_QUEUES)
			continue;
		err = nla_parse_nested(tb, ARRAY_SIZE(tb) - 1, attr,
				       netdev_queue_id_policy, info->extack);
		if (err)
			goto err_unbind;
		err = net_devmem_bind_rxq(binding,
					  nla_get_u32(tb[NETDEV_A_QUEUE_ID]),
					  info->extack);
		if (err)
			goto err_unbind;
	}

	err = nla_put_u32(rsp, NETDEV_A_DMABUF_ID, binding->id);
	if (err)
		goto err_unbind;
	genlmsg_end(rsp, hdr);

	net_devmem_set_owner(binding, genl_info_net(info), info->snd_portid);
	rtnl_unlock();

	return genlmsg_reply(rsp, info);

err_unbind:
	net_devmem_unbind_dmabuf(binding);
err_unlock:
	rtnl_unlock();
err_free_msg:
	nlmsg_free(rsp);
	return err;
}

/* the family */

static const struct nla_policy netdev_dev_get_policy[NETDEV_A_DEV_IFINDEX + 1] = {
	[NETDEV_A_DEV_IFINDEX]	= NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy netdev_page_pool_get_policy[NETDEV_A_PAGE_POOL_ID + 1] = {
	[NETDEV_A_PAGE_POOL_ID]	= NETDEV_NLA_POLICY_UINT,
};

static const struct nla_policy netdev_page_pool_info_policy[NETDEV_A_PAGE_POOL_IFINDEX + 1] = {
	[NETDEV_A_PAGE_POOL_ID]		= NETDEV_NLA_POLICY_UINT,
	[NETDEV_A_PAGE_POOL_IFINDEX]	= NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy netdev_pp_stats_get_policy[NETDEV_A_PAGE_POOL_STATS_INFO + 1] = {
	[NETDEV_A_PAGE_POOL_STATS_INFO] = NLA_POLICY_NESTED(netdev_page_pool_info_policy),
};

static const struct nla_policy netdev_queue_get_policy[NETDEV_A_QUEUE_TYPE + 1] = {
	[NETDEV_A_QUEUE_ID]	= { .type = NLA_U32 },
	[NETDEV_A_QUEUE_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[NETDEV_A_QUEUE_TYPE]	= NLA_POLICY_MAX(NLA_U32, NETDEV_QUEUE_TYPE_TX),
};

static const struct nla_policy netdev_bind_rx_policy[NETDEV_A_DMABUF_FD + 1] = {
	[NETDEV_A_DMABUF_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[NETDEV_A_DMABUF_QUEUES] = NLA_POLICY_NESTED(netdev_queue_id_policy),
	[NETDEV_A_DMABUF_FD]	= { .type = NLA_U32 },
};

static const struct genl_ops netdev_nl_ops[] = {
	{
		.cmd		= NETDEV_CMD_DEV_GET,
		.doit		= netdev_nl_dev_get_doit,
		.dumpit		= netdev_nl_dev_get_dumpit,
		.policy		= netdev_dev_get_policy,
		.maxattr	= NETDEV_A_DEV_IFINDEX,
	},
	{
		.cmd		= NETDEV_CMD_PAGE_POOL_GET,
		.doit		= netdev_nl_page_pool_get_doit,
		.dumpit		= netdev_nl_page_pool_get_dumpit,
		.policy		= netdev_page_pool_get_policy,
		.maxattr	= NETDEV_A_PAGE_POOL_ID,
	},
	{
		.cmd		= NETDEV_CMD_PAGE_POOL_STATS_GET,
		.doit		= netdev_nl_page_pool_stats_get_doit,
		.dumpit		= netdev_nl_page_pool_stats_get_dumpit,
		.policy		= netdev_pp_stats_get_policy,
		.maxattr	= NETDEV_A_PAGE_POOL_STATS_INFO,
	},
	{
		.cmd		= NETDEV_CMD_QUEUE_GET,
		.doit		= netdev_nl_queue_get_doit,
		.dumpit		= netdev_nl_queue_get_dumpit,
		.policy		= netdev_queue_get_policy,
		.maxattr	= NETDEV_A_QUEUE_TYPE,
	},
	{
		.cmd		= NETDEV_CMD_BIND_RX,
		.doit		= netdev_nl_bind_rx_doit,
		.policy		= netdev_bind_rx_policy,
		.maxattr	= NETDEV_A_DMABUF_FD,
		.flags		= GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group netdev_nl_mcgrps[] = {
	[NETDEV_NLGRP_MGMT]		= { .name = NETDEV_MCGRP_MGMT },
	[NETDEV_NLGRP_PAGE_POOL]	= { .name = NETDEV_MCGRP_PAGE_POOL },
};

struct genl_family netdev_nl_family __ro_after_init = {
	.name		= NETDEV_FAMILY_NAME,
	.version	= NETDEV_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= netdev_nl_ops,
	.n_ops		= ARRAY_SIZE(netdev_nl_ops),
	/* Strict validation of every command, header included */
	.resv_start_op	= NETDEV_CMD_BIND_TX + 1,
	.mcgrps		= netdev_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(netdev_nl_mcgrps),
};

/* RTNL held */
static int netdev_nl_netdev_event(struct notifier_block *nb,
				  unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	switch (event) {
	case NETDEV_REGISTER:
		netdev_nl_dev_notify(dev, NETDEV_CMD_DEV_ADD_NTF);
		break;
	case NETDEV_UNREGISTER:
		netdev_nl_dev_notify(dev, NETDEV_CMD_DEV_DEL_NTF);
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block netdev_nl_netdev_nb = {
	.notifier_call	= netdev_nl_netdev_event,
};

static int __init netdev_nl_init(void)
{
	int err;

	err = genl_register_family(&netdev_nl_family);
	if (err)
		return err;

	err = register_netdevice_notifier(&netdev_nl_netdev_nb);
	if (err)
		genl_unregister_family(&netdev_nl_family);
	return err;
}
subsys_initcall(netdev_nl_init);
