// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for memory providers and unreadable skbs.
 *
 * A test provider presents kernel pages as net_iovs, the way a real
 * provider presents a dma-buf or user memory. It counts what the pool asks
 * of it, so the tests can check that every buffer comes back and that the
 * provider outlives the pools using it.
 *
 * The unreadable-skb cases build an skb whose headers sit in the linear part
 * and whose payload is two of those net_iovs. The net_iov memory holds
 * MPK_PAYLOAD bytes: each guarded path must fail or stop at the headers, and
 * no MPK_PAYLOAD byte may show up in what it produced.
 */

#include <crypto/hash.h>
#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/fdtable.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/if_packet.h>
#include <linux/highmem.h>
#include <linux/netdevice.h>
#include <linux/pipe_fs_i.h>
#include <linux/rtnetlink.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/uio.h>
#include <net/devmem.h>
#include <net/gro.h>
#include <net/memory_provider.h>
#include <net/mp_kunit.h>
#include <net/netdev_queues.h>
#include <net/page_pool.h>
#include <net/sock.h>
#include <net/tcp.h>

#define MPK_NIOVS	16
#define MPK_RXQS	2
#define MPK_PAYLOAD	MP_KUNIT_PAYLOAD
#define MPK_HEADER	MP_KUNIT_HEADER
#define MPK_UNTOUCHED	0xee
#define MPK_HLEN	MP_KUNIT_HLEN
#define MPK_FRAG_LEN	MP_KUNIT_PLEN

struct mpk_provider {
	struct net_iov_area area;
	struct page *pages[MPK_NIOVS];
	spinlock_t lock;	/* free[] and nr_free */
	unsigned int free[MPK_NIOVS];
	unsigned int nr_free;
	int inits, destroys, uninstalls, fail_init;
};

static struct mpk_provider *mpk_pool_provider(struct page_pool *pool)
{
	return pool->mp_priv;
}

static netmem_ref mpk_alloc_netmems(struct page_pool *pool, gfp_t gfp)
{
	struct mpk_provider *mp = mpk_pool_provider(pool);
	netmem_ref first = 0, netmem;
	struct net_iov *niov;
	int n;

	spin_lock_bh(&mp->lock);
	for (n = 0; n < 8 && mp->nr_free; n++) {
		niov = &mp->area.niovs[mp->free[--mp->nr_free]];
		netmem = net_iov_to_netmem(niov);
		page_pool_set_dma_addr_netmem(netmem,
					      page_to_phys(mp->pages[net_iov_idx(niov)]));
		net_mp_niov_set_page_pool(pool, niov);
		if (!first)
			first = netmem;
		else
			WARN_ON(!net_mp_netmem_place_in_cache(pool, netmem));
	}
	spin_unlock_bh(&mp->lock);
	return first;
}

static void mpk_release_netmem(struct page_pool *pool, netmem_ref netmem)
{
	struct mpk_provider *mp = mpk_pool_provider(pool);
	struct net_iov *niov = netmem_to_net_iov(netmem);

	spin_lock_bh(&mp->lock);
	mp->free[mp->nr_free++] = net_iov_idx(niov);
	spin_unlock_bh(&mp->lock);
}

static int mpk_init(struct page_pool *pool)
{
	struct mpk_provider *mp = mpk_pool_provider(pool);

	if (mp->fail_init)
		return mp->fail_init;
	mp->inits++;
	return 0;
}

static void mpk_destroy(struct page_pool *pool)
{
	mpk_pool_provider(pool)->destroys++;
}

static void mpk_uninstall(void *priv, struct netdev_rx_queue *rxq)
{
	struct mpk_provider *mp = priv;

	mp->uninstalls++;
}

static const struct memory_provider_ops mpk_ops = {
	.alloc_netmems	= mpk_alloc_netmems,
	.release_netmem	= mpk_release_netmem,
	.init		= mpk_init,
	.destroy	= mpk_destroy,
	.uninstall	= mpk_uninstall,
};

/* A device with two RX queues whose pools the test controls. */
struct mpk_dev {
	struct page_pool *pools[MPK_RXQS];
	bool hds_off;
	bool ignore_mp;
	bool open_pools;	/* make a pool per queue at open */
	int fail_alloc;
	int xmits;
};

struct mpk_qmem {
	struct page_pool *pool;
};

static struct page_pool *mpk_create_pool(struct net_device *dev, int idx)
{
	struct mpk_dev *md = netdev_priv(dev);
	struct page_pool_params pp = {
		.flags = PP_FLAG_DMA_MAP | PP_FLAG_ALLOW_UNREADABLE_NETMEM,
		.pool_size = 64,
		.nid = NUMA_NO_NODE,
		.dev = dev->dev.parent,
		.dma_dir = DMA_FROM_DEVICE,
		.netdev = dev,
		.queue_idx = idx,
	};

	/* A driver that cannot take net_iovs; it never allocates here. */
	if (md->ignore_mp)
		pp.flags = 0;
	return page_pool_create(&pp);
}

/* A pool made by a test rather than by the queue ops: a driver makes its
 * pools under RTNL, which guards the queue's binding.
 */
static struct page_pool *mpk_test_pool(struct net_device *dev, int idx)
{
	struct page_pool *pool;

	rtnl_lock();
	pool = mpk_create_pool(dev, idx);
	rtnl_unlock();
	return pool;
}

static int mpk_open(struct net_device *dev)
{
	struct mpk_dev *md = netdev_priv(dev);
	int i, err;

	for (i = 0; md->open_pools && i < MPK_RXQS; i++) {
		md->pools[i] = mpk_create_pool(dev, i);
		if (IS_ERR(md->pools[i])) {
			err = PTR_ERR(md->pools[i]);
			md->pools[i] = NULL;
			while (i--) {
				page_pool_destroy(md->pools[i]);
				md->pools[i] = NULL;
			}
			return err;
		}
	}
	return 0;
}

static int mpk_stop(struct net_device *dev)
{
	struct mpk_dev *md = netdev_priv(dev);
	int i;

	for (i = 0; i < MPK_RXQS; i++) {
		page_pool_destroy(md->pools[i]);
		md->pools[i] = NULL;
	}
	return 0;
}

static netdev_tx_t mpk_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct mpk_dev *md = netdev_priv(dev);

	md->xmits++;
	dev_kfree_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops mpk_netdev_ops = {
	.ndo_open	= mpk_open,
	.ndo_stop	= mpk_stop,
	.ndo_start_xmit	= mpk_xmit,
};

static void mpk_get_ringparam(struct net_device *dev,
			      struct ethtool_ringparam *ring,
			      struct kernel_ethtool_ringparam *kring,
			      struct netlink_ext_ack *extack)
{
	struct mpk_dev *md = netdev_priv(dev);

	kring->tcp_data_split = md->hds_off ? ETHTOOL_TCP_DATA_SPLIT_DISABLED :
					      ETHTOOL_TCP_DATA_SPLIT_ENABLED;
}

static const struct ethtool_ops mpk_ethtool_ops = {
	.get_ringparam	= mpk_get_ringparam,
};

static int mpk_qmem_alloc(struct net_device *dev, void *qmem, int idx)
{
	struct mpk_dev *md = netdev_priv(dev);
	struct mpk_qmem *q = qmem;

	if (md->fail_alloc)
		return md->fail_alloc;
	q->pool = mpk_create_pool(dev, idx);
	return PTR_ERR_OR_ZERO(q->pool);
}

