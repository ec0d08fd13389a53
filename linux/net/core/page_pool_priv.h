/* SPDX-License-Identifier: GPL-2.0 */
/* page_pool internals shared with its netlink side (page_pool_user.c) */
#ifndef __NET_CORE_PAGE_POOL_PRIV_H
#define __NET_CORE_PAGE_POOL_PRIV_H

#include <net/page_pool.h>

s32 page_pool_inflight_count(const struct page_pool *pool);

int page_pool_list(struct page_pool *pool);
void page_pool_unlist(struct page_pool *pool);
void page_pool_detached(struct page_pool *pool);

#endif /* __NET_CORE_PAGE_POOL_PRIV_H */
