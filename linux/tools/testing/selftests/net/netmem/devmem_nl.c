// SPDX-License-Identifier: GPL-2.0
/*
 * The netdev generic netlink family and the dma-buf memory provider.
 *
 *   devmem_nl -i IFINDEX -d DEV -q QUEUE -o OTHERQ -p PORT -c CLIENT_CMD
 *             -H HDS_CMD [-D NSIM_ID [-R RMMOD_CMD]] [-N NEW_NSIM_ID] [-n QUEUES]
 *             [-t TIMEOUT]
 *
 * Runs in the receiving namespace; raw generic netlink over libc sockets.
 * The dma-buf is a udmabuf made from a sealed memfd. CLIENT_CMD is a
 * tcp_pattern sender in the peer namespace without -p and -n: devmem_nl
 * appends them for each flow, to PORT, PORT + 1 and PORT + 2, all three
 * steered to QUEUE.
 *
 * It binds QUEUE and checks: bind-rx errors with their errno (bad ifindex,
 * empty queue list, tx queue, bad fd, a memfd, header split off through
 * HDS_CMD ("off"/"on" appended), queue already bound, no CAP_NET_ADMIN,
 * out of range), that a failed multi-queue bind leaves no queue bound,
 * queue-get and page-pool-get reporting the binding, the page-pool add
 * and del notifications of its pools, page-pool-stats-get against
 * ethtool -S DEV, that a TCP
 * flow steered to QUEUE is unreadable (recv() fails with EFAULT), then
 * that closing the netlink socket unbinds the queue, frees its pools and
 * detaches the dma-buf, that binding again works, and that a plain flow on
 * the queue then arrives whole. Unimplemented commands are -EOPNOTSUPP.
 * XDP and a binding exclude each other in both orders (generic and native
 * XDP, AF_XDP zero-copy on the bound queue). bind-rx runs under fail-nth
 * fault injection (each allocation and user copy of the request failed in
 * turn) when the kernel has it.
 * With -N it first checks dev-get (do, dump, unknown ifindex) and the mgmt
 * group: netdevsim device NEW_NSIM_ID, created and deleted in this
 * namespace, must be announced by dev-add-ntf and dev-del-ntf. With -n
 * (the device's channel count, above QUEUE) it checks that ethtool -L
 * cannot remove the bound queue and can remove those above it.
 *
 * With -D it then binds again, lets a connection's payload sit in the
 * dma-buf unread and deletes netdevsim device NSIM_ID: the pool must be
 * listed detached with buffers in flight, the dma-buf detached from the
 * device at once; with -R, RMMOD_CMD then removes the driver module; once
 * the connection and the netlink socket close, the pools go and the dma-buf
 * is released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <error.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include "netmem_nl.h"

#define DMABUF_SIZE	(4 << 20)

static int cfg_ifindex;
static const char *cfg_dev;
static int cfg_queue = -1;
static int cfg_other = -1;
static int cfg_port;
static const char *cfg_client;
static const char *cfg_hds;
static const char *cfg_nsim_id;
static const char *cfg_rmmod;
static int cfg_timeout = 30;
static int cfg_new_id;
static int cfg_nqueues;

static __u16 family_id;
static __u32 grp_page_pool, grp_mgmt;
static int failures;
static int test_num;

static void result(const char *name, bool ok)
{
	test_num++;
	printf("%s %d %s\n", ok ? "ok" : "not ok", test_num, name);
	fflush(stdout);
	if (!ok)
		failures++;
}

/* bind-rx */

static int bind_one(int fd, int dmabuf, int queue)
{
	struct netdev_bind_q q = { queue, NETDEV_QUEUE_TYPE_RX };

	return netdev_bind_rx(fd, family_id, cfg_ifindex, dmabuf, &q, 1);
}

/* queue-get of our device */
static int queue_get(int fd, int queue, int type, struct netdev_queue_info *qi)
{
	return netdev_queue_get(fd, family_id, cfg_ifindex, queue, type, qi);
}

static long queue_dmabuf(int fd, int queue)
{
	struct netdev_queue_info qi;
	int err;

	err = queue_get(fd, queue, NETDEV_QUEUE_TYPE_RX, &qi);
	if (err)
		return err;
	return qi.dmabuf;
}

/* page-pool-stats-get */

#define NSTATS 11
static const char *const stat_names[NSTATS] = {
	"alloc_fast", "alloc_slow", "alloc_slow_ho", "alloc_empty",
	"alloc_refill", "alloc_waive", "recycle_cached",
	"recycle_cache_full", "recycle_ring", "recycle_ring_full",
	"recycle_released_ref",
};

struct pool_stats {
	int count;
	__u64 id;
	__u64 v[NSTATS];
	bool have[NSTATS];
};