static void mpk_qmem_free(struct net_device *dev, void *qmem)
{
	struct mpk_qmem *q = qmem;

	page_pool_destroy(q->pool);
}

static int mpk_queue_start(struct net_device *dev, void *qmem, int idx)
{
	struct mpk_dev *md = netdev_priv(dev);
	struct mpk_qmem *q = qmem;

	md->pools[idx] = q->pool;
	q->pool = NULL;
	return 0;
}

static int mpk_queue_stop(struct net_device *dev, void *qmem, int idx)
{
	struct mpk_dev *md = netdev_priv(dev);
	struct mpk_qmem *q = qmem;

	q->pool = md->pools[idx];
	md->pools[idx] = NULL;
	return 0;
}

static const struct netdev_queue_mgmt_ops mpk_queue_ops = {
	.ndo_queue_mem_size	= sizeof(struct mpk_qmem),
	.ndo_queue_mem_alloc	= mpk_qmem_alloc,
	.ndo_queue_mem_free	= mpk_qmem_free,
	.ndo_queue_start	= mpk_queue_start,
	.ndo_queue_stop		= mpk_queue_stop,
};

struct mpk_ctx {
	struct mpk_provider mp;
	struct net_device *dev;
	bool registered;
	struct page_pool *pool;	/* unreadable_skb cases: queue 0's pool */
	/* The KUnit dma-buf exporter: mappings live, the direction of the
	 * last map, unmaps in another direction; an SG entry not page sized
	 */
	int dmabuf_maps, dmabuf_bad_dir;
	enum dma_data_direction dmabuf_dir;
	bool dmabuf_unaligned;
};

static int mpk_test_init(struct kunit *test)
{
	struct mpk_ctx *ctx;
	int i, err;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	spin_lock_init(&ctx->mp.lock);
	err = net_iov_area_init(&ctx->mp.area, MPK_NIOVS, 0x200000, &mpk_ops,
				&ctx->mp);
	if (err)
		return err;
	for (i = 0; i < MPK_NIOVS; i++) {
		ctx->mp.pages[i] = alloc_page(GFP_KERNEL);
		if (!ctx->mp.pages[i])
			return -ENOMEM;
		memset(page_address(ctx->mp.pages[i]), MPK_PAYLOAD, PAGE_SIZE);
		ctx->mp.free[ctx->mp.nr_free++] = i;
	}

	ctx->dev = alloc_etherdev_mqs(sizeof(struct mpk_dev), 1, MPK_RXQS);
	if (!ctx->dev)
		return -ENOMEM;
	ctx->dev->netdev_ops = &mpk_netdev_ops;
	ctx->dev->ethtool_ops = &mpk_ethtool_ops;
	ctx->dev->queue_mgmt_ops = &mpk_queue_ops;
	test->priv = ctx;
	return 0;
}

/* Pools free themselves from a work item once their last buffer is back. */
static bool mpk_wait_destroys(struct mpk_provider *mp, int want)
{
	int i;

	for (i = 0; i < 50 && READ_ONCE(mp->destroys) < want; i++)
		msleep(100);
	return READ_ONCE(mp->destroys) == want;
}

static void mpk_test_exit(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	int i;

	if (!ctx)
		return;
	if (ctx->registered)
		unregister_netdev(ctx->dev);
	if (ctx->dev)
		free_netdev(ctx->dev);
	/* Every buffer is back with the provider before its memory goes. */
	KUNIT_EXPECT_TRUE(test, mpk_wait_destroys(&ctx->mp, ctx->mp.inits));
	KUNIT_EXPECT_EQ(test, ctx->mp.nr_free, MPK_NIOVS);
	for (i = 0; i < MPK_NIOVS; i++)
		if (ctx->mp.pages[i])
			__free_page(ctx->mp.pages[i]);
	net_iov_area_release(&ctx->mp.area);
}

static int mpk_bind(struct mpk_ctx *ctx, unsigned int idx)
{
	int err;

	rtnl_lock();
	err = net_mp_bind_rxq(ctx->dev, idx, &mpk_ops, &ctx->mp, NULL);
	rtnl_unlock();
	return err;
}

static void mpk_unbind(struct mpk_ctx *ctx, unsigned int idx)
{
	rtnl_lock();
	net_mp_unbind_rxq(ctx->dev, idx, &mpk_ops, &ctx->mp);
	rtnl_unlock();
}

static void mpk_register_up(struct kunit *test, struct mpk_ctx *ctx)
{
	int err;

	rtnl_lock();
	err = register_netdevice(ctx->dev);
	if (!err) {
		ctx->registered = true;
		err = dev_open(ctx->dev, NULL);
	}
	rtnl_unlock();
	KUNIT_ASSERT_EQ(test, err, 0);
}

/* A pool of a bound queue takes the provider's buffers, and hands them all
 * back when destroyed.
 */
static void mp_test_pool_uses_provider(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	netmem_ref got[3];
	struct page_pool *pool;
	int i;

	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 1), 0);
	pool = mpk_test_pool(ctx->dev, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	KUNIT_EXPECT_PTR_EQ(test, pool->mp_ops, &mpk_ops);
	KUNIT_EXPECT_EQ(test, ctx->mp.inits, 1);
	KUNIT_EXPECT_TRUE(test, __netif_get_rx_queue(ctx->dev, 1)->mp.installed);

	for (i = 0; i < ARRAY_SIZE(got); i++) {
		got[i] = page_pool_alloc_netmem(pool, GFP_KERNEL);
		KUNIT_ASSERT_TRUE(test, netmem_is_net_iov(got[i]));
		KUNIT_EXPECT_PTR_EQ(test, netmem_get_pp(got[i]), pool);
		KUNIT_EXPECT_PTR_EQ(test,
				    net_iov_provider(netmem_to_net_iov(got[i])),
				    &mpk_ops);
		KUNIT_EXPECT_NE(test, page_pool_get_dma_addr_netmem(got[i]),
				(dma_addr_t)0);
	}
	/* One refill's worth left the provider; the rest waits in the cache. */
	KUNIT_EXPECT_EQ(test, ctx->mp.nr_free, MPK_NIOVS - 8);
	for (i = 0; i < ARRAY_SIZE(got); i++)
		page_pool_put_full_netmem(pool, got[i], false);

	page_pool_destroy(pool);
	KUNIT_EXPECT_EQ(test, ctx->mp.destroys, 1);
	KUNIT_EXPECT_EQ(test, ctx->mp.nr_free, MPK_NIOVS);
	mpk_unbind(ctx, 1);
	KUNIT_EXPECT_NULL(test, __netif_get_rx_queue(ctx->dev, 1)->mp.ops);
}

/* A pool of pages keeps its DMA device for the pages it will unmap; a pool
 * of provider buffers maps nothing and must not keep it, or the device (and
 * its driver module) would wait for user space to give the buffers back.
 */
