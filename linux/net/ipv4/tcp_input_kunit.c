// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of tcp_collapse() and tcp_urg() with unreadable skbs, included
 * at the end of tcp_input.c so they can reach the static functions.
 *
 * Collapsing copies payload into fresh skbs: an unreadable skb must be left
 * in the queue as it is, neither copied out of nor merged into. An urgent
 * byte the CPU must not read stays in band instead of being taken out.
 */

#include <kunit/test.h>
#include <net/mp_kunit.h>

#define TCPK_SEQ	1000
#define TCPK_LEN	100

/* A small readable segment in a big buffer: tcp_collapse() wants it. */
static struct sk_buff *tcpk_bloated(struct kunit *test, u8 byte)
{
	struct sk_buff *skb = alloc_skb(4096, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	memset(skb_put(skb, TCPK_LEN), byte, TCPK_LEN);
	return skb;
}

static u32 tcpk_queue(struct sock *sk, struct sk_buff_head *q,
		      struct sk_buff *skb, u32 seq)
{
	TCP_SKB_CB(skb)->seq = seq;
	TCP_SKB_CB(skb)->end_seq = seq + skb->len;
	TCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK;
	skb_set_owner_r(skb, sk);
	__skb_queue_tail(q, skb);
	return seq + skb->len;
}

/* @skb holds exactly TCPK_LEN bytes of @byte, in its linear part. */
static void tcpk_expect_copy(struct kunit *test, struct sk_buff *skb, u8 byte)
{
	KUNIT_EXPECT_EQ(test, skb->len, TCPK_LEN);
	KUNIT_EXPECT_EQ(test, skb->data_len, 0);
	KUNIT_EXPECT_TRUE(test, skb_frags_readable(skb));
	KUNIT_EXPECT_NULL(test, memchr_inv(skb->data, byte, skb_headlen(skb)));
}

static void unreadable_test_tcp_collapse(struct kunit *test)
{
	struct sk_buff *a, *u, *c, *skb;
	struct sk_buff_head q;
	struct socket *sock;
	u32 seq, useq;
	int ret;

	/* Unconnected and private to the test: nothing else touches it. */
	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	__skb_queue_head_init(&q);
	a = tcpk_bloated(test, 'a');
	u = mp_kunit_page_skb(test, true);
	c = tcpk_bloated(test, 'c');
	useq = tcpk_queue(sock->sk, &q, a, TCPK_SEQ);
	seq = tcpk_queue(sock->sk, &q, u, useq);
	seq = tcpk_queue(sock->sk, &q, c, seq);

	/* From a: a is copied, the copy stops in front of u. */
	tcp_collapse(sock->sk, &q, NULL, a, NULL, TCPK_SEQ, seq);
	KUNIT_ASSERT_EQ(test, skb_queue_len(&q), 3);
	skb = skb_peek(&q);
	KUNIT_EXPECT_PTR_NE(test, skb, a);
	tcpk_expect_copy(test, skb, 'a');
	KUNIT_EXPECT_PTR_EQ(test, skb->next, u);
	KUNIT_EXPECT_PTR_EQ(test, skb_peek_tail(&q), c);

	/* From u: u is skipped, c after it is collapsed on its own. */
	tcp_collapse(sock->sk, &q, NULL, u, NULL, useq, seq);
	KUNIT_ASSERT_EQ(test, skb_queue_len(&q), 3);
	KUNIT_EXPECT_PTR_EQ(test, skb_peek(&q)->next, u);
	skb = skb_peek_tail(&q);
	KUNIT_EXPECT_PTR_NE(test, skb, c);
	tcpk_expect_copy(test, skb, 'c');

	/* u is untouched: same bytes, same place, still unreadable. */
	KUNIT_EXPECT_FALSE(test, skb_frags_readable(u));
	KUNIT_EXPECT_EQ(test, u->len, MP_KUNIT_HLEN + MP_KUNIT_PLEN);
	KUNIT_EXPECT_EQ(test, TCP_SKB_CB(u)->seq, useq);
	__skb_queue_purge(&q);
	sock_release(sock);
}

/* A segment whose urgent pointer names a payload byte, 100 bytes in. */
static u16 tcpk_urg(struct kunit *test, bool unreadable)
{
	struct sk_buff *skb = mp_kunit_page_skb(test, unreadable);
	struct tcp_sock *tp;
	struct socket *sock;
	struct tcphdr *th;
	u16 urg_data;
	int ret;

	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	tp = tcp_sk(sock->sk);
	tp->rcv_nxt = TCPK_SEQ;
	tp->copied_seq = TCPK_SEQ;

	/* The header bytes become a TCP header; the byte is in frag 0. */
	th = (struct tcphdr *)skb->data;
	memset(th, 0, sizeof(*th));
	th->doff = sizeof(*th) / 4;
	th->seq = htonl(TCPK_SEQ);
	th->ack = 1;
	th->urg = 1;
	th->urg_ptr = htons(TCPK_LEN + 1);
	KUNIT_ASSERT_GT(test, sizeof(*th) + TCPK_LEN, skb_headlen(skb));

	tcp_urg(sock->sk, skb, th);
	KUNIT_EXPECT_EQ(test, READ_ONCE(tp->urg_seq), TCPK_SEQ + TCPK_LEN);
	urg_data = READ_ONCE(tp->urg_data);
	kfree_skb(skb);
	sock_release(sock);
	return urg_data;
}

static void unreadable_test_tcp_urg(struct kunit *test)
{
	/* A page: the byte is taken out of band, as always. */
	KUNIT_EXPECT_EQ(test, tcpk_urg(test, false),
			TCP_URG_VALID | MP_KUNIT_PAYLOAD);
	/* A memory provider's buffer: BUG() once, now no urgent data. */
	KUNIT_EXPECT_EQ(test, tcpk_urg(test, true), 0);
}

static struct kunit_case tcp_collapse_test_cases[] = {
	KUNIT_CASE(unreadable_test_tcp_collapse),
	KUNIT_CASE(unreadable_test_tcp_urg),
	{}
};

static struct kunit_suite tcp_collapse_test_suite = {
	.name = "unreadable_skb_tcp",
	.test_cases = tcp_collapse_test_cases,
};

kunit_test_suite(tcp_collapse_test_suite);
