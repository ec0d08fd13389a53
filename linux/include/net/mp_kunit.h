/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the KUnit tests of unreadable-skb guards that sit in static
 * functions of their own files (TCP collapse, tc mirred): they include
 * their test from the file under test and build skbs through this.
 */
#ifndef _NET_MP_KUNIT_H
#define _NET_MP_KUNIT_H

#include <linux/types.h>

struct kunit;
struct sk_buff;

#define MP_KUNIT_HEADER		0x48	/* every header byte */
#define MP_KUNIT_PAYLOAD	0x5a	/* every payload byte */
#define MP_KUNIT_HLEN		64
#define MP_KUNIT_PLEN		1000

struct sk_buff *mp_kunit_page_skb(struct kunit *test, bool unreadable);

#endif /* _NET_MP_KUNIT_H */