static void mp_test_pool_device_ref(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct page_pool_params pp = {
		.flags = PP_FLAG_DMA_MAP | PP_FLAG_ALLOW_UNREADABLE_NETMEM,
		.pool_size = 64,
		.nid = NUMA_NO_NODE,
		.dma_dir = DMA_FROM_DEVICE,
		.netdev = ctx->dev,
	};
	struct page_pool *pages, *prov;
	struct device *dma_dev;
	unsigned int refs;

	dma_dev = root_device_register("mpk_ref");
	KUNIT_ASSERT_FALSE(test, IS_ERR(dma_dev));
	refs = kref_read(&dma_dev->kobj.kref);
	pp.dev = dma_dev;
	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 1), 0);
	rtnl_lock();
	pages = page_pool_create(&pp);
	pp.queue_idx = 1;
	prov = page_pool_create(&pp);
	rtnl_unlock();
	KUNIT_ASSERT_FALSE(test, IS_ERR(pages));
	KUNIT_ASSERT_FALSE(test, IS_ERR(prov));
	KUNIT_EXPECT_NULL(test, pages->mp_ops);
	KUNIT_EXPECT_PTR_EQ(test, prov->mp_ops, &mpk_ops);
	KUNIT_EXPECT_EQ(test, kref_read(&dma_dev->kobj.kref), refs + 1);
	page_pool_destroy(pages);
	page_pool_destroy(prov);
	KUNIT_EXPECT_EQ(test, kref_read(&dma_dev->kobj.kref), refs);
	mpk_unbind(ctx, 1);
	root_device_unregister(dma_dev);
}

/* A pool without the opt-in, or for another queue, never sees net_iovs. */
static void mp_test_pool_needs_opt_in(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct page_pool_params pp = {
		.pool_size = 64,
		.nid = NUMA_NO_NODE,
		.netdev = ctx->dev,
		.queue_idx = 0,
	};
	struct page_pool *pool;

	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 0), 0);
	pool = page_pool_create(&pp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	KUNIT_EXPECT_NULL(test, pool->mp_ops);
	page_pool_destroy(pool);

	pool = mpk_test_pool(ctx->dev, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	KUNIT_EXPECT_NULL(test, pool->mp_ops);
	page_pool_destroy(pool);

	/* Fragments and pools the provider refuses fail creation. */
	pp.queue_idx = 0;
	pp.flags = PP_FLAG_ALLOW_UNREADABLE_NETMEM;
	rtnl_lock();
	KUNIT_EXPECT_EQ(test, PTR_ERR(page_pool_create(&pp)), -EINVAL);
	pp.flags |= PP_FLAG_DMA_MAP | PP_FLAG_PAGE_FRAG;
	KUNIT_EXPECT_EQ(test, PTR_ERR(page_pool_create(&pp)), -EINVAL);
	rtnl_unlock();
	ctx->mp.fail_init = -EIO;
	KUNIT_EXPECT_EQ(test, PTR_ERR(mpk_test_pool(ctx->dev, 0)), -EIO);
	ctx->mp.fail_init = 0;
	KUNIT_EXPECT_EQ(test, ctx->mp.inits, 0);
	mpk_unbind(ctx, 0);
}

/* Buffers still in an skb keep the pool, and so the provider, alive. */
static void mp_test_destroy_with_buffers_out(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct page_pool *pool;
	struct sk_buff *skb;
	netmem_ref netmem;

	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 0), 0);
	pool = mpk_test_pool(ctx->dev, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));

	skb = alloc_skb(128, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	netmem = page_pool_alloc_netmem(pool, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, netmem_is_net_iov(netmem));
	skb_add_rx_frag_netmem(skb, 0, netmem, 0, 100, PAGE_SIZE);
	skb_mark_for_recycle(skb);

	page_pool_destroy(pool);
	mpk_unbind(ctx, 0);
	KUNIT_EXPECT_EQ(test, ctx->mp.destroys, 0);
	KUNIT_EXPECT_LT(test, ctx->mp.nr_free, (unsigned int)MPK_NIOVS);

	kfree_skb(skb);
	KUNIT_EXPECT_TRUE(test, mpk_wait_destroys(&ctx->mp, 1));
	KUNIT_EXPECT_EQ(test, ctx->mp.nr_free, MPK_NIOVS);
}

static void mp_test_bind_errors(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct mpk_dev *md = netdev_priv(ctx->dev);

	KUNIT_EXPECT_EQ(test, mpk_bind(ctx, MPK_RXQS), -ERANGE);
	md->hds_off = true;
	KUNIT_EXPECT_EQ(test, mpk_bind(ctx, 0), -EINVAL);
	md->hds_off = false;
	ctx->dev->queue_mgmt_ops = NULL;
	KUNIT_EXPECT_EQ(test, mpk_bind(ctx, 0), -EOPNOTSUPP);
	ctx->dev->queue_mgmt_ops = &mpk_queue_ops;

	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 0), 0);
	KUNIT_EXPECT_EQ(test, mpk_bind(ctx, 0), -EEXIST);
	mpk_unbind(ctx, 0);
	KUNIT_EXPECT_EQ(test, mpk_bind(ctx, 0), 0);
	mpk_unbind(ctx, 0);
	/* Unbinding what is not bound does nothing. */
	mpk_unbind(ctx, 0);
	KUNIT_EXPECT_EQ(test, ctx->mp.inits, 0);
}

/* On a running device, binding restarts the queue onto the provider and
 * unbinding restarts it back onto pages; the other queue is untouched.
 */
static void mp_test_bind_restarts_queue(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct mpk_dev *md = netdev_priv(ctx->dev);
	struct page_pool *other;

	mpk_register_up(test, ctx);
	rtnl_lock();
	KUNIT_EXPECT_EQ(test, netdev_rx_queue_restart(ctx->dev, 0), 0);
	KUNIT_EXPECT_EQ(test, netdev_rx_queue_restart(ctx->dev, 1), 0);
	rtnl_unlock();
	other = md->pools[0];
	KUNIT_ASSERT_NOT_NULL(test, md->pools[1]);
	KUNIT_EXPECT_NULL(test, md->pools[1]->mp_ops);

	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 1), 0);
	KUNIT_ASSERT_NOT_NULL(test, md->pools[1]);
	KUNIT_EXPECT_PTR_EQ(test, md->pools[1]->mp_ops, &mpk_ops);
	KUNIT_EXPECT_PTR_EQ(test, md->pools[0], other);
	KUNIT_EXPECT_EQ(test, ctx->mp.inits, 1);

	mpk_unbind(ctx, 1);
	KUNIT_ASSERT_NOT_NULL(test, md->pools[1]);
	KUNIT_EXPECT_NULL(test, md->pools[1]->mp_ops);
	KUNIT_EXPECT_EQ(test, ctx->mp.destroys, 1);
	KUNIT_EXPECT_PTR_EQ(test, md->pools[0], other);
}

/* Unbinding a queue that cannot be restarted (no memory for a new ring)
 * must not leave it filling the provider's buffers: the device closes, its
 * pools and the provider's buffers go.
 */
static void mp_test_unbind_restart_fails(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct mpk_dev *md = netdev_priv(ctx->dev);

	mpk_register_up(test, ctx);
	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 1), 0);
	KUNIT_ASSERT_NOT_NULL(test, md->pools[1]);
	KUNIT_EXPECT_PTR_EQ(test, md->pools[1]->mp_ops, &mpk_ops);

	md->fail_alloc = -ENOMEM;
	mpk_unbind(ctx, 1);
	md->fail_alloc = 0;
	KUNIT_EXPECT_FALSE(test, netif_running(ctx->dev));
	KUNIT_EXPECT_NULL(test, md->pools[1]);
	KUNIT_EXPECT_TRUE(test, mpk_wait_destroys(&ctx->mp, 1));
}