static void stats_cb(struct nl_reply *r, void *ctx)
{
	struct pool_stats *s = ctx;
	struct nlattr *tb[NL_MAX_ATTR];
	int i;

	s->count++;
	if (r->tb[NETDEV_A_PAGE_POOL_STATS_INFO]) {
		nl_parse(tb, nl_attr_data(r->tb[NETDEV_A_PAGE_POOL_STATS_INFO]),
			 nl_attr_len(r->tb[NETDEV_A_PAGE_POOL_STATS_INFO]));
		if (tb[NETDEV_A_PAGE_POOL_ID])
			s->id = nl_attr_uint(tb[NETDEV_A_PAGE_POOL_ID]);
	}
	for (i = 0; i < NSTATS; i++) {
		struct nlattr *a = r->tb[NETDEV_A_PAGE_POOL_STATS_ALLOC_FAST + i];

		s->have[i] = a;
		s->v[i] = a ? nl_attr_uint(a) : 0;
	}
}

static int pool_stats_get(int fd, __u64 id, struct pool_stats *s)
{
	struct nlattr *nest;
	struct nl_msg m;

	memset(s, 0, sizeof(*s));
	nl_msg_init(&m, family_id, 0, NETDEV_CMD_PAGE_POOL_STATS_GET);
	nest = nl_nest_start(&m, NETDEV_A_PAGE_POOL_STATS_INFO);
	nl_put_u32(&m, NETDEV_A_PAGE_POOL_ID, id);
	nl_nest_end(&m, nest);
	return nl_txn(fd, &m, stats_cb, s);
}

/* ethtool -S DEV: rxQ_pp_NAME of the queue */
static bool ethtool_pp_stats(int queue, __u64 *v)
{
	char cmd[256], line[256], name[128], want[64];
	unsigned long long val;
	int i, found = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ethtool -S %s", cfg_dev);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %127[^:]: %llu", name, &val) != 2)
			continue;
		for (i = 0; i < NSTATS; i++) {
			snprintf(want, sizeof(want), "rx%d_pp_%s", queue,
				 stat_names[i]);
			if (!strcmp(name, want)) {
				v[i] = val;
				found++;
			}
		}
	}
	pclose(f);
	return found == NSTATS;
}

/* ethtool -S DEV: the counter @stat, or -1 */
static long long ethtool_stat(const char *stat)
{
	return ethtool_stat_of(cfg_dev, stat);
}

/* dma-buf */

static int memfd;

/* From the dma-buf debugfs: devices attached to the buffer behind @fd and
 * the file's reference count; -1 if it is not listed.
 */
static int dmabuf_attached(int fd, int *refs)
{
	static bool mounted;
	unsigned long size, flags, mode, count, ino;
	char line[256], exp[64];
	int attached = -1, n;
	bool ours = false;
	struct stat st;
	FILE *f;

	if (fstat(fd, &st))
		return -1;
	/* ip netns exec mounts a sysfs of the namespace, without debugfs;
	 * the mount namespace is private to us.
	 */
	if (!mounted && access("/sys/kernel/debug/dma_buf", F_OK) &&
	    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL))
		printf("# mount debugfs: %s\n", strerror(errno));
	mounted = true;
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lu %lx %lx %lu %63s %lu", &size, &flags,
			   &mode, &count, exp, &ino) == 6) {
			ours = ino == st.st_ino;
			if (ours)
				*refs = count;
			continue;
		}
		if (ours && sscanf(line, "Total %d devices attached", &n) == 1) {
			attached = n;
			break;
		}
	}
	fclose(f);
	return attached;
}

/* No device attached any more, and with @all_refs, no reference but @fd's */
static bool wait_unattached(int fd, bool all_refs)
{
	int i, refs = -1, att = -1;

	for (i = 0; i < 100; i++) {
		att = dmabuf_attached(fd, &refs);
		if (att == 0 && (refs == 1 || !all_refs))
			return true;
		usleep(100000);
	}
	printf("# dma-buf: %d devices attached, %d refs\n", att, refs);
	return false;
}

static bool wait_detached(int fd)
{
	return wait_unattached(fd, true);
}

/* hds */

static bool hds(const char *state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s %s", cfg_hds, state);
	return system(cmd) == 0;
}

/* ethtool -L DEV combined @n: true if it worked */
static bool set_channels(int n)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "ethtool -L %s combined %d >/dev/null 2>&1",
		 cfg_dev, n);
	return system(cmd) == 0;
}

/* Channels: the bound queue cannot go; the queues above it can. */
static void channels_while_bound(int nl, long id)
{
	bool ok;

	ok = !set_channels(cfg_queue) && queue_dmabuf(nl, cfg_queue) == id;
	result("ethtool -L below the bound queue: refused, still bound", ok);
	ok = set_channels(cfg_queue + 1) && queue_dmabuf(nl, cfg_queue) == id &&
	     set_channels(cfg_nqueues) && queue_dmabuf(nl, cfg_queue) == id;
	result("ethtool -L keeping the bound queue, and back: still bound", ok);
}

/* capabilities: run @fn in a child without CAP_NET_ADMIN */

