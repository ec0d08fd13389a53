// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of mirred's redirect to a device's ingress with unreadable
 * skbs, included at the end of act_mirred.c to reach the static action.
 *
 * Egress redirects meet validate_xmit_skb(); the ingress of another device
 * has no such gate, so mirred drops an unreadable skb itself and counts it
 * as an overlimit of the action.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/if_packet.h>
#include <net/mp_kunit.h>

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* The options of "action mirred ingress redirect dev <ifindex>". */
struct mirredk_opts {
	struct nlattr opts;
	struct nlattr parms_hdr;
	struct tc_mirred parms;
};

static struct tc_action *mirredk_create(struct kunit *test, int ifindex)
{
	struct mirredk_opts o = {
		.opts = { .nla_len = sizeof(o), .nla_type = TCA_ACT_OPTIONS },
		.parms_hdr = { .nla_len = nla_attr_size(sizeof(o.parms)),
			       .nla_type = TCA_MIRRED_PARMS },
		.parms = { .action = TC_ACT_STOLEN,
			   .eaction = TCA_INGRESS_REDIR, .ifindex = ifindex },
	};
	struct tc_action *a = NULL;
	int ret;

	rtnl_lock();
	ret = tcf_mirred_init(&init_net, &o.opts, NULL, &a, NULL, 0, NULL);
	rtnl_unlock();
	KUNIT_ASSERT_EQ(test, ret, ACT_P_CREATED);
	return a;
}

static u64 mirredk_overlimits(struct tc_action *a)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu_ptr(a->cpu_qstats, cpu)->overlimits;
	return n;
}

/* Run the action as tc egress of @dev would; the caller keeps @skb. */
static int mirredk_act(struct tc_action *a, struct net_device *dev,
		       struct sk_buff *skb)
{
	struct tcf_result res = {};
	int ret;

	skb->dev = dev;
	skb->protocol = htons(ETH_P_802_EX1);
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	local_bh_disable();
	rcu_read_lock();
	ret = tcf_mirred_act(skb, a, &res);
	rcu_read_unlock();
	local_bh_enable();	/* runs the target's backlog */
	return ret;
}

static void unreadable_test_mirred_ingress(struct kunit *test)
{
	struct net_device *lo = init_net.loopback_dev;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_802_EX1),
		.sll_ifindex = lo->ifindex,
	};
	size_t len = MP_KUNIT_HLEN + MP_KUNIT_PLEN;
	u8 *buf = kunit_kzalloc(test, len, GFP_KERNEL);
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {};
	struct sk_buff *skb;
	struct tc_action *a;
	struct socket *sock;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	rtnl_lock();
	ret = dev_open(lo, NULL);
	rtnl_unlock();
	KUNIT_ASSERT_EQ(test, ret, 0);
	/* Sees what reaches lo's ingress with an experimental ethertype. */
	ret = sock_create_kern(&init_net, AF_PACKET, SOCK_RAW,
			       (__force int)htons(ETH_P_802_EX1), &sock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kernel_bind(sock, (struct sockaddr *)&sll, sizeof(sll));
	KUNIT_ASSERT_EQ(test, ret, 0);
	a = mirredk_create(test, lo->ifindex);

	/* A readable skb is redirected, whole. */
	skb = mp_kunit_page_skb(test, false);
	KUNIT_EXPECT_EQ(test, mirredk_act(a, lo, skb), TC_ACT_STOLEN);
	kfree_skb(skb);
	ret = kernel_recvmsg(sock, &msg, &kv, 1, len, MSG_DONTWAIT);
	KUNIT_EXPECT_EQ(test, ret, len);
	KUNIT_EXPECT_EQ(test, buf[len - 1], MP_KUNIT_PAYLOAD);
	KUNIT_EXPECT_EQ(test, mirredk_overlimits(a), 0);

	/* An unreadable one is dropped and counted; nothing arrives. */
	memset(buf, 0, len);
	skb = mp_kunit_page_skb(test, true);
	KUNIT_EXPECT_EQ(test, mirredk_act(a, lo, skb), TC_ACT_STOLEN);
	kfree_skb(skb);
	ret = kernel_recvmsg(sock, &msg, &kv, 1, len, MSG_DONTWAIT);
	KUNIT_EXPECT_EQ(test, ret, -EAGAIN);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0, len));
	KUNIT_EXPECT_EQ(test, mirredk_overlimits(a), 1);

	tcf_idr_release(a, false);
	sock_release(sock);
}

static struct kunit_case mirred_test_cases[] = {
	KUNIT_CASE(unreadable_test_mirred_ingress),
	{}
};

static struct kunit_suite mirred_test_suite = {
	.name = "unreadable_skb_mirred",
	.test_cases = mirred_test_cases,
};

kunit_test_suite(mirred_test_suite);