/* A driver whose new pool did not take the provider fails the bind. */
static void mp_test_bind_ignored_by_driver(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct mpk_dev *md = netdev_priv(ctx->dev);

	mpk_register_up(test, ctx);
	md->ignore_mp = true;
	KUNIT_EXPECT_EQ(test, mpk_bind(ctx, 0), -EOPNOTSUPP);
	KUNIT_EXPECT_NULL(test, __netif_get_rx_queue(ctx->dev, 0)->mp.ops);
	KUNIT_EXPECT_EQ(test, ctx->mp.inits, 0);
	md->ignore_mp = false;
	KUNIT_EXPECT_EQ(test, mpk_bind(ctx, 0), 0);
	mpk_unbind(ctx, 0);
}

/* A queue bound while the device is down is checked when it opens: a driver
 * that made the queue's pool without taking the provider loses the binding
 * (the provider is told, as when the device goes); one that took it keeps
 * it.
 */
static void mp_test_bind_down_then_open(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct mpk_dev *md = netdev_priv(ctx->dev);
	int err;

	rtnl_lock();
	err = register_netdevice(ctx->dev);
	rtnl_unlock();
	KUNIT_ASSERT_EQ(test, err, 0);
	ctx->registered = true;
	md->open_pools = true;

	md->ignore_mp = true;
	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 0), 0);
	rtnl_lock();
	err = dev_open(ctx->dev, NULL);
	rtnl_unlock();
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_NULL(test, __netif_get_rx_queue(ctx->dev, 0)->mp.ops);
	KUNIT_EXPECT_EQ(test, ctx->mp.uninstalls, 1);
	KUNIT_EXPECT_EQ(test, ctx->mp.inits, 0);

	rtnl_lock();
	dev_close(ctx->dev);
	rtnl_unlock();
	md->ignore_mp = false;
	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 1), 0);
	rtnl_lock();
	err = dev_open(ctx->dev, NULL);
	rtnl_unlock();
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_TRUE(test, __netif_get_rx_queue(ctx->dev, 1)->mp.installed);
	KUNIT_EXPECT_EQ(test, ctx->mp.uninstalls, 1);
	KUNIT_EXPECT_PTR_EQ(test, md->pools[1]->mp_ops, &mpk_ops);
	mpk_unbind(ctx, 1);
}

/* Unregistering a device with a bound queue uninstalls the provider once;
 * a later unbind from the provider's side is harmless.
 */
static void mp_test_uninstall_on_unregister(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;

	mpk_register_up(test, ctx);
	KUNIT_ASSERT_EQ(test, mpk_bind(ctx, 0), 0);
	unregister_netdev(ctx->dev);
	ctx->registered = false;
	KUNIT_EXPECT_EQ(test, ctx->mp.uninstalls, 1);
	KUNIT_EXPECT_NULL(test, __netif_get_rx_queue(ctx->dev, 0)->mp.ops);
	mpk_unbind(ctx, 0);
	KUNIT_EXPECT_EQ(test, ctx->mp.uninstalls, 1);
}

#if IS_ENABLED(CONFIG_NET_DEVMEM)
/* A dma-buf whose first chunk sits at DMA address 0, as an IOMMU may put it */
#define MPK_DMABUF_HIGH	(16 * PAGE_SIZE)

static struct sg_table *mpk_dmabuf_map(struct dma_buf_attachment *at,
				       enum dma_data_direction dir)
{
	struct mpk_ctx *ctx = at->dmabuf->priv;
	struct scatterlist *sg;
	struct sg_table *sgt;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt || sg_alloc_table(sgt, 2, GFP_KERNEL)) {
		kfree(sgt);
		return ERR_PTR(-ENOMEM);
	}
	sg = sgt->sgl;
	sg_dma_address(sg) = 0;
	sg_dma_len(sg) = 2 * PAGE_SIZE;
	sg = sg_next(sg);
	sg_dma_address(sg) = MPK_DMABUF_HIGH;
	sg_dma_len(sg) = PAGE_SIZE;
	if (ctx->dmabuf_unaligned)
		sg_dma_len(sg) = PAGE_SIZE / 2;
	ctx->dmabuf_maps++;
	ctx->dmabuf_dir = dir;
	return sgt;
}

static void mpk_dmabuf_unmap(struct dma_buf_attachment *at,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	struct mpk_ctx *ctx = at->dmabuf->priv;

	ctx->dmabuf_maps--;
	if (dir != ctx->dmabuf_dir)
		ctx->dmabuf_bad_dir++;
	sg_free_table(sgt);
	kfree(sgt);
}

static void mpk_dmabuf_release(struct dma_buf *dmabuf)
{
}

static const struct dma_buf_ops mpk_dmabuf_ops = {
	.map_dma_buf	= mpk_dmabuf_map,
	.unmap_dma_buf	= mpk_dmabuf_unmap,
	.release	= mpk_dmabuf_release,
};

/* @ctx's device, registered and up under a root device as its DMA parent,
 * and a KUnit dma-buf of 3 pages: its fd. The test holds a reference on
 * *@dmabuf; *@refs is the parent's refcount before any binding.
 */
static int mpk_dmabuf_setup(struct kunit *test, struct mpk_ctx *ctx,
			    struct device **parent, unsigned int *refs,
			    struct dma_buf **dmabuf)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	int fd;

	*parent = root_device_register("mpk_dma");
	KUNIT_ASSERT_FALSE(test, IS_ERR(*parent));
	SET_NETDEV_DEV(ctx->dev, *parent);
	mpk_register_up(test, ctx);
	*refs = kref_read(&(*parent)->kobj.kref);

	exp.ops = &mpk_dmabuf_ops;
	exp.size = 3 * PAGE_SIZE;
	exp.priv = ctx;
	*dmabuf = dma_buf_export(&exp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(*dmabuf));
	fd = dma_buf_fd(*dmabuf, O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	get_dma_buf(*dmabuf);
	return fd;
}

static void mpk_dmabuf_teardown(struct mpk_ctx *ctx, struct device *parent,
				struct dma_buf *dmabuf)
{
	rtnl_lock();
	unregister_netdevice(ctx->dev);
	rtnl_unlock();
	ctx->registered = false;
	dma_buf_put(dmabuf);
	root_device_unregister(parent);
}

/* devmem hands out every buffer of the dma-buf, the one at DMA address 0
 * too; unbinding unmaps it and lets go of the DMA device at once.
 */