static int bind_without_cap(int dmabuf)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int status, fd, err;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		error(1, errno, "fork");
	if (!pid) {
		if (syscall(SYS_capget, &hdr, data))
			_exit(200);
		data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
		data[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
		if (syscall(SYS_capset, &hdr, data))
			_exit(201);
		fd = nl_open();
		err = bind_one(fd, dmabuf, cfg_queue);
		_exit(err < 0 ? -err : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return -WEXITSTATUS(status);
}

/* unimplemented commands */

static int raw_cmd(int fd, __u8 cmd)
{
	struct nl_msg m;

	nl_msg_init(&m, family_id, 0, cmd);
	return nl_txn(fd, &m, NULL, NULL);
}

/* the unreadable flow */

/* Run CLIENT_CMD -p @port -n @bytes: a tcp_pattern sender in the peer */
static pid_t run_client(int port, int bytes)
{
	char cmd[1024];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "%s -p %d -n %d >/dev/null 2>&1", cfg_client,
		 port, bytes);
	pid = fork();
	if (pid < 0)
		error(1, errno, "fork");
	if (!pid) {
		/* Its own process group: killing it takes the sender too. */
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The child @pid's exit code, or -1; with @kill_it SIGKILL it first. */
static int end_client(pid_t pid, bool kill_it)
{
	int status;

	if (kill_it)
		kill(-pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Accept a connection on @lfd within the timeout: the fd or -1 */
static int accept_timeout(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	if (poll(&pfd, 1, cfg_timeout * 1000) != 1) {
		printf("# no connection\n");
		return -1;
	}
	return accept(lfd, NULL, NULL);
}

static int listen_port(int port)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};
	int one = 1;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		error(1, errno, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&addr, sizeof(addr)) || listen(fd, 1))
		error(1, errno, "bind/listen %d", port);
	return fd;
}

static bool unreadable_flow(void)
{
	struct pollfd pfd;
	char buf[4096];
	int lfd, fd;
	ssize_t n;
	pid_t pid;
	bool ok;

	lfd = listen_port(cfg_port);
	pid = run_client(cfg_port, 1 << 20);
	fd = accept_timeout(lfd);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ok = fd >= 0 && poll(&pfd, 1, cfg_timeout * 1000) == 1;
	if (ok) {
		n = recv(fd, buf, sizeof(buf), 0);
		ok = n < 0 && errno == EFAULT;
		if (!ok)
			printf("# recv on the bound queue: %zd, %s\n", n,
			       n < 0 ? strerror(errno) : "bytes readable");
		/* Nor any later read. */
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 0 || errno != EFAULT) {
			printf("# second recv: %zd\n", n);
			ok = false;
		}
	}
	if (fd >= 0)
		close(fd);
	close(lfd);
	end_client(pid, true);
	return ok;
}

/* notifications of the netdev family */

#define NTF_MAX_POOLS	8

struct ntf_seen {
	long binding;		/* page-pool: the binding to look for */
	__u64 pools[NTF_MAX_POOLS];	/* ids of its pools added */
	int npools;
	int del_of_pools;	/* page-pool-del of one of @pools */
	int dev_add, dev_del;	/* mgmt: the last ifindex of each, or 0 */
};

static void ntf_one(struct nl_reply *r, struct ntf_seen *seen)
{
	__s64 pool = nl_attr_uint_or(r->tb[NETDEV_A_PAGE_POOL_ID], 0);
	__s64 dmabuf = nl_attr_uint_or(r->tb[NETDEV_A_PAGE_POOL_DMABUF], -1);
	int i;

	switch (r->cmd) {
	case NETDEV_CMD_DEV_ADD_NTF:
	case NETDEV_CMD_DEV_DEL_NTF:
		i = nl_attr_uint_or(r->tb[NETDEV_A_DEV_IFINDEX], 0);
		printf("# notification: dev-%s-ntf, ifindex %d\n",
		       r->cmd == NETDEV_CMD_DEV_ADD_NTF ? "add" : "del", i);
		if (r->cmd == NETDEV_CMD_DEV_ADD_NTF)
			seen->dev_add = i;
		else
			seen->dev_del = i;
		return;
	}
	printf("# notification: cmd %d, pool %lld, dmabuf %lld\n", r->cmd,
	       (long long)pool, (long long)dmabuf);
	if (r->cmd == NETDEV_CMD_PAGE_POOL_ADD_NTF && dmabuf == seen->binding &&
	    seen->npools < NTF_MAX_POOLS)
		seen->pools[seen->npools++] = pool;
	if (r->cmd == NETDEV_CMD_PAGE_POOL_DEL_NTF)
		for (i = 0; i < seen->npools; i++)
			if (seen->pools[i] == (__u64)pool)
				seen->del_of_pools++;
}

/* Read every notification queued on @fd */
static void ntf_drain(int fd, struct ntf_seen *seen)
{
	static char rbuf[65536];
	struct nlmsghdr *nlh;
	struct nl_reply r;
	ssize_t n;

	for (;;) {
		n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN)
				printf("# notifications: %s\n", strerror(errno));
			break;
		}
		for (nlh = (void *)rbuf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type != family_id)
				continue;
			nl_parse_msg(nlh, &r);
			ntf_one(&r, seen);
		}
	}
}

