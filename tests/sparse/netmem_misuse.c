// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberate misuse of netmem_ref, which is __bitwise: `make check` runs
 * sparse on this file and fails unless every line marked "expect" draws a
 * warning and no other line does. Never built into a kernel.
 */
#include <net/netmem.h>

netmem_ref misuse_from_pointer(struct page *page);
unsigned long misuse_to_integer(netmem_ref netmem);
netmem_ref misuse_from_integer(unsigned long v);
struct page *misuse_to_pointer(netmem_ref netmem);
bool misuse_compare(netmem_ref netmem, unsigned long v);
netmem_ref proper_use(struct page *page);

netmem_ref misuse_from_pointer(struct page *page)
{
	return (netmem_ref)page;	/* expect: cast to restricted */
}

unsigned long misuse_to_integer(netmem_ref netmem)
{
	return netmem;			/* expect: incorrect type */
}

netmem_ref misuse_from_integer(unsigned long v)
{
	return v;			/* expect: incorrect type */
}

struct page *misuse_to_pointer(netmem_ref netmem)
{
	return (struct page *)netmem;	/* expect: cast from restricted */
}

bool misuse_compare(netmem_ref netmem, unsigned long v)
{
	return netmem == v;		/* expect: restricted */
}

/* The helpers are the way: no warning here. */
netmem_ref proper_use(struct page *page)
{
	netmem_ref netmem = page_to_netmem(page);

	return netmem_is_net_iov(netmem) ? 0 : netmem;
}