static void mp_test_devmem_dma_zero(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct mpk_dev *md = netdev_priv(ctx->dev);
	struct net_devmem_binding *binding;
	bool seen[3] = {};
	struct device *parent;
	struct dma_buf *dmabuf;
	netmem_ref got[3];
	unsigned int refs;
	dma_addr_t dma;
	int fd, i, err;

	fd = mpk_dmabuf_setup(test, ctx, &parent, &refs, &dmabuf);

	rtnl_lock();
	binding = net_devmem_bind_dmabuf(ctx->dev, fd, NULL);
	err = PTR_ERR_OR_ZERO(binding);
	if (!err)
		err = net_devmem_bind_rxq(binding, 1, NULL);
	rtnl_unlock();
	close_fd(fd);
	KUNIT_ASSERT_EQ(test, err, 0);
	/* The binding holds the DMA device; its provider pool does not. */
	KUNIT_EXPECT_EQ(test, kref_read(&parent->kobj.kref), refs + 1);

	for (i = 0; i < ARRAY_SIZE(got); i++) {
		got[i] = page_pool_alloc_netmem(md->pools[1], GFP_KERNEL);
		KUNIT_ASSERT_TRUE(test, netmem_is_net_iov(got[i]));
		dma = page_pool_get_dma_addr_netmem(got[i]);
		if (dma == 0 || dma == PAGE_SIZE)
			seen[dma / PAGE_SIZE] = true;
		else if (dma == MPK_DMABUF_HIGH)
			seen[2] = true;
	}
	KUNIT_EXPECT_TRUE(test, seen[0] && seen[1] && seen[2]);
	KUNIT_EXPECT_EQ(test, page_pool_alloc_netmem(md->pools[1], GFP_KERNEL),
			0);
	for (i = 0; i < ARRAY_SIZE(got); i++)
		page_pool_put_full_netmem(md->pools[1], got[i], false);

	rtnl_lock();
	net_devmem_unbind_dmabuf(binding);
	rtnl_unlock();
	/* No queue writes to the dma-buf any more: the binding let the
	 * device go. The queue's new pool, of pages, holds it now.
	 */
	KUNIT_EXPECT_EQ(test, kref_read(&parent->kobj.kref), refs + 1);
	KUNIT_EXPECT_NULL(test, md->pools[1]->mp_ops);
	/* Mapped for the device to write, unmapped the same way */
	KUNIT_EXPECT_EQ(test, ctx->dmabuf_maps, 0);
	KUNIT_EXPECT_EQ(test, ctx->dmabuf_dir, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, ctx->dmabuf_bad_dir, 0);

	mpk_dmabuf_teardown(ctx, parent, dmabuf);
}

/* A dma-buf with an SG entry of half a page cannot be split into buffers:
 * bind fails with -EINVAL, unmapped and detached, the device let go.
 */
static void mp_test_devmem_unaligned_sg(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct net_devmem_binding *binding;
	struct device *parent;
	struct dma_buf *dmabuf;
	unsigned int refs;
	int fd;

	ctx->dmabuf_unaligned = true;
	fd = mpk_dmabuf_setup(test, ctx, &parent, &refs, &dmabuf);

	rtnl_lock();
	binding = net_devmem_bind_dmabuf(ctx->dev, fd, NULL);
	rtnl_unlock();
	close_fd(fd);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(binding), -EINVAL);
	KUNIT_EXPECT_EQ(test, ctx->dmabuf_maps, 0);
	KUNIT_EXPECT_EQ(test, ctx->dmabuf_bad_dir, 0);
	KUNIT_EXPECT_EQ(test, kref_read(&parent->kobj.kref), refs);
	if (!IS_ERR(binding)) {
		rtnl_lock();
		net_devmem_unbind_dmabuf(binding);
		rtnl_unlock();
	}

	mpk_dmabuf_teardown(ctx, parent, dmabuf);
}
#endif

static struct kunit_case mp_test_cases[] = {
	KUNIT_CASE(mp_test_pool_uses_provider),
	KUNIT_CASE(mp_test_pool_needs_opt_in),
	KUNIT_CASE(mp_test_pool_device_ref),
	KUNIT_CASE(mp_test_destroy_with_buffers_out),
	KUNIT_CASE(mp_test_bind_errors),
	KUNIT_CASE(mp_test_bind_restarts_queue),
	KUNIT_CASE(mp_test_unbind_restart_fails),
	KUNIT_CASE(mp_test_bind_ignored_by_driver),
	KUNIT_CASE(mp_test_bind_down_then_open),
	KUNIT_CASE(mp_test_uninstall_on_unregister),
#if IS_ENABLED(CONFIG_NET_DEVMEM)
	KUNIT_CASE(mp_test_devmem_dma_zero),
	KUNIT_CASE(mp_test_devmem_unaligned_sg),
#endif
	{}
};

static struct kunit_suite mp_test_suite = {
	.name = "memory_provider",
	.init = mpk_test_init,
	.exit = mpk_test_exit,
	.test_cases = mp_test_cases,
};

/* Unreadable skbs: MPK_HLEN header bytes, then two net_iov frags. */

static int mpk_skb_test_init(struct kunit *test)
{
	struct mpk_ctx *ctx;
	int err;

	err = mpk_test_init(test);
	if (err)
		return err;
	ctx = test->priv;
	err = mpk_bind(ctx, 0);
	if (err)
		return err;
	ctx->pool = mpk_test_pool(ctx->dev, 0);
	return PTR_ERR_OR_ZERO(ctx->pool);
}

static void mpk_skb_test_exit(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;

	page_pool_destroy(ctx->pool);
	mpk_unbind(ctx, 0);
	mpk_test_exit(test);
}

static struct sk_buff *mpk_unreadable_skb(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct sk_buff *skb;
	netmem_ref netmem;
	int i;

	skb = alloc_skb(256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 32);
	memset(skb_put(skb, MPK_HLEN), MPK_HEADER, MPK_HLEN);
	for (i = 0; i < 2; i++) {
		netmem = page_pool_alloc_netmem(ctx->pool, GFP_KERNEL);
		KUNIT_ASSERT_TRUE(test, netmem_is_net_iov(netmem));
		skb_add_rx_frag_netmem(skb, i, netmem, 0, MPK_FRAG_LEN,
				       PAGE_SIZE);
	}
	skb_mark_for_recycle(skb);
	KUNIT_EXPECT_FALSE(test, skb_frags_readable(skb));
	return skb;
}

static bool mpk_has_byte(const u8 *buf, size_t len, u8 byte)
{
	return memchr(buf, byte, len);
}

static u8 *mpk_untouched_buf(struct kunit *test, size_t len)
{
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, MPK_UNTOUCHED, len);
	return buf;
}

/**
 * mp_kunit_page_skb - an skb of headers and one page of payload
 * @test: the running test
 * @unreadable: mark the skb unreadable, as a provider's frag would
 *
 * For guards that only test skb_frags_readable(): the payload is a real
 * page full of MP_KUNIT_PAYLOAD, so a guard that lets a read through shows
 * up in what the path produced. The caller frees the skb.
 *
 * Return: an skb of MP_KUNIT_HLEN header bytes in the linear part and
 * MP_KUNIT_PLEN payload bytes in frag 0.
 */
VISIBLE_IF_KUNIT struct sk_buff *mp_kunit_page_skb(struct kunit *test,
						   bool unreadable)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct sk_buff *skb = alloc_skb(MPK_HLEN + 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	memset(page_address(page), MPK_PAYLOAD, PAGE_SIZE);
	skb_reserve(skb, 32);
	memset(skb_put(skb, MPK_HLEN), MPK_HEADER, MPK_HLEN);
	skb_add_rx_frag(skb, 0, page, 0, MPK_FRAG_LEN, PAGE_SIZE);
	skb->unreadable = unreadable;
	return skb;
}
EXPORT_SYMBOL_IF_KUNIT(mp_kunit_page_skb);