/* A netlink socket in multicast group @grp of the family */
static int ntf_open(__u32 grp)
{
	struct sockaddr_nl nl_addr = { .nl_family = AF_NETLINK };
	int fd = nl_open();

	/* Bound, so it has a port id: broadcasts skip port 0, the sender's. */
	if (bind(fd, (struct sockaddr *)&nl_addr, sizeof(nl_addr)))
		error(1, errno, "bind netlink");
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)))
		error(1, errno, "join group %u", grp);
	return fd;
}

/* dev-get */

struct dev_info {
	int count;		/* replies */
	int ifindex;		/* of the last reply */
	bool ours;		/* a reply for cfg_ifindex */
	bool xdp_features;	/* the last reply had XDP_FEATURES */
};

static void dev_cb(struct nl_reply *r, void *ctx)
{
	struct dev_info *di = ctx;

	di->count++;
	di->ifindex = nl_attr_uint_or(r->tb[NETDEV_A_DEV_IFINDEX], 0);
	di->ours |= di->ifindex == cfg_ifindex;
	di->xdp_features = r->tb[NETDEV_A_DEV_XDP_FEATURES];
}

/* dev-get of @ifindex, or with 0 a dump */
static int dev_get(int fd, int ifindex, struct dev_info *di)
{
	struct nl_msg m;

	memset(di, 0, sizeof(*di));
	nl_msg_init(&m, family_id, ifindex ? 0 : NLM_F_DUMP,
		    NETDEV_CMD_DEV_GET);
	if (ifindex)
		nl_put_u32(&m, NETDEV_A_DEV_IFINDEX, ifindex);
	return nl_txn(fd, &m, dev_cb, di);
}

/* Write @s to netdevsim bus file @file */
static bool nsim_bus_write(const char *file, const char *s)
{
	char path[128];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/netdevsim/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	if (!ok)
		printf("# %s < %s: %s\n", path, s, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* dev-get, and the mgmt group's notifications for a netdevsim device
 * (id @nsim_id) created and deleted here
 */
static void dev_get_and_mgmt(int nl, int nsim_id)
{
	struct ntf_seen seen = {};
	struct dev_info di;
	char buf[32];
	int ntf, err, ifx;
	bool ok;

	err = dev_get(nl, cfg_ifindex, &di);
	result("dev-get: one reply, our ifindex, xdp-features",
	       !err && di.count == 1 && di.ifindex == cfg_ifindex &&
	       di.xdp_features);
	err = dev_get(nl, 0, &di);
	printf("# dev-get dump: %d devices\n", di.count);
	result("dev-get dump: our device among them", !err && di.ours);
	err = dev_get(nl, 999999, &di);
	result("dev-get of an unknown ifindex: ENODEV", err == -ENODEV);

	ntf = ntf_open(grp_mgmt);
	snprintf(buf, sizeof(buf), "%d 1 1", nsim_id);
	ok = nsim_bus_write("new_device", buf);
	ntf_drain(ntf, &seen);
	ifx = seen.dev_add;
	ok &= ifx > 0 && !dev_get(nl, ifx, &di) && di.ifindex == ifx;
	result("mgmt: dev-add-ntf for a new device, dev-get finds it", ok);
	snprintf(buf, sizeof(buf), "%d", nsim_id);
	ok = nsim_bus_write("del_device", buf);
	ntf_drain(ntf, &seen);
	ok &= ifx > 0 && seen.dev_del == ifx &&
	      dev_get(nl, ifx, &di) == -ENODEV;
	result("mgmt: dev-del-ntf when it goes, dev-get ENODEV", ok);
	close(ntf);
}

static bool stats_match(int nl, __u64 pool_id)
{
	__u64 eth[NSTATS];
	struct pool_stats s1, s2;
	int try, i;

	for (try = 0; try < 5; try++) {
		if (pool_stats_get(nl, pool_id, &s1) ||
		    !ethtool_pp_stats(cfg_queue, eth) ||
		    pool_stats_get(nl, pool_id, &s2))
			return false;
		if (s1.count != 1 || s1.id != pool_id)
			return false;
		for (i = 0; i < NSTATS; i++)
			if (!s1.have[i])
				return false;
		if (memcmp(s1.v, s2.v, sizeof(s1.v)))
			continue;	/* traffic meanwhile */
		for (i = 0; i < NSTATS; i++)
			if (s1.v[i] != eth[i])
				break;
		if (i == NSTATS) {
			printf("# pool %llu: alloc_slow %llu alloc_fast %llu recycle_ring %llu\n",
			       (unsigned long long)pool_id,
			       (unsigned long long)s1.v[1],
			       (unsigned long long)s1.v[0],
			       (unsigned long long)s1.v[8]);
			return true;
		}
		printf("# %s: netlink %llu, ethtool %llu\n", stat_names[i],
		       (unsigned long long)s1.v[i],
		       (unsigned long long)eth[i]);
	}
	return false;
}

static bool wait_pools_gone(int nl, long binding)
{
	struct netdev_pool_list pl;
	int i, j;

	for (i = 0; i < 100; i++) {
		if (netdev_pools_of_binding(nl, family_id, binding, &pl))
			return false;
		for (j = 0; j < pl.n; j++)
			if (pl.p[j].inflight)
				break;
		if (!pl.n)
			return true;
		usleep(100000);
	}
	printf("# %d pools of binding %ld left\n", pl.n, binding);
	return false;
}

/* tcp_pattern's byte at stream offset @off (seed 0) */
static __u8 pattern_byte(unsigned long long off)
{
	return (__u8)((off % 251) ^ ((off / 251) % 253));
}

/* After the unbind the queue receives on pages again: a plain transfer of
 * @bytes on it, every byte checked, the queue's counter grown by as much.
 */
static bool plain_flow(int port, int bytes)
{
	unsigned long long got = 0;
	long long b0, b1;
	char stat[32], buf[16384];
	int lfd, fd, rc, i;
	bool ok = true;
	ssize_t n;
	pid_t pid;

	snprintf(stat, sizeof(stat), "rx%d_bytes", cfg_queue);
	b0 = ethtool_stat(stat);
	lfd = listen_port(port);
	pid = run_client(port, bytes);
	fd = accept_timeout(lfd);
	close(lfd);
	if (fd < 0) {
		end_client(pid, true);
		return false;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = cfg_timeout },
		   sizeof(struct timeval));
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (i = 0; i < n && ok; i++)
			ok = buf[i] == (char)pattern_byte(got + i);
		if (!ok) {
			printf("# mismatch at offset %llu\n", got + i - 1);
			break;
		}
		got += n;
	}
	if (n < 0)
		printf("# recv at %llu: %s\n", got, strerror(errno));
	close(fd);
	rc = end_client(pid, false);
	b1 = ethtool_stat(stat);
	printf("# plain flow: %llu bytes verified, sender exit %d, queue %d: +%lld bytes\n",
	       got, rc, cfg_queue, b1 - b0);
	return ok && !n && got == (unsigned long long)bytes && !rc && b0 >= 0 &&
	       b1 - b0 >= bytes;
}

