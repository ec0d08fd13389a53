/* SPDX-License-Identifier: GPL-2.0 */
/* The "netdev" generic netlink family, shared by its parts in net/core */
#ifndef __NET_CORE_NETDEV_GENL_H
#define __NET_CORE_NETDEV_GENL_H

#include <net/genetlink.h>
#include <uapi/linux/netdev.h>

extern struct genl_family netdev_nl_family;

/* Multicast groups, in the order of the family's mcgrps[] */
enum netdev_nl_groups {
	NETDEV_NLGRP_MGMT,
	NETDEV_NLGRP_PAGE_POOL,
};

/* "uint" attributes: a u32 on the wire when the value fits, else a u64 */
#define NETDEV_NLA_POLICY_UINT	{ .type = NLA_BINARY, .len = sizeof(u64) }

int netdev_nl_put_uint(struct sk_buff *skb, int attrtype, u64 value);
int netdev_nl_get_uint(const struct nlattr *nla, u64 *value,
		       struct netlink_ext_ack *extack);
int netdev_nl_reply(struct sk_buff *rsp, struct genl_info *info, int err);
int netdev_nl_dump_done(struct sk_buff *skb, int err);
struct sk_buff *netdev_nl_ntf_new(struct net *net, enum netdev_nl_groups grp);
void netdev_nl_ntf_send(struct sk_buff *ntf, struct net *net,
			enum netdev_nl_groups grp, int err);

#ifdef CONFIG_PAGE_POOL
int netdev_nl_page_pool_get_doit(struct sk_buff *skb, struct genl_info *info);
int netdev_nl_page_pool_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb);
int netdev_nl_page_pool_stats_get_doit(struct sk_buff *skb,
				       struct genl_info *info);
int netdev_nl_page_pool_stats_get_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb);
#else
static inline int netdev_nl_page_pool_get_doit(struct sk_buff *skb,
					       struct genl_info *info)
{
	return -EOPNOTSUPP;
}

static inline int netdev_nl_page_pool_get_dumpit(struct sk_buff *skb,
						 struct netlink_callback *cb)
{
	return -EOPNOTSUPP;
}

static inline int netdev_nl_page_pool_stats_get_doit(struct sk_buff *skb,
						     struct genl_info *info)
{
	return -EOPNOTSUPP;
}

static inline int
netdev_nl_page_pool_stats_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	return -EOPNOTSUPP;
}
#endif /* CONFIG_PAGE_POOL */

#endif /* __NET_CORE_NETDEV_GENL_H */