static void unreadable_test_flag(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test), *clone;
	struct sk_buff *plain = mp_kunit_page_skb(test, false);

	KUNIT_EXPECT_TRUE(test, skb_frags_readable(plain));
	kfree_skb(plain);

	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	KUNIT_EXPECT_FALSE(test, skb_frags_readable(clone));
	kfree_skb(clone);
	clone = pskb_copy(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	KUNIT_EXPECT_FALSE(test, skb_frags_readable(clone));
	kfree_skb(clone);
	kfree_skb(skb);
}

static void unreadable_test_copy_bits(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	size_t len = MPK_HLEN + MPK_FRAG_LEN;
	u8 *buf = mpk_untouched_buf(test, len);

	/* Headers read fine. */
	KUNIT_EXPECT_EQ(test, skb_copy_bits(skb, 0, buf, MPK_HLEN), 0);
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf, MPK_HLEN, MPK_UNTOUCHED));
	memset(buf, MPK_UNTOUCHED, len);
	KUNIT_EXPECT_EQ(test, skb_copy_bits(skb, 0, buf, len), -EFAULT);
	KUNIT_EXPECT_EQ(test, skb_copy_bits(skb, MPK_HLEN, buf, 1), -EFAULT);
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf, len, MPK_PAYLOAD));
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf, len, MPK_HEADER));
	/* skb_header_pointer() is what BPF's load helpers read through. */
	KUNIT_EXPECT_NULL(test, skb_header_pointer(skb, MPK_HLEN, 4, buf));
	KUNIT_EXPECT_NOT_NULL(test, skb_header_pointer(skb, 0, 4, buf));
	/* Nor does the CPU write into them. */
	KUNIT_EXPECT_EQ(test, skb_store_bits(skb, MPK_HLEN, buf, 4), -EFAULT);
	kfree_skb(skb);
}

static void unreadable_test_copy_to_user(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	size_t len = skb->len;
	u8 *buf = mpk_untouched_buf(test, len);
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter iter;

	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, skb_copy_datagram_iter(skb, 0, &iter, len),
			-EFAULT);
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf, len, MPK_PAYLOAD));
	/* Nothing counts as copied: the iterator is back where it was. */
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), len);
	kfree_skb(skb);
}

static void unreadable_test_checksum(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	size_t len = MPK_HLEN + MPK_FRAG_LEN;
	u8 *buf = mpk_untouched_buf(test, len);
	__wsum csum;

	skb->ip_summed = CHECKSUM_NONE;
	skb->csum = 0;
	KUNIT_EXPECT_NE(test, (__force u16)__skb_checksum_complete(skb), 0);
	KUNIT_EXPECT_NE(test,
			(__force u16)__skb_checksum_complete_head(skb, len), 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_headroom(skb);
	skb->csum_offset = 0;
	KUNIT_EXPECT_EQ(test, skb_checksum_help(skb), -EFAULT);

	/* Copy-and-checksum sends zeroes for what it may not read. */
	csum = skb_copy_and_csum_bits(skb, 0, buf, len);
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf, len, MPK_PAYLOAD));
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf + MPK_HLEN, len - MPK_HLEN,
					      MPK_UNTOUCHED));
	KUNIT_EXPECT_EQ(test, (__force u32)csum,
			(__force u32)csum_partial(buf, MPK_HLEN, 0));
	kfree_skb(skb);
}

static void unreadable_test_linearize_pull(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);

	KUNIT_EXPECT_TRUE(test, pskb_may_pull(skb, MPK_HLEN));
	KUNIT_EXPECT_FALSE(test, pskb_may_pull(skb, MPK_HLEN + 1));
	KUNIT_EXPECT_NULL(test, __pskb_pull_tail(skb, 1));
	KUNIT_EXPECT_NE(test, skb_linearize(skb), 0);
	KUNIT_EXPECT_NULL(test, skb_copy(skb, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, skb_copy_expand(skb, 16, 16, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, skb_copy_ubufs(skb, GFP_KERNEL), -EFAULT);
	/* Writable headers past the linear part would need a pull */
	KUNIT_EXPECT_EQ(test, skb_ensure_writable(skb, MPK_HLEN + 1), -ENOMEM);
	KUNIT_EXPECT_EQ(test, skb_ensure_writable(skb, MPK_HLEN), 0);
	/* Nothing moved: the payload is still in the two frags. */
	KUNIT_EXPECT_EQ(test, skb_headlen(skb), (unsigned int)MPK_HLEN);
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->nr_frags, 2);
	skb_condense(skb);
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->nr_frags, 2);
	kfree_skb(skb);
}

static void unreadable_test_sgvec_zerocopy(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	struct scatterlist sg[4];

	struct sk_buff *to = alloc_skb(MPK_HLEN, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, to);
	sg_init_table(sg, ARRAY_SIZE(sg));
	KUNIT_EXPECT_EQ(test, skb_to_sgvec(skb, sg, 0, skb->len), -EFAULT);
	KUNIT_EXPECT_EQ(test, skb_to_sgvec(skb, sg, 0, MPK_HLEN), 1);
	/* nfqueue and openvswitch upcalls hand frags on with this. */
	KUNIT_EXPECT_EQ(test, skb_zerocopy(to, skb, skb->len, MPK_HLEN),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, skb_shinfo(to)->nr_frags, 0);
	kfree_skb(to);
	kfree_skb(skb);
}

/* Coalescing and GRO merge frags under one readability flag: never mix. */
static void unreadable_test_coalesce_gro(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	struct sk_buff *skb2 = mpk_unreadable_skb(test);
	struct sk_buff *plain = alloc_skb(512, GFP_KERNEL);
	struct page *page = alloc_page(GFP_KERNEL);
	bool stolen;
	int delta;

	KUNIT_ASSERT_NOT_NULL(test, plain);
	KUNIT_ASSERT_NOT_NULL(test, page);
	skb_add_rx_frag(plain, 0, page, 0, 100, PAGE_SIZE);
	skb_mark_for_recycle(plain);
	/* Without a linear part, only readability can refuse the merges. */
	__skb_pull(skb, MPK_HLEN);

	KUNIT_EXPECT_FALSE(test, skb_try_coalesce(plain, skb, &stolen, &delta));
	KUNIT_EXPECT_FALSE(test, skb_try_coalesce(skb, plain, &stolen, &delta));
	KUNIT_EXPECT_EQ(test, skb_shift(plain, skb, 10), 0);

	memset(skb->cb, 0, sizeof(skb->cb));
	memset(plain->cb, 0, sizeof(plain->cb));
	KUNIT_EXPECT_EQ(test, skb_gro_receive(plain, skb), -EINVAL);
	KUNIT_EXPECT_EQ(test, skb_shinfo(plain)->nr_frags, 1);

	/* Two unreadable skbs may merge: the flag still covers all. */
	KUNIT_EXPECT_TRUE(test, skb_try_coalesce(skb2, skb, &stolen, &delta));
	KUNIT_EXPECT_FALSE(test, skb_frags_readable(skb2));
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb2)->nr_frags, 4);
	kfree_skb_partial(skb, stolen);
	kfree_skb(skb2);
	kfree_skb(plain);
}