/* Delete the device (netdevsim @nsim_id) while a binding of @dmabuf holds
 * payload of a connection to @port in a socket: the pool stays, listed
 * detached with buffers in flight, until the socket and binding close.
 */
static void device_delete(int dmabuf, int port, const char *nsim_id)
{
	struct netdev_pool_list pl;
	int nl, id, lfd, fd;
	struct pollfd pfd;
	bool ok;
	pid_t pid;

	nl = nl_open();
	id = bind_one(nl, dmabuf, cfg_queue);
	if (id < 1)
		error(1, -id, "bind-rx");
	lfd = listen_port(port);
	pid = run_client(port, 1 << 20);
	/* A connection whose unread payload sits in the dma-buf */
	fd = accept_timeout(lfd);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (fd < 0 || poll(&pfd, 1, cfg_timeout * 1000) != 1)
		error(1, 0, "no data on the bound queue");

	ok = nsim_bus_write("del_device", nsim_id);
	result("device deleted while bound with buffers in a socket", ok);
	/* The device will not write again: nothing of it may stay. */
	result("device deleted: the dma-buf is detached from it at once",
	       wait_unattached(dmabuf, false));
	if (cfg_rmmod) {
		printf("# %s\n", cfg_rmmod);
		result("driver module removed, a socket holding its buffers",
		       !system(cfg_rmmod));
	}

	/* The device is gone: its pool waits for our buffers, listed
	 * without an ifindex, with its detach time.
	 */
	ok = !netdev_pools_of_binding(nl, family_id, id, &pl) && pl.n == 1 &&
	     !pl.p[0].ifindex && pl.p[0].detach_time && pl.p[0].inflight;
	if (pl.n)
		printf("# pool %llu: ifindex %d inflight %llu detach_time %llu\n",
		       (unsigned long long)pl.p[0].id, pl.p[0].ifindex,
		       (unsigned long long)pl.p[0].inflight,
		       (unsigned long long)pl.p[0].detach_time);
	result("device removed: pool detached, buffers in flight", ok);
	close(fd);
	close(lfd);
	end_client(pid, true);
	close(nl);
	nl = nl_open();
	result("socket and binding closed: the binding's pools are freed",
	       wait_pools_gone(nl, id));
	close(nl);
	result("binding held over the device's removal: dma-buf released",
	       wait_detached(dmabuf));
}

/*
 * bind-rx with the n-th fault site of the request failing, n = 1, 2, ...
 * until a request goes through untouched. Each failure must end in
 * -ENOMEM, -ENOBUFS (a reply or ack the kernel could not allocate) or
 * -EFAULT (a user copy), or, if the bind itself went through, in a binding
 * that goes with its socket; after each, nothing is bound and the dma-buf
 * is detached.
 */
