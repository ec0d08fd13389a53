// SPDX-License-Identifier: GPL-2.0
/*
 * netdevsim datapath: two ports linked as peers pass frames to each other.
 *
 * A frame sent on one port waits on one RX queue of the peer, picked by the
 * peer's ntuple rules or else by the flow hash, until that queue's NAPI
 * receives it. Each RX queue has its own page_pool, created for the queue,
 * so a memory provider bound to the queue supplies its buffers. The
 * simulated device writes received bytes only through the DMA address of a
 * buffer, as a NIC does. With header split on, the headers go into a
 * readable buffer that becomes the skb's linear part and the payload into
 * buffers of the queue's pool.
 */

#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/etherdevice.h>
#include <linux/ethtool_netlink.h>
#include <linux/highmem.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/flow_dissector.h>
#include <net/netdev_queues.h>
#include <net/netmem.h>
#include <net/page_pool.h>

#include "netdevsim.h"

static struct page_pool *nsim_pp_create(struct netdevsim *ns, unsigned int idx)
{
	struct page_pool_params pp = {
		.flags		= PP_FLAG_DMA_MAP | PP_FLAG_ALLOW_UNREADABLE_NETMEM,
		.order		= 0,
		.pool_size	= 256,
		.nid		= NUMA_NO_NODE,
		.dev		= &ns->nsim_bus_dev->dev,
		.dma_dir	= DMA_FROM_DEVICE,
		.max_len	= PAGE_SIZE,
		.netdev		= ns->netdev,
		.queue_idx	= idx,
	};

	return page_pool_create(&pp);
}

/* The device's DMA engine: write @len bytes of @src, from @off, to the
 * buffer at DMA address @addr. The bus device has no IOMMU and uses
 * dma-direct, so a DMA address is a physical address that dma_to_phys()
 * turns back into memory the CPU can map. That holds for page_pool pages
 * and for provider memory (a dma-buf, user pages) mapped for this device
 * alike: like hardware, the device never looks at the page or net_iov
 * behind the address. Buffers are PAGE_SIZE. Called from NAPI.
 */
static int nsim_dma_write(struct device *dev, dma_addr_t addr,
			  const struct sk_buff *src, int off, unsigned int len)
{
	phys_addr_t phys = dma_to_phys(dev, addr);
	unsigned long pfn = PHYS_PFN(phys);
	void *va;
	int err;

	if (WARN_ON_ONCE(!pfn_valid(pfn) ||
			 offset_in_page(phys) + len > PAGE_SIZE))
		return -EFAULT;

	va = kmap_local_page(pfn_to_page(pfn));
	err = skb_copy_bits(src, off, va + offset_in_page(phys), len);
	kunmap_local(va);
	return err;
}

/* Receive @len bytes of @src from @off into buffers of the queue's pool,
 * each attached as the next frag of @skb, which is marked for recycling.
 * With @readable only pages are acceptable: the stack will read them.
 */