/* A small unreadable segment behind a linear skb with tailroom (one whose
 * device frags were trimmed off keeps its flag): merged by its frag, never
 * copied (a BUG_ON before).
 */
static void unreadable_test_coalesce_small(struct kunit *test)
{
	struct sk_buff *to = mpk_unreadable_skb(test);
	struct sk_buff *from = mpk_unreadable_skb(test);
	bool stolen;
	int delta;

	KUNIT_ASSERT_EQ(test, pskb_trim(to, MPK_HLEN), 0);
	__skb_pull(from, MPK_HLEN);
	KUNIT_ASSERT_EQ(test, pskb_trim(from, 7), 0);
	KUNIT_ASSERT_GE(test, skb_tailroom(to), 7);
	KUNIT_EXPECT_TRUE(test, skb_try_coalesce(to, from, &stolen, &delta));
	KUNIT_EXPECT_EQ(test, skb_shinfo(to)->nr_frags, 1);
	KUNIT_EXPECT_EQ(test, skb_headlen(to), (unsigned int)MPK_HLEN);
	KUNIT_EXPECT_EQ(test, to->len, (unsigned int)MPK_HLEN + 7);
	KUNIT_EXPECT_FALSE(test, skb_frags_readable(to));
	kfree_skb_partial(from, stolen);
	kfree_skb(to);
}

/* Two unreadable skbs of different bindings never merge: receivers find a
 * buffer's binding through it, and one skb is one binding's.
 */
static void unreadable_test_coalesce_owners(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	struct sk_buff *other = alloc_skb(0, GFP_KERNEL);
	struct net_iov_area area = {};
	bool stolen;
	int delta;

	KUNIT_ASSERT_NOT_NULL(test, other);
	/* A second binding: one buffer, never in a pool, taken out below. */
	KUNIT_ASSERT_EQ(test, net_iov_area_init(&area, 1, 0x400000, &mpk_ops,
						&area), 0);
	__skb_fill_netmem_desc(other, 0, net_iov_to_netmem(&area.niovs[0]), 0,
			       100);
	skb_shinfo(other)->nr_frags = 1;
	other->len = 100;
	other->data_len = 100;
	other->unreadable = true;
	skb_mark_for_recycle(other);
	__skb_pull(skb, MPK_HLEN);

	KUNIT_EXPECT_FALSE(test, skb_try_coalesce(skb, other, &stolen, &delta));
	KUNIT_EXPECT_FALSE(test, skb_try_coalesce(other, skb, &stolen, &delta));
	KUNIT_EXPECT_EQ(test, skb_shift(skb, other, 10), 0);
	memset(skb->cb, 0, sizeof(skb->cb));
	memset(other->cb, 0, sizeof(other->cb));
	KUNIT_EXPECT_EQ(test, skb_gro_receive(skb, other), -EINVAL);
	KUNIT_EXPECT_EQ(test, skb_shinfo(skb)->nr_frags, 2);
	KUNIT_EXPECT_EQ(test, skb_shinfo(other)->nr_frags, 1);

	skb_shinfo(other)->nr_frags = 0;
	other->len = 0;
	other->data_len = 0;
	kfree_skb(other);
	net_iov_area_release(&area);
	kfree_skb(skb);
}

/* A CHECKSUM_COMPLETE sum over device memory cannot be adjusted when a
 * trailer is trimmed: the skb is left for the stack to verify (and drop),
 * without a WARN a peer could trigger.
 */
static void unreadable_test_trim_rcsum(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	unsigned int len = skb->len;

	skb->ip_summed = CHECKSUM_COMPLETE;
	skb->csum = 0;
	KUNIT_EXPECT_EQ(test, pskb_trim_rcsum(skb, len - 10), 0);
	KUNIT_EXPECT_EQ(test, skb->len, len - 10);
	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_NONE);
	KUNIT_EXPECT_NE(test, __skb_checksum_complete(skb), 0);
	kfree_skb(skb);
}

/* skb_seq_read() (text search, conntrack helpers) ends at device memory. */
static void unreadable_test_seq_read(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	struct skb_seq_state st;
	const u8 *data = NULL;
	unsigned int len;

	skb_prepare_seq_read(skb, 0, skb->len, &st);
	len = skb_seq_read(0, &data, &st);
	KUNIT_EXPECT_EQ(test, len, (unsigned int)MPK_HLEN);
	KUNIT_EXPECT_PTR_EQ(test, data, (const u8 *)skb->data);
	KUNIT_EXPECT_EQ(test, skb_seq_read(MPK_HLEN, &data, &st), 0);
	skb_abort_seq_read(&st);

	skb_prepare_seq_read(skb, MPK_HLEN, skb->len, &st);
	KUNIT_EXPECT_EQ(test, skb_seq_read(0, &data, &st), 0);
	skb_abort_seq_read(&st);
	kfree_skb(skb);
}

/* IP reassembly chains fragments on the head's frag_list without merging
 * their flags: an unreadable skb there makes the whole skb unreadable, and
 * every guard that looks at the head holds.
 */
static void unreadable_test_frag_list(struct kunit *test)
{
	/* Room for all: skb_condense() would pull the chained bytes in. */
	struct sk_buff *head = alloc_skb(4 * MPK_FRAG_LEN, GFP_KERNEL);
	struct sk_buff *frag = mpk_unreadable_skb(test);
	u8 *buf = mpk_untouched_buf(test, MPK_HLEN + 1);

	KUNIT_ASSERT_NOT_NULL(test, head);
	memset(skb_put(head, MPK_HLEN), MPK_HEADER, MPK_HLEN);
	KUNIT_EXPECT_TRUE(test, skb_frags_readable(head));
	skb_shinfo(head)->frag_list = frag;
	head->len += frag->len;
	head->data_len += frag->len;
	head->truesize += frag->truesize;

	KUNIT_EXPECT_FALSE(test, skb_frags_readable(head));
	KUNIT_EXPECT_EQ(test, skb_copy_bits(head, 0, buf, MPK_HLEN), 0);
	KUNIT_EXPECT_EQ(test, skb_copy_bits(head, MPK_HLEN, buf, 1), -EFAULT);
	KUNIT_EXPECT_NULL(test, __pskb_pull_tail(head, 1));
	KUNIT_EXPECT_NULL(test, skb_copy(head, GFP_KERNEL));
	KUNIT_EXPECT_NE(test, skb_linearize(head), 0);
	/* Would pull the chained skb's bytes: BUG_ON before the fix. */
	skb_condense(head);
	KUNIT_EXPECT_PTR_EQ(test, skb_shinfo(head)->frag_list, frag);
	KUNIT_EXPECT_EQ(test, skb_headlen(head), (unsigned int)MPK_HLEN);
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf, MPK_HLEN + 1, MPK_PAYLOAD));
	kfree_skb(head);
}

/* skb_split() moves frags to a second skb, which inherits the flag. */
static void unreadable_test_split(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	struct sk_buff *tail = alloc_skb(0, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tail);
	skb_split(skb, tail, MPK_HLEN + MPK_FRAG_LEN);
	KUNIT_EXPECT_EQ(test, tail->len, (unsigned int)MPK_FRAG_LEN);
	KUNIT_EXPECT_FALSE(test, skb_frags_readable(tail));
	kfree_skb(tail);
	kfree_skb(skb);
}