static void bind_fail_nth(int dmabuf)
{
	struct netdev_bind_q q = { cfg_queue, NETDEV_QUEUE_TYPE_RX };
	int n, nl, id = 0, injected = 0, bad = 0, enomem = 0, enobufs = 0;
	int efault = 0, bound = 0;
	bool hit = false, clean = true;

	if (!fail_nth_setup()) {
		printf("ok %d bind-rx under fault injection # SKIP %s\n",
		       ++test_num, strerror(errno));
		return;
	}
	for (n = 1; n <= 2000; n++) {
		nl = nl_open();
		fail_nth_arm(n);
		id = __netdev_bind_rx(nl, family_id, cfg_ifindex, dmabuf, &q, 1,
				      true);
		hit = fail_nth_disarm();
		close(nl);
		if (!hit)
			break;
		injected++;
		if (id > 0)
			bound++;
		else if (id == -ENOMEM)
			enomem++;
		else if (id == -ENOBUFS)
			enobufs++;
		else if (id == -EFAULT)
			efault++;
		else if (bad++ < 5)
			printf("# fault %d: %s\n", n, strerror(-id));
		nl = nl_open();
		clean = queue_dmabuf(nl, cfg_queue) == -1 && wait_detached(dmabuf);
		close(nl);
		if (!clean) {
			printf("# fault %d: queue still bound or dma-buf attached\n",
			       n);
			break;
		}
	}
	printf("# bind-rx: %d faults injected: %d -ENOMEM, %d -ENOBUFS, ",
	       injected, enomem, enobufs);
	printf("%d -EFAULT, %d bound anyway, %d other\n", efault, bound, bad);
	result("bind-rx under fault injection: documented errnos, nothing left",
	       clean && !bad && injected > 0);
	nl = nl_open();
	id = bind_one(nl, dmabuf, cfg_queue);
	close(nl);
	result("bind-rx after the faults: bound, and released on close",
	       !hit && id >= 1 && wait_detached(dmabuf));
}

/* XDP_PASS: enough to attach; what matters is whether the attach is let. */
static int xdp_prog_load(void)
{
	static const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (unsigned long)insns;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0)
		error(1, errno, "BPF_PROG_LOAD of an XDP program");
	return fd;
}

/* Attach @prog to the device in @mode (XDP_FLAGS_*_MODE) through a
 * bpf_link. Return: the link fd (close it to detach) or -errno.
 */
static int xdp_link(int prog, __u32 mode)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = prog;
	a.link_create.target_ifindex = cfg_ifindex;
	a.link_create.attach_type = BPF_XDP;
	a.link_create.flags = mode;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

/* An AF_XDP zero-copy socket on @queue. Return: its fd or -errno. */
static int xsk_zc_bind(int queue)
{
	struct xdp_umem_reg ur = { .chunk_size = 4096 };
	struct sockaddr_xdp sx = {
		.sxdp_family = AF_XDP,
		.sxdp_ifindex = cfg_ifindex,
		.sxdp_queue_id = queue,
		.sxdp_flags = XDP_ZEROCOPY,
	};
	int ring = 64, fd, err = 0;
	void *umem;

	umem = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = socket(AF_XDP, SOCK_RAW, 0);
	if (umem == MAP_FAILED || fd < 0)
		error(1, errno, "AF_XDP socket and umem");
	ur.addr = (unsigned long)umem;
	ur.len = 64 * 4096;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &ur, sizeof(ur)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring,
		       sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring)))
		error(1, errno, "AF_XDP socket setup");
	if (bind(fd, (void *)&sx, sizeof(sx)))
		err = -errno;
	munmap(umem, 64 * 4096);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* XDP reads payload: a bound queue and an XDP program exclude each other,
 * in both orders, native and generic, and AF_XDP zero-copy cannot take a
 * bound queue.
 */
static void xdp_vs_binding(int nl, int dmabuf, bool bound)
{
	int prog = xdp_prog_load(), link, err;

	if (!bound) {
		link = xdp_link(prog, XDP_FLAGS_SKB_MODE);
		if (link < 0)
			error(1, -link, "attach generic XDP");
		err = bind_one(nl, dmabuf, cfg_queue);
		result("bind-rx with generic XDP attached: EEXIST",
		       err == -EEXIST);
		close(link);
		close(prog);
		return;
	}
	link = xdp_link(prog, XDP_FLAGS_SKB_MODE);
	result("generic XDP on a device with a bound queue: EBUSY",
	       link == -EBUSY);
	if (link >= 0)
		close(link);
	link = xdp_link(prog, XDP_FLAGS_DRV_MODE);
	result("native XDP on a device with a bound queue: EBUSY",
	       link == -EBUSY);
	if (link >= 0)
		close(link);
	close(prog);
	err = xsk_zc_bind(cfg_queue);
	result("AF_XDP zero-copy bind to the bound queue: EBUSY",
	       err == -EBUSY);
	if (err >= 0)
		close(err);
}