static int nsim_rx_frags(struct nsim_rq *rq, struct sk_buff *skb,
			 const struct sk_buff *src, int off, unsigned int len,
			 bool readable)
{
	struct page_pool *pool = rq->pool;
	unsigned int chunk;
	netmem_ref netmem;
	int err;

	while (len) {
		if (skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS)
			return -EMSGSIZE;
		netmem = page_pool_dev_alloc_netmem(pool);
		if (!netmem)
			return -ENOMEM;
		chunk = min_t(unsigned int, len, PAGE_SIZE);
		if (readable && netmem_is_net_iov(netmem))
			err = -EFAULT;
		else
			err = nsim_dma_write(pool->p.dev,
					     page_pool_get_dma_addr_netmem(netmem),
					     src, off, chunk);
		if (err) {
			page_pool_recycle_direct_netmem(pool, netmem);
			return err;
		}
		page_pool_dma_sync_netmem_for_cpu(pool, netmem, 0, chunk);
		skb_add_rx_frag_netmem(skb, skb_shinfo(skb)->nr_frags, netmem,
				       0, chunk, PAGE_SIZE);
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* Where header split cuts a frame: after the TCP header. Other frames go
 * whole into the header buffer if they fit, else are cut after the L4
 * header the stack must read (UDP, ICMP), or where L4 starts.
 *
 * Return: the header length, or -EINVAL if the headers do not fit.
 */
static int nsim_hds_hlen(const struct sk_buff *src)
{
	struct flow_keys_basic keys;
	const struct tcphdr *th;
	struct tcphdr _th;
	int hlen;

	if (!skb_flow_dissect_flow_keys_basic(NULL, src, &keys, NULL, 0, 0, 0,
					      0))
		return src->len <= NSIM_HDS_HDR_MAX ? src->len : ETH_HLEN;

	hlen = keys.control.thoff;
	if (keys.basic.ip_proto == IPPROTO_TCP &&
	    !(keys.control.flags & FLOW_DIS_IS_FRAGMENT)) {
		th = skb_header_pointer(src, hlen, sizeof(_th), &_th);
		if (!th)
			return -EINVAL;
		hlen += th->doff * 4;
	} else if (src->len <= NSIM_HDS_HDR_MAX) {
		return src->len;
	} else if (keys.basic.ip_proto == IPPROTO_UDP ||
		   keys.basic.ip_proto == IPPROTO_ICMP ||
		   keys.basic.ip_proto == IPPROTO_ICMPV6) {
		hlen += sizeof(struct udphdr);
	}
	if (hlen > NSIM_HDS_HDR_MAX || hlen > src->len)
		return -EINVAL;
	return hlen;
}

/* The device receives frame @src on @rq: a new skb in the queue's buffers */
static struct sk_buff *nsim_rx_build(struct nsim_rq *rq,
				     const struct sk_buff *src, bool *split)
{
	struct net_device *dev = rq->ns->netdev;
	struct sk_buff *skb;
	bool hds;
	int hlen;

	hds = READ_ONCE(rq->ns->ethtool.tcp_data_split) ==
	      ETHTOOL_TCP_DATA_SPLIT_ENABLED;
	hlen = hds ? nsim_hds_hlen(src) : 0;
	if (hlen < 0)
		return NULL;

	skb = napi_alloc_skb(&rq->napi, hlen);
	if (!skb)
		return NULL;
	skb_mark_for_recycle(skb);

	/* Header split: the headers in the skb's own (readable) buffer. */
	if (hlen && skb_copy_bits(src, 0, skb_put(skb, hlen), hlen))
		goto err_free;
	if (nsim_rx_frags(rq, skb, src, hlen, src->len - hlen, !hds))
		goto err_free;
	/* Without header split the frame is all in pool pages. */
	if (!pskb_may_pull(skb, ETH_HLEN))
		goto err_free;

	skb->protocol = eth_type_trans(skb, dev);
	/* Ports have no ARP (IFF_NOARP): the peer addresses unicast frames
	 * to its own MAC. The wire has two ends, so they are all for us.
	 */
	if (skb->pkt_type == PACKET_OTHERHOST)
		skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb_record_rx_queue(skb, rq->idx);
	if (src->l4_hash)
		skb_set_hash(skb, src->hash, PKT_HASH_TYPE_L4);
	*split = hds && skb_shinfo(skb)->nr_frags;
	return skb;

err_free:
	kfree_skb(skb);
	return NULL;
}

static int nsim_poll(struct napi_struct *napi, int budget)
{
	struct nsim_rq *rq = container_of(napi, struct nsim_rq, napi);
	struct sk_buff *src, *skb;
	unsigned int len;
	bool split = false;
	int done = 0;

	while (done < budget && (src = skb_dequeue(&rq->skb_queue))) {
		len = src->len;
		skb = nsim_rx_build(rq, src, &split);
		napi_consume_skb(src, budget);
		done++;

		u64_stats_update_begin(&rq->syncp);
		if (skb) {
			rq->rx_packets++;
			rq->rx_bytes += len;
			rq->rx_hds_packets += split;
		} else {
			rq->rx_drops++;
		}
		u64_stats_update_end(&rq->syncp);
		if (skb)
			napi_gro_receive(napi, skb);
	}
	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}

/* The peer's RX queue for @skb: an ntuple rule's, else by flow hash */
static unsigned int nsim_rx_queue(struct netdevsim *peer, struct sk_buff *skb)
{
	unsigned int nq = READ_ONCE(peer->netdev->real_num_rx_queues);
	const struct nsim_rxnfc_rule *rule;
	struct nsim_rxnfc_table *t;
	struct flow_keys keys;
	u32 flow_type;
	int i;

	t = rcu_dereference(peer->rxnfc);
	if (!t || !t->count || !skb_flow_dissect_flow_keys(skb, &keys, 0) ||
	    keys.basic.ip_proto != IPPROTO_TCP)
		goto hash;

	if (keys.basic.n_proto == htons(ETH_P_IP))
		flow_type = TCP_V4_FLOW;
	else if (keys.basic.n_proto == htons(ETH_P_IPV6))
		flow_type = TCP_V6_FLOW;
	else
		goto hash;

	for (i = 0; i < NSIM_RXNFC_MAX; i++) {
		rule = &t->rules[i];
		if (t->used[i] && rule->flow_type == flow_type &&
		    rule->dport == keys.ports.dst && rule->queue < nq)
			return rule->queue;
	}
hash:
	return skb_get_hash(skb) % nq;
}

/**
 * nsim_xmit_to_peer - put a frame on the wire to the peer port
 * @ns: the sending port
 * @skb: the frame, consumed
 *
 * The frame waits on one of the peer's RX queues for its NAPI. Frames whose
 * payload the CPU must not read cannot be sent: the device reads it.
 * Called from ndo_start_xmit.
 *
 * Return: true if the frame is on its way, false if it was dropped.
 */
bool nsim_xmit_to_peer(struct netdevsim *ns, struct sk_buff *skb)
{
	struct netdevsim *peer;
	struct nsim_rq *rq;

	/* validate_xmit_skb() drops these first; the device checks anyway. */
	if (unlikely(!skb_frags_readable(skb))) {
		atomic64_inc(&ns->tx_drop_unreadable);
		goto drop;
	}

	rcu_read_lock();
	peer = rcu_dereference(ns->peer);
	if (!peer) {
		atomic64_inc(&ns->tx_drop_unlinked);
		goto drop_unlock;
	}
	/* The peer's ndo_stop waits for us before it purges its queues. */
	if (!netif_running(peer->netdev))
		goto drop_unlock;

	rq = &peer->rq[nsim_rx_queue(peer, skb)];
	if (skb_queue_len_lockless(&rq->skb_queue) >= NSIM_RQ_LEN) {
		atomic64_inc(&rq->ring_drops);
		goto drop_unlock;
	}
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	skb_queue_tail(&rq->skb_queue, skb);
	napi_schedule(&rq->napi);
	rcu_read_unlock();
	return true;

drop_unlock:
	rcu_read_unlock();
drop:
	dev_core_stats_tx_dropped_inc(ns->netdev);
	dev_kfree_skb_any(skb);
	return false;
}

/**
 * nsim_features_check - keep frames within what the wire carries
 * @skb: the frame
 * @dev: the sending port
 * @features: offloads the stack would use
 *
 * The peer receives each frame into at most MAX_SKB_FRAGS pages, so the
 * stack segments GSO frames in software before they reach the device.
 *
 * Return: @features without GSO.
 */
netdev_features_t nsim_features_check(struct sk_buff *skb,
				      struct net_device *dev,
				      netdev_features_t features)
{
	return features & ~NETIF_F_GSO_MASK;
}

static void nsim_rq_start(struct nsim_rq *rq, struct page_pool *pool)
{
	rq->pool = pool;
	napi_enable(&rq->napi);
	/* Receive what the peer queued while the queue was stopped. */
	local_bh_disable();
	napi_schedule(&rq->napi);
	local_bh_enable();
}

static struct page_pool *nsim_rq_stop(struct nsim_rq *rq)
{
	struct page_pool *pool = rq->pool;

	napi_disable(&rq->napi);
	rq->pool = NULL;
	return pool;
}

int nsim_open(struct net_device *dev)
{
	struct netdevsim *ns = netdev_priv(dev);
	struct page_pool *pool;
	unsigned int i;

	for (i = 0; i < ns->nsim_bus_dev->num_queues; i++) {
		pool = nsim_pp_create(ns, i);
		if (IS_ERR(pool))
			goto err_stop;
		nsim_rq_start(&ns->rq[i], pool);
	}
	return 0;

err_stop:
	while (i--)
		page_pool_destroy(nsim_rq_stop(&ns->rq[i]));
	return PTR_ERR(pool);
}

int nsim_stop(struct net_device *dev)
{
	struct netdevsim *ns = netdev_priv(dev);
	struct nsim_rq *rq;
	unsigned int i;

	/* The peer's xmit saw us running: let it finish queueing. */
	synchronize_net();
	for (i = 0; i < ns->nsim_bus_dev->num_queues; i++) {
		rq = &ns->rq[i];
		page_pool_destroy(nsim_rq_stop(rq));
		skb_queue_purge(&rq->skb_queue);
	}
	return 0;
}

/* Queue management: a queue's memory is its page_pool. The frames waiting
 * on the queue stay while it restarts and are received on the new pool.
 */
struct nsim_queue_mem {
	struct page_pool *pool;
};

static int nsim_queue_mem_alloc(struct net_device *dev, void *qmem, int idx)
{
	struct nsim_queue_mem *mem = qmem;
	struct page_pool *pool;

	pool = nsim_pp_create(netdev_priv(dev), idx);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	mem->pool = pool;
	return 0;
}

static void nsim_queue_mem_free(struct net_device *dev, void *qmem)
{
	struct nsim_queue_mem *mem = qmem;

	if (mem->pool)
		page_pool_destroy(mem->pool);
	mem->pool = NULL;
}

static int nsim_queue_start(struct net_device *dev, void *qmem, int idx)
{
	struct netdevsim *ns = netdev_priv(dev);
	struct nsim_queue_mem *mem = qmem;

	nsim_rq_start(&ns->rq[idx], mem->pool);
	mem->pool = NULL;
	return 0;
}

static int nsim_queue_stop(struct net_device *dev, void *qmem, int idx)
{
	struct netdevsim *ns = netdev_priv(dev);
	struct nsim_queue_mem *mem = qmem;

	mem->pool = nsim_rq_stop(&ns->rq[idx]);
	return 0;
}

const struct netdev_queue_mgmt_ops nsim_queue_mgmt_ops = {
	.ndo_queue_mem_size	= sizeof(struct nsim_queue_mem),
	.ndo_queue_mem_alloc	= nsim_queue_mem_alloc,
	.ndo_queue_mem_free	= nsim_queue_mem_free,
	.ndo_queue_start	= nsim_queue_start,
	.ndo_queue_stop		= nsim_queue_stop,
};

static ssize_t nsim_queue_reset_write(struct file *file,
				      const char __user *data, size_t count,
				      loff_t *ppos)
{
	struct netdevsim *ns = file->private_data;
	unsigned int queue;
	int ret;

	ret = kstrtouint_from_user(data, count, 0, &queue);
	if (ret)
		return ret;

	rtnl_lock();
	ret = netdev_rx_queue_restart(ns->netdev, queue);
	rtnl_unlock();
	return ret ?: count;
}

static const struct file_operations nsim_queue_reset_fops = {
	.open	= simple_open,
	.write	= nsim_queue_reset_write,
	.llseek	= generic_file_llseek,
	.owner	= THIS_MODULE,
};

int nsim_rq_init(struct netdevsim *ns)
{
	unsigned int i, n = ns->nsim_bus_dev->num_queues;
	struct nsim_rq *rq;

	ns->rq = kcalloc(n, sizeof(*ns->rq), GFP_KERNEL);
	if (!ns->rq)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		rq = &ns->rq[i];
		rq->ns = ns;
		rq->idx = i;
		skb_queue_head_init(&rq->skb_queue);
		u64_stats_init(&rq->syncp);
		netif_napi_add(ns->netdev, &rq->napi, nsim_poll);
	}
	ns->netdev->queue_mgmt_ops = &nsim_queue_mgmt_ops;
	ns->queue_reset_dentry =
		debugfs_create_file("queue_reset", 0200,
				    ns->nsim_dev_port->ddir, ns,
				    &nsim_queue_reset_fops);
	return 0;
}

/* After unregister: no peer queues frames to us any more. */
void nsim_rq_uninit(struct netdevsim *ns)
{
	unsigned int i;

	if (!ns->rq)
		return;
	for (i = 0; i < ns->nsim_bus_dev->num_queues; i++) {
		netif_napi_del(&ns->rq[i].napi);
		skb_queue_purge(&ns->rq[i].skb_queue);
	}
	kfree(ns->rq);
	ns->rq = NULL;
	kfree(rcu_dereference_protected(ns->rxnfc, true));
}

/* Peers */

static struct netdevsim *nsim_get_pf(struct net *net, int ifindex)
{
	struct net_device *dev;

	dev = __dev_get_by_index(net, ifindex);
	if (!dev)
		return ERR_PTR(-ENODEV);
	if (!nsim_netdev_is_pf(dev))
		return ERR_PTR(-EOPNOTSUPP);
	return netdev_priv(dev);
}

/**
 * nsim_link - link two netdevsim ports as peers
 * @net_a: network namespace of the first port
 * @ifindex_a: ifindex of the first port in @net_a
 * @net_b: network namespace of the second port
 * @ifindex_b: ifindex of the second port in @net_b
 *
 * Return: 0; -ENODEV for no such device, -EOPNOTSUPP for a device that is
 * not a netdevsim port, -EINVAL to link a port with itself, -EBUSY if
 * either is linked already.
 */
int nsim_link(struct net *net_a, int ifindex_a, struct net *net_b,
	      int ifindex_b)
{
	struct netdevsim *a, *b;
	int err = 0;

	rtnl_lock();
	a = nsim_get_pf(net_a, ifindex_a);
	b = nsim_get_pf(net_b, ifindex_b);
	if (IS_ERR(a) || IS_ERR(b)) {
		err = IS_ERR(a) ? PTR_ERR(a) : PTR_ERR(b);
		goto out;
	}
	if (a == b) {
		err = -EINVAL;
		goto out;
	}
	if (rtnl_dereference(a->peer) || rtnl_dereference(b->peer)) {
		err = -EBUSY;
		goto out;
	}
	rcu_assign_pointer(a->peer, b);
	rcu_assign_pointer(b->peer, a);
out:
	rtnl_unlock();
	return err;
}

/* RTNL held. Frames already on the wire are still received. */
void nsim_peer_unlink(struct netdevsim *ns)
{
	struct netdevsim *peer = rtnl_dereference(ns->peer);

	if (!peer)
		return;
	RCU_INIT_POINTER(ns->peer, NULL);
	RCU_INIT_POINTER(peer->peer, NULL);
	/* An xmit on either side may still hold the other port. */
	synchronize_net();
}

/**
 * nsim_unlink - unlink a netdevsim port from its peer
 * @net: network namespace of the port
 * @ifindex: ifindex of the port in @net
 *
 * Return: 0; -ENODEV, -EOPNOTSUPP as for nsim_link(); -ENOENT if the port
 * has no peer.
 */
int nsim_unlink(struct net *net, int ifindex)
{
	struct netdevsim *ns;
	int err = 0;

	rtnl_lock();
	ns = nsim_get_pf(net, ifindex);
	if (IS_ERR(ns))
		err = PTR_ERR(ns);
	else if (!rtnl_dereference(ns->peer))
		err = -ENOENT;
	else
		nsim_peer_unlink(ns);
	rtnl_unlock();
	return err;
}

/* ntuple steering: tcp4/tcp6 on the destination port only, under RTNL */

static int nsim_get_rule(struct netdevsim *ns, struct ethtool_rxnfc *info)
{
	struct ethtool_rx_flow_spec *fsp = &info->fs;
	const struct nsim_rxnfc_rule *rule;
	struct nsim_rxnfc_table *t;

	t = rtnl_dereference(ns->rxnfc);
	if (fsp->location >= NSIM_RXNFC_MAX || !t || !t->used[fsp->location])
		return -ENOENT;

	rule = &t->rules[fsp->location];
	memset(&fsp->h_u, 0, sizeof(fsp->h_u));
	memset(&fsp->m_u, 0, sizeof(fsp->m_u));
	memset(&fsp->h_ext, 0, sizeof(fsp->h_ext));
	memset(&fsp->m_ext, 0, sizeof(fsp->m_ext));
	fsp->flow_type = rule->flow_type;
	if (rule->flow_type == TCP_V4_FLOW) {
		fsp->h_u.tcp_ip4_spec.pdst = rule->dport;
		fsp->m_u.tcp_ip4_spec.pdst = htons(0xffff);
	} else {
		fsp->h_u.tcp_ip6_spec.pdst = rule->dport;
		fsp->m_u.tcp_ip6_spec.pdst = htons(0xffff);
	}
	fsp->ring_cookie = rule->queue;
	info->data = NSIM_RXNFC_MAX;
	return 0;
}

int nsim_get_rxnfc(struct net_device *dev, struct ethtool_rxnfc *info,
		   u32 *rule_locs)
{
	struct netdevsim *ns = netdev_priv(dev);
	struct nsim_rxnfc_table *t;
	unsigned int i, n = 0;

	t = rtnl_dereference(ns->rxnfc);
	switch (info->cmd) {
	case ETHTOOL_GRXRINGS:
		info->data = dev->real_num_rx_queues;
		return 0;
	case ETHTOOL_GRXCLSRLCNT:
		info->rule_cnt = t ? t->count : 0;
		info->data = NSIM_RXNFC_MAX;
		return 0;
	case ETHTOOL_GRXCLSRULE:
		return nsim_get_rule(ns, info);
	case ETHTOOL_GRXCLSRLALL:
		for (i = 0; t && i < NSIM_RXNFC_MAX; i++) {
			if (!t->used[i])
				continue;
			if (n == info->rule_cnt)
				return -EMSGSIZE;
			rule_locs[n++] = i;
		}
		info->rule_cnt = n;
		info->data = NSIM_RXNFC_MAX;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int nsim_parse_rule(struct net_device *dev,
			   const struct ethtool_rx_flow_spec *fsp,
			   struct nsim_rxnfc_rule *rule)
{
	const struct ethtool_tcpip6_spec *m6 = &fsp->m_u.tcp_ip6_spec;
	const struct ethtool_tcpip4_spec *m4 = &fsp->m_u.tcp_ip4_spec;
	u64 queue;

	if (fsp->ring_cookie == RX_CLS_FLOW_DISC ||
	    ethtool_get_flow_spec_ring_vf(fsp->ring_cookie))
		return -EOPNOTSUPP;
	queue = ethtool_get_flow_spec_ring(fsp->ring_cookie);
	if (queue >= dev->real_num_rx_queues)
		return -EINVAL;

	switch (fsp->flow_type) {
	case TCP_V4_FLOW:
		if (m4->ip4src || m4->ip4dst || m4->psrc || m4->tos ||
		    m4->pdst != htons(0xffff))
			return -EOPNOTSUPP;
		rule->dport = fsp->h_u.tcp_ip4_spec.pdst;
		break;
	case TCP_V6_FLOW:
		if (memchr_inv(m6->ip6src, 0, sizeof(m6->ip6src)) ||
		    memchr_inv(m6->ip6dst, 0, sizeof(m6->ip6dst)) ||
		    m6->psrc || m6->tclass || m6->pdst != htons(0xffff))
			return -EOPNOTSUPP;
		rule->dport = fsp->h_u.tcp_ip6_spec.pdst;
		break;
	default:
		/* Also FLOW_EXT, FLOW_MAC_EXT and FLOW_RSS */
		return -EOPNOTSUPP;
	}
	rule->flow_type = fsp->flow_type;
	rule->queue = queue;
	return 0;
}

int nsim_set_rxnfc(struct net_device *dev, struct ethtool_rxnfc *info)
{
	struct netdevsim *ns = netdev_priv(dev);
	struct nsim_rxnfc_table *old, *t;
	struct nsim_rxnfc_rule rule;
	u32 loc = info->fs.location;
	int err;

	if (!ns->rq)
		return -EOPNOTSUPP;
	if (info->cmd != ETHTOOL_SRXCLSRLINS && info->cmd != ETHTOOL_SRXCLSRLDEL)
		return -EOPNOTSUPP;
	if (loc >= NSIM_RXNFC_MAX)
		return -EINVAL;

	old = rtnl_dereference(ns->rxnfc);
	if (info->cmd == ETHTOOL_SRXCLSRLINS) {
		err = nsim_parse_rule(dev, &info->fs, &rule);
		if (err)
			return err;
	} else if (!old || !old->used[loc]) {
		return -ENOENT;
	}

	t = old ? kmemdup(old, sizeof(*t), GFP_KERNEL) :
		  kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	if (t->used[loc])
		t->count--;
	t->used[loc] = info->cmd == ETHTOOL_SRXCLSRLINS;
	if (t->used[loc]) {
		t->rules[loc] = rule;
		t->count++;
	}
	rcu_assign_pointer(ns->rxnfc, t);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/* ethtool -S: per RX queue packets, bytes, drops and page_pool stats */

static const char nsim_tx_stat_names[][ETH_GSTRING_LEN] = {
	"tx_drop_unlinked",
	"tx_drop_unreadable",
};

static const char nsim_rq_stat_names[][ETH_GSTRING_LEN] = {
	"packets",
	"bytes",
	"drops",
	"hds_packets",
};

int nsim_stats_count(struct netdevsim *ns)
{
	int n = ARRAY_SIZE(nsim_tx_stat_names);

	if (ns->rq)
		n += ns->nsim_bus_dev->num_queues *
		     (ARRAY_SIZE(nsim_rq_stat_names) +
		      page_pool_ethtool_stats_get_count());
	return n;
}

void nsim_stats_strings(struct netdevsim *ns, u8 *data)
{
	char name[ETH_GSTRING_LEN];
	unsigned int i, q;
	u8 *pp;

	memcpy(data, nsim_tx_stat_names, sizeof(nsim_tx_stat_names));
	data += sizeof(nsim_tx_stat_names);
	for (q = 0; ns->rq && q < ns->nsim_bus_dev->num_queues; q++) {
		for (i = 0; i < ARRAY_SIZE(nsim_rq_stat_names); i++)
			ethtool_sprintf(&data, "rx%u_%s", q,
					nsim_rq_stat_names[i]);
		/* The page_pool's own names, "rx_pp_*", become "rxQ_pp_*". */
		pp = data;
		data = page_pool_ethtool_stats_get_strings(data);
		for (; pp < data; pp += ETH_GSTRING_LEN) {
			strscpy(name, (char *)pp + 3, sizeof(name));
			snprintf((char *)pp, ETH_GSTRING_LEN, "rx%u_%s", q,
				 name);
		}
	}
}

void nsim_stats_get(struct netdevsim *ns, u64 *data)
{
	struct page_pool_stats pp_stats;
	struct nsim_rq *rq;
	unsigned int start, q;

	*data++ = atomic64_read(&ns->tx_drop_unlinked);
	*data++ = atomic64_read(&ns->tx_drop_unreadable);
	for (q = 0; ns->rq && q < ns->nsim_bus_dev->num_queues; q++) {
		rq = &ns->rq[q];
		do {
			start = u64_stats_fetch_begin(&rq->syncp);
			data[0] = rq->rx_packets;
			data[1] = rq->rx_bytes;
			data[2] = rq->rx_drops;
			data[3] = rq->rx_hds_packets;
		} while (u64_stats_fetch_retry(&rq->syncp, start));
		data[2] += atomic64_read(&rq->ring_drops);
		data += ARRAY_SIZE(nsim_rq_stat_names);

		/* RTNL held: the pool cannot change under us. */
		memset(&pp_stats, 0, sizeof(pp_stats));
#ifdef CONFIG_PAGE_POOL_STATS
		if (rq->pool)
			page_pool_get_stats(rq->pool, &pp_stats);
#endif
		data = page_pool_ethtool_stats_get(data, &pp_stats);
	}
}