/* No device transmits it, and no device takes it forwarded. */
static void unreadable_test_xmit_forward(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct mpk_dev *md = netdev_priv(ctx->dev);
	struct rtnl_link_stats64 before, after;
	struct sk_buff *skb;

	mpk_register_up(test, ctx);
	dev_get_stats(ctx->dev, &before);

	skb = mpk_unreadable_skb(test);
	skb->dev = ctx->dev;
	skb->protocol = htons(ETH_P_IP);
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	dev_queue_xmit(skb);

	skb = mpk_unreadable_skb(test);
	KUNIT_EXPECT_EQ(test, __dev_forward_skb(ctx->dev, skb), NET_RX_DROP);

	dev_get_stats(ctx->dev, &after);
	KUNIT_EXPECT_EQ(test, md->xmits, 0);
	KUNIT_EXPECT_EQ(test, after.tx_dropped, before.tx_dropped + 1);
	KUNIT_EXPECT_EQ(test, after.rx_dropped, before.rx_dropped + 1);
}

/* A packet socket sees the headers and the true length, never payload. */
static void unreadable_test_packet_socket(struct kunit *test)
{
	struct mpk_ctx *ctx = test->priv;
	struct sockaddr_ll sll = {};
	size_t len = MPK_HLEN + 2 * MPK_FRAG_LEN;
	u8 *buf = mpk_untouched_buf(test, len);
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct sk_buff *skb;
	struct socket *sock;
	int ret;

	mpk_register_up(test, ctx);
	/* An experimental ethertype: nothing but the tap takes it. */
	ret = sock_create_kern(&init_net, AF_PACKET, SOCK_RAW,
			       (__force int)htons(ETH_P_802_EX1), &sock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_802_EX1);
	sll.sll_ifindex = ctx->dev->ifindex;
	ret = kernel_bind(sock, (struct sockaddr *)&sll, sizeof(sll));
	KUNIT_ASSERT_EQ(test, ret, 0);

	skb = mpk_unreadable_skb(test);
	skb->dev = ctx->dev;
	skb->protocol = htons(ETH_P_802_EX1);
	skb_reset_mac_header(skb);
	skb_pull(skb, ETH_HLEN);
	skb_reset_network_header(skb);
	local_bh_disable();
	netif_receive_skb(skb);
	local_bh_enable();

	/* The tap's snapshot stops at the headers. */
	ret = kernel_recvmsg(sock, &msg, &kv, 1, len, MSG_DONTWAIT);
	KUNIT_EXPECT_EQ(test, ret, MPK_HLEN);
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf, MPK_HLEN, MPK_UNTOUCHED));
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf, len, MPK_PAYLOAD));
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(buf + MPK_HLEN, len - MPK_HLEN,
					      MPK_HEADER));
	sock_release(sock);
}

/* splice stops at the headers and then reports -EFAULT, not an empty read
 * the caller would wait on (tcp_splice_read() would block for more data).
 */
static void unreadable_test_splice(struct kunit *test)
{
	struct sk_buff *skb = mpk_unreadable_skb(test);
	struct pipe_inode_info *pipe = alloc_pipe_info();
	unsigned int len = skb->len;
	struct pipe_buffer *buf;
	struct socket *sock;
	u8 *addr;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, pipe);
	pipe->readers = 1;	/* else splicing into it is -EPIPE */
	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = skb_splice_bits(skb, sock->sk, 0, pipe, len, 0);
	KUNIT_EXPECT_EQ(test, ret, MPK_HLEN);
	KUNIT_ASSERT_EQ(test, pipe_occupancy(pipe->head, pipe->tail), 1);
	buf = &pipe->bufs[pipe->tail & (pipe->ring_size - 1)];
	KUNIT_EXPECT_EQ(test, buf->len, MPK_HLEN);
	addr = kmap_local_page(buf->page);
	KUNIT_EXPECT_FALSE(test, mpk_has_byte(addr + buf->offset, buf->len,
					      MPK_PAYLOAD));
	KUNIT_EXPECT_EQ(test, addr[buf->offset], MPK_HEADER);
	kunmap_local(addr);

	ret = skb_splice_bits(skb, sock->sk, MPK_HLEN, pipe, len - MPK_HLEN, 0);
	KUNIT_EXPECT_EQ(test, ret, -EFAULT);
	KUNIT_EXPECT_EQ(test, pipe_occupancy(pipe->head, pipe->tail), 1);

	free_pipe_info(pipe);
	sock_release(sock);
	kfree_skb(skb);
}

#ifdef CONFIG_TCP_MD5SIG
static int mpk_md5_skb(struct sk_buff *skb)
{
	struct tcp_md5sig_pool *hp;
	int ret;

	skb_reset_transport_header(skb);
	hp = tcp_get_md5sig_pool();
	if (!hp)
		return -ENOMEM;
	ret = crypto_ahash_init(hp->md5_req);
	if (!ret)
		ret = tcp_md5_hash_skb_data(hp, skb, sizeof(struct tcphdr));
	tcp_put_md5sig_pool();
	return ret;
}

/* The digest of a segment with unreadable payload fails: TCP drops it as
 * a bad signature rather than hash bytes it must not read.
 */
static void unreadable_test_tcp_md5(struct kunit *test)
{
	struct sk_buff *plain = mp_kunit_page_skb(test, false);
	struct sk_buff *skb = mpk_unreadable_skb(test);

	KUNIT_ASSERT_TRUE(test, tcp_alloc_md5sig_pool());
	KUNIT_EXPECT_EQ(test, mpk_md5_skb(plain), 0);
	KUNIT_EXPECT_EQ(test, mpk_md5_skb(skb), 1);
	kfree_skb(plain);
	kfree_skb(skb);
}
#endif

static struct kunit_case unreadable_test_cases[] = {
	KUNIT_CASE(unreadable_test_flag),
	KUNIT_CASE(unreadable_test_copy_bits),
	KUNIT_CASE(unreadable_test_copy_to_user),
	KUNIT_CASE(unreadable_test_checksum),
	KUNIT_CASE(unreadable_test_linearize_pull),
	KUNIT_CASE(unreadable_test_sgvec_zerocopy),
	KUNIT_CASE(unreadable_test_coalesce_gro),
	KUNIT_CASE(unreadable_test_split),
	KUNIT_CASE(unreadable_test_seq_read),
	KUNIT_CASE(unreadable_test_coalesce_owners),
	KUNIT_CASE(unreadable_test_coalesce_small),
	KUNIT_CASE(unreadable_test_trim_rcsum),
	KUNIT_CASE(unreadable_test_frag_list),
	KUNIT_CASE(unreadable_test_xmit_forward),
	KUNIT_CASE(unreadable_test_packet_socket),
	KUNIT_CASE(unreadable_test_splice),
#ifdef CONFIG_TCP_MD5SIG
	KUNIT_CASE(unreadable_test_tcp_md5),
#endif
	{}
};

static struct kunit_suite unreadable_test_suite = {
	.name = "unreadable_skb",
	.init = mpk_skb_test_init,
	.exit = mpk_skb_test_exit,
	.test_cases = unreadable_test_cases,
};

kunit_test_suites(&mp_test_suite, &unreadable_test_suite);

MODULE_DESCRIPTION("KUnit tests for memory providers and unreadable skbs");
MODULE_LICENSE("GPL");