static void run_tests(void)
{
	struct netdev_bind_q q[2];
	struct netdev_pool_list pl, one;
	struct netdev_queue_info qi;
	struct ntf_seen seen = {};
	int nl, nl2, ntf, dmabuf, id, id2, err, i, refs;
	long d;
	bool ok;

	dmabuf = make_udmabuf(DMABUF_SIZE, &memfd);
	nl = nl_open();
	nl2 = nl_open();

	/* Unimplemented commands */
	ok = true;
	for (i = NETDEV_CMD_NAPI_GET; i <= NETDEV_CMD_BIND_TX; i++) {
		if (i == NETDEV_CMD_BIND_RX)
			continue;
		err = raw_cmd(nl, i);
		if (err != -EOPNOTSUPP) {
			printf("# cmd %d: %d\n", i, err);
			ok = false;
		}
	}
	result("napi-get, qstats-get, napi-set, bind-tx: EOPNOTSUPP", ok);
	if (cfg_new_id)
		dev_get_and_mgmt(nl, cfg_new_id);

	/* Failures, each with its errno; nothing stays bound. */
	q[0] = (struct netdev_bind_q){ cfg_queue, NETDEV_QUEUE_TYPE_RX };
	err = netdev_bind_rx(nl, family_id, 999999, dmabuf, q, 1);
	result("bind-rx bad ifindex: ENODEV", err == -ENODEV);
	err = netdev_bind_rx(nl, family_id, cfg_ifindex, dmabuf, NULL, 0);
	result("bind-rx empty queue list: EINVAL", err == -EINVAL);
	q[0] = (struct netdev_bind_q){ cfg_queue, NETDEV_QUEUE_TYPE_TX };
	err = netdev_bind_rx(nl, family_id, cfg_ifindex, dmabuf, q, 1);
	result("bind-rx tx queue: EINVAL", err == -EINVAL);
	err = bind_one(nl, 9999, cfg_queue);
	result("bind-rx bad fd: EBADF", err == -EBADF);
	err = bind_one(nl, memfd, cfg_queue);
	result("bind-rx memfd (not a dma-buf): EINVAL", err == -EINVAL);
	err = bind_one(nl, dmabuf, 4096);
	result("bind-rx queue out of range: ERANGE", err == -ERANGE);
	err = bind_without_cap(dmabuf);
	result("bind-rx without CAP_NET_ADMIN: EPERM", err == -EPERM);
	ok = hds("off");
	err = bind_one(nl, dmabuf, cfg_queue);
	ok &= hds("on");
	result("bind-rx with header split off: EINVAL", ok && err == -EINVAL);
	xdp_vs_binding(nl, dmabuf, false);
	/* A failed bind frees its binding from a work item. */
	ok = queue_dmabuf(nl, cfg_queue) == -1 && wait_detached(dmabuf);
	result("failed binds leave no binding, dma-buf not attached", ok);
	bind_fail_nth(dmabuf);

	/* Listen for page-pool notifications. */
	ntf = ntf_open(grp_page_pool);

	id = bind_one(nl, dmabuf, cfg_queue);
	printf("# binding %d on queue %d\n", id, cfg_queue);
	result("bind-rx: binding id >= 1", id >= 1);
	if (id < 1)
		error(1, -id, "bind-rx");
	xdp_vs_binding(nl, dmabuf, true);

	ok = dmabuf_attached(dmabuf, &refs) == 1 && refs == 2;
	result("dma-buf attached to the device while bound", ok);

	seen.binding = id;
	ntf_drain(ntf, &seen);
	result("page-pool add notification with the binding",
	       seen.npools >= 1);

	/* Busy queue, and a failed bind of two queues leaves the first free. */
	err = bind_one(nl2, dmabuf, cfg_queue);
	result("bind-rx queue already bound: EEXIST", err == -EEXIST);
	q[0] = (struct netdev_bind_q){ cfg_other, NETDEV_QUEUE_TYPE_RX };
	q[1] = (struct netdev_bind_q){ cfg_queue, NETDEV_QUEUE_TYPE_RX };
	err = netdev_bind_rx(nl2, family_id, cfg_ifindex, dmabuf, q, 2);
	d = queue_dmabuf(nl, cfg_other);
	result("bind-rx of a free and a bound queue: EEXIST, free one unbound",
	       err == -EEXIST && d == -1);

	/* queue-get */
	err = queue_get(nl, cfg_queue, NETDEV_QUEUE_TYPE_RX, &qi);
	ok = !err && qi.count == 1 && qi.id == cfg_queue &&
	     qi.type == NETDEV_QUEUE_TYPE_RX && qi.ifindex == cfg_ifindex &&
	     qi.dmabuf == id;
	result("queue-get: bound queue reports DMABUF = binding id", ok);
	d = queue_dmabuf(nl, cfg_other);
	result("queue-get: other queue reports no DMABUF", d == -1);
	{
		struct nl_msg m;

		memset(&qi, 0, sizeof(qi));
		nl_msg_init(&m, family_id, NLM_F_DUMP, NETDEV_CMD_QUEUE_GET);
		nl_put_u32(&m, NETDEV_A_QUEUE_IFINDEX, cfg_ifindex);
		err = nl_txn(nl, &m, netdev_queue_cb, &qi);
		printf("# queue dump: %d queues\n", qi.count);
		result("queue-get dump: one RX queue bound, the right one",
		       !err && qi.count >= 2 && qi.bound_rx == 1 &&
		       qi.bound_rx_id == cfg_queue);
	}
	err = queue_get(nl, 4096, NETDEV_QUEUE_TYPE_RX, &qi);
	result("queue-get out of range: EINVAL", err == -EINVAL);
	if (cfg_nqueues > cfg_queue + 1)
		channels_while_bound(nl, id);

	/* page-pool-get */
	err = netdev_pools_of_binding(nl, family_id, id, &pl);
	ok = !err && pl.n == 1 && pl.p[0].ifindex == cfg_ifindex &&
	     pl.p[0].id >= 1 && !pl.p[0].detach_time;
	result("page-pool-get dump: one pool with DMABUF = binding id", ok);
	if (!ok)
		error(1, 0, "no pool of the binding (%d)", pl.n);
	err = netdev_pool_get(nl, family_id, pl.p[0].id, &one);
	ok = !err && one.n == 1 && one.p[0].id == pl.p[0].id &&
	     one.p[0].dmabuf == id && one.p[0].ifindex == cfg_ifindex;
	result("page-pool-get do: the pool by id", ok);
	err = netdev_pool_get(nl, family_id, 0xfffffff0u, &one);
	result("page-pool-get unknown id: ENOENT", err == -ENOENT);

	/* Traffic to the bound queue is unreadable. */
	result("flow steered to the bound queue: recv() fails with EFAULT",
	       unreadable_flow());
	err = netdev_pool_get(nl, family_id, pl.p[0].id, &one);
	printf("# pool %llu: inflight %llu (%llu bytes)\n",
	       (unsigned long long)one.p[0].id,
	       (unsigned long long)one.p[0].inflight,
	       (unsigned long long)one.p[0].inflight_mem);
	ok = !err && one.n == 1 && one.p[0].inflight > 0 &&
	     one.p[0].inflight_mem == one.p[0].inflight * 4096;
	result("page-pool-get: buffers in flight, INFLIGHT_MEM consistent", ok);

	/* page-pool-stats-get against ethtool -S */
	result("page-pool-stats-get matches ethtool -S",
	       stats_match(nl, pl.p[0].id));

	/* Close the owner: unbound, pools go, dma-buf detached. */
	close(nl);
	d = queue_dmabuf(nl2, cfg_queue);
	result("netlink socket closed: queue-get shows no DMABUF", d == -1);
	result("netlink socket closed: the binding's pools are freed",
	       wait_pools_gone(nl2, id));
	result("netlink socket closed: dma-buf detached and released",
	       wait_detached(dmabuf));
	ntf_drain(ntf, &seen);
	result("page-pool del notification for each pool of the binding",
	       seen.npools && seen.del_of_pools == seen.npools);
	close(ntf);

	/* Bind again */
	nl = nl_open();
	id2 = bind_one(nl, dmabuf, cfg_queue);
	printf("# binding %d\n", id2);
	ok = id2 >= 1 && id2 != id && queue_dmabuf(nl2, cfg_queue) == id2;
	result("bind again after close: new id, queue bound", ok);
	close(nl);
	ok = queue_dmabuf(nl2, cfg_queue) == -1 && wait_detached(dmabuf);
	result("second binding released on close", ok);
	close(nl2);

	result("after unbind: 1 MiB on the same queue, every byte checked",
	       plain_flow(cfg_port + 1, 1 << 20));
	if (cfg_nsim_id)
		device_delete(dmabuf, cfg_port + 2, cfg_nsim_id);

	close(dmabuf);
	close(memfd);
}

static void parse_opts(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "i:d:q:o:p:c:H:t:D:R:N:n:")) != -1) {
		switch (c) {
		case 'i':
			cfg_ifindex = atoi(optarg);
			break;
		case 'd':
			cfg_dev = optarg;
			break;
		case 'q':
			cfg_queue = atoi(optarg);
			break;
		case 'o':
			cfg_other = atoi(optarg);
			break;
		case 'p':
			cfg_port = atoi(optarg);
			break;
		case 'c':
			cfg_client = optarg;
			break;
		case 'H':
			cfg_hds = optarg;
			break;
		case 't':
			cfg_timeout = atoi(optarg);
			break;
		case 'D':
			cfg_nsim_id = optarg;
			break;
		case 'R':
			cfg_rmmod = optarg;
			break;
		case 'N':
			cfg_new_id = atoi(optarg);
			break;
		case 'n':
			cfg_nqueues = atoi(optarg);
			break;
		default:
			error(1, 0, "bad option");
		}
	}
	if (!cfg_ifindex || cfg_queue < 0 || !cfg_dev || cfg_other < 0 ||
	    !cfg_port || !cfg_client || !cfg_hds)
		error(1, 0, "-i, -d, -q, -o, -p, -c and -H are required");
}

int main(int argc, char **argv)
{
	parse_opts(argc, argv);
	alarm(cfg_timeout * 8);
	family_id = nl_family(NETDEV_FAMILY_NAME, NETDEV_MCGRP_PAGE_POOL,
			      &grp_page_pool);
	nl_family(NETDEV_FAMILY_NAME, NETDEV_MCGRP_MGMT, &grp_mgmt);
	run_tests();
	return failures ? 1 : 0;
}
