// SPDX-License-Identifier: GPL-2.0
/*
 * The netdev generic netlink family and the dma-buf memory provider.
 *
 *   devmem_nl -i IFINDEX -d DEV -q QUEUE -o OTHERQ -p PORT -c CLIENT_CMD
 *             -H HDS_CMD [-t TIMEOUT]
 *   devmem_nl -i IFINDEX -q QUEUE -w [-p PORT]
 *
 * Runs in the receiving namespace; raw generic netlink over libc sockets.
 * The dma-buf is a udmabuf made from a sealed memfd.
 *
 * The first form binds QUEUE and checks: bind-rx errors with their errno
 * (bad ifindex, empty queue list, tx queue, bad fd, a memfd, header split
 * off through HDS_CMD ("off"/"on" appended), queue already bound, no
 * CAP_NET_ADMIN, out of range), that a failed multi-queue bind leaves no
 * queue bound, queue-get and page-pool-get reporting the binding, the
 * page-pool add notification, page-pool-stats-get against ethtool -S DEV,
 * that a TCP flow steered to QUEUE (CLIENT_CMD sends it to PORT) is
 * unreadable (recv() fails with EFAULT), then that closing the netlink
 * socket unbinds the queue, frees its pools and detaches the dma-buf, and
 * that binding again works. Unimplemented commands are -EOPNOTSUPP.
 *
 * The second form (-w) binds QUEUE, prints "bound ID", with -p accepts a
 * connection and prints "data" once payload arrived (left unread), then
 * waits for its stdin to close: meanwhile the device is deleted. It checks
 * that the pool is listed as detached with buffers in flight, closes the
 * connection and the netlink socket, and that the pools go and the dma-buf
 * is detached and released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <error.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netdev.h>
#include <linux/netlink.h>
#include <linux/types.h>
#include <linux/udmabuf.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DMABUF_SIZE	(4 << 20)
#define MSG_SIZE	16384

static int cfg_ifindex;
static const char *cfg_dev;
static int cfg_queue = -1;
static int cfg_other = -1;
static int cfg_port;
static const char *cfg_client;
static const char *cfg_hds;
static bool cfg_wait;
static int cfg_timeout = 30;

static __u16 family_id;
static __u32 grp_page_pool;
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

/* netlink messages */

struct msg {
	union {
		struct nlmsghdr nlh;
		char buf[MSG_SIZE];
	};
};

static struct nlattr *attr_put(struct msg *m, __u16 type, const void *data,
			       size_t len)
{
	struct nlattr *a = (void *)(m->buf + NLMSG_ALIGN(m->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void attr_u32(struct msg *m, __u16 type, __u32 v)
{
	attr_put(m, type, &v, sizeof(v));
}

static struct nlattr *nest_start(struct msg *m, __u16 type)
{
	return attr_put(m, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct msg *m, struct nlattr *nest)
{
	nest->nla_len = m->buf + m->nlh.nlmsg_len - (char *)nest;
}

static void msg_init(struct msg *m, __u16 type, __u16 flags, __u8 cmd)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->nlh.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	g = NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = 1;
}

static struct nlattr *attr_first(void *start)
{
	return start;
}

/* Is @a a whole attribute before @end? */
static bool attr_ok(const struct nlattr *a, const void *end)
{
	const char *p = (const char *)a;

	return p + NLA_HDRLEN <= (const char *)end && a->nla_len >= NLA_HDRLEN &&
	       p + a->nla_len <= (const char *)end;
}

static struct nlattr *attr_next(struct nlattr *a)
{
	return (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
}

static void *attr_data(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static int attr_len(struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static __u64 attr_uint(struct nlattr *a)
{
	__u64 v64;
	__u32 v32;

	if (attr_len(a) == 8) {
		memcpy(&v64, attr_data(a), 8);
		return v64;
	}
	memcpy(&v32, attr_data(a), 4);
	return v32;
}

/* Attributes of one reply, indexed by type */
#define MAX_ATTR 32
struct reply {
	struct nlattr *tb[MAX_ATTR];
	__u8 cmd;
};

static void parse_attrs(struct nlattr **tb, void *start, int len)
{
	struct nlattr *a;

	memset(tb, 0, sizeof(*tb) * MAX_ATTR);
	for (a = attr_first(start); attr_ok(a, (char *)start + len);
	     a = attr_next(a)) {
		int t = a->nla_type & NLA_TYPE_MASK;

		if (t < MAX_ATTR)
			tb[t] = a;
	}
}

typedef void (*reply_cb)(struct reply *r, void *ctx);

static int nl_open(void)
{
	int one = 1;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		error(1, errno, "socket(NETLINK_GENERIC)");
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

static __u32 seq_no = 1;

/* The errno of an ack, printing its extack message if any */
static int ack_error(struct nlmsghdr *nlh)
{
	struct nlmsgerr *e = NLMSG_DATA(nlh);
	char *start = (char *)(e + 1);
	char *end = (char *)nlh + nlh->nlmsg_len;
	struct nlattr *a;

	if (!e->error || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error;
	for (a = attr_first(start); attr_ok(a, end); a = attr_next(a))
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			printf("# extack: %s\n", (char *)attr_data(a));
	return e->error;
}

/* Send @m, hand each data message to @cb; return 0 or the negative errno
 * of the final ack.
 */
static int nl_txn(int fd, struct msg *m, reply_cb cb, void *ctx)
{
	static char rbuf[65536];
	__u32 seq = seq_no++;
	struct nlmsghdr *nlh;
	ssize_t n;

	m->nlh.nlmsg_seq = seq;
	if (send(fd, m->buf, m->nlh.nlmsg_len, 0) != (ssize_t)m->nlh.nlmsg_len)
		error(1, errno, "netlink send");

	for (;;) {
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n < 0)
			error(1, errno, "netlink recv");
		for (nlh = (void *)rbuf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return ack_error(nlh);
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb) {
				struct genlmsghdr *g = NLMSG_DATA(nlh);
				struct reply r;

				r.cmd = g->cmd;
				parse_attrs(r.tb, (char *)g + GENL_HDRLEN,
					    nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
				cb(&r, ctx);
			}
		}
	}
}

static void family_cb(struct reply *r, void *ctx)
{
	struct nlattr *grp, *a, *groups;
	struct nlattr *tb[MAX_ATTR];
	char *end;

	(void)ctx;

	if (r->tb[CTRL_ATTR_FAMILY_ID])
		family_id = *(__u16 *)attr_data(r->tb[CTRL_ATTR_FAMILY_ID]);
	groups = r->tb[CTRL_ATTR_MCAST_GROUPS];
	if (!groups)
		return;
	end = (char *)attr_data(groups) + attr_len(groups);
	for (grp = attr_first(attr_data(groups)); attr_ok(grp, end);
	     grp = attr_next(grp)) {
		parse_attrs(tb, attr_data(grp), attr_len(grp));
		a = tb[CTRL_ATTR_MCAST_GRP_NAME];
		if (a && !strcmp(attr_data(a), NETDEV_MCGRP_PAGE_POOL) &&
		    tb[CTRL_ATTR_MCAST_GRP_ID])
			grp_page_pool = *(__u32 *)attr_data(tb[CTRL_ATTR_MCAST_GRP_ID]);
	}
}

static void resolve_family(void)
{
	struct msg m;
	int fd = nl_open();
	int err;

	msg_init(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	attr_put(&m, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME,
		 sizeof(NETDEV_FAMILY_NAME));
	err = nl_txn(fd, &m, family_cb, NULL);
	if (err || !family_id)
		error(1, -err, "no \"netdev\" generic netlink family");
	close(fd);
}

/* bind-rx */

struct bind_q {
	__u32 id, type;
};

static void bind_cb(struct reply *r, void *ctx)
{
	if (r->tb[NETDEV_A_DMABUF_ID])
		*(__u32 *)ctx = attr_uint(r->tb[NETDEV_A_DMABUF_ID]);
}

/* Return the binding id (> 0) or the negative errno. */
static int bind_rx(int fd, int ifindex, int dmabuf, const struct bind_q *q,
		   int nq)
{
	__u32 id = 0;
	struct nlattr *nest;
	struct msg m;
	int err, i;

	msg_init(&m, family_id, 0, NETDEV_CMD_BIND_RX);
	attr_u32(&m, NETDEV_A_DMABUF_IFINDEX, ifindex);
	attr_u32(&m, NETDEV_A_DMABUF_FD, dmabuf);
	for (i = 0; i < nq; i++) {
		nest = nest_start(&m, NETDEV_A_DMABUF_QUEUES);
		attr_u32(&m, NETDEV_A_QUEUE_ID, q[i].id);
		attr_u32(&m, NETDEV_A_QUEUE_TYPE, q[i].type);
		nest_end(&m, nest);
	}
	err = nl_txn(fd, &m, bind_cb, &id);
	if (err)
		return err;
	return id ? (int)id : -ENODATA;
}

static int bind_one(int fd, int dmabuf, int queue)
{
	struct bind_q q = { queue, NETDEV_QUEUE_TYPE_RX };

	return bind_rx(fd, cfg_ifindex, dmabuf, &q, 1);
}

/* queue-get */

struct queue_info {
	int id, type, ifindex;
	long dmabuf;	/* -1: no attribute */
	int count;	/* replies seen */
	int bound_rx;	/* RX queues with a dma-buf, in a dump */
	int bound_rx_id;
};

static void queue_cb(struct reply *r, void *ctx)
{
	struct queue_info *qi = ctx;

	qi->count++;
	qi->id = r->tb[NETDEV_A_QUEUE_ID] ? (int)attr_uint(r->tb[NETDEV_A_QUEUE_ID]) : -1;
	qi->type = r->tb[NETDEV_A_QUEUE_TYPE] ? (int)attr_uint(r->tb[NETDEV_A_QUEUE_TYPE]) : -1;
	qi->ifindex = r->tb[NETDEV_A_QUEUE_IFINDEX] ?
		      (int)attr_uint(r->tb[NETDEV_A_QUEUE_IFINDEX]) : -1;
	qi->dmabuf = r->tb[NETDEV_A_QUEUE_DMABUF] ?
		     (long)attr_uint(r->tb[NETDEV_A_QUEUE_DMABUF]) : -1;
	if (qi->dmabuf >= 0 && qi->type == NETDEV_QUEUE_TYPE_RX) {
		qi->bound_rx++;
		qi->bound_rx_id = qi->id;
	}
}

static int queue_get(int fd, int queue, int type, struct queue_info *qi)
{
	struct msg m;

	memset(qi, 0, sizeof(*qi));
	msg_init(&m, family_id, 0, NETDEV_CMD_QUEUE_GET);
	attr_u32(&m, NETDEV_A_QUEUE_IFINDEX, cfg_ifindex);
	attr_u32(&m, NETDEV_A_QUEUE_TYPE, type);
	attr_u32(&m, NETDEV_A_QUEUE_ID, queue);
	return nl_txn(fd, &m, queue_cb, qi);
}

static long queue_dmabuf(int fd, int queue)
{
	struct queue_info qi;
	int err;

	err = queue_get(fd, queue, NETDEV_QUEUE_TYPE_RX, &qi);
	if (err)
		return err;
	return qi.dmabuf;
}

/* page-pool-get */

#define MAX_POOLS 64
struct pool_info {
	__u64 id;
	int ifindex;
	long dmabuf;
	__u64 inflight, inflight_mem, detach_time;
};

struct pool_list {
	int n;
	struct pool_info p[MAX_POOLS];
};

static void pool_cb(struct reply *r, void *ctx)
{
	struct pool_list *pl = ctx;
	struct pool_info *p;

	if (pl->n == MAX_POOLS)
		return;
	p = &pl->p[pl->n++];
	memset(p, 0, sizeof(*p));
	p->dmabuf = -1;
	if (r->tb[NETDEV_A_PAGE_POOL_ID])
		p->id = attr_uint(r->tb[NETDEV_A_PAGE_POOL_ID]);
	if (r->tb[NETDEV_A_PAGE_POOL_IFINDEX])
		p->ifindex = attr_uint(r->tb[NETDEV_A_PAGE_POOL_IFINDEX]);
	if (r->tb[NETDEV_A_PAGE_POOL_DMABUF])
		p->dmabuf = attr_uint(r->tb[NETDEV_A_PAGE_POOL_DMABUF]);
	if (r->tb[NETDEV_A_PAGE_POOL_INFLIGHT])
		p->inflight = attr_uint(r->tb[NETDEV_A_PAGE_POOL_INFLIGHT]);
	if (r->tb[NETDEV_A_PAGE_POOL_INFLIGHT_MEM])
		p->inflight_mem = attr_uint(r->tb[NETDEV_A_PAGE_POOL_INFLIGHT_MEM]);
	if (r->tb[NETDEV_A_PAGE_POOL_DETACH_TIME])
		p->detach_time = attr_uint(r->tb[NETDEV_A_PAGE_POOL_DETACH_TIME]);
}

static int pool_dump(int fd, struct pool_list *pl)
{
	struct msg m;

	pl->n = 0;
	msg_init(&m, family_id, NLM_F_DUMP, NETDEV_CMD_PAGE_POOL_GET);
	return nl_txn(fd, &m, pool_cb, pl);
}

static int pool_get(int fd, __u64 id, struct pool_list *pl)
{
	struct msg m;

	pl->n = 0;
	msg_init(&m, family_id, 0, NETDEV_CMD_PAGE_POOL_GET);
	attr_u32(&m, NETDEV_A_PAGE_POOL_ID, id);
	return nl_txn(fd, &m, pool_cb, pl);
}

/* Pools of our device that carry binding @binding */
static int pools_of_binding(int fd, long binding, struct pool_list *out)
{
	struct pool_list pl;
	int i, err;

	out->n = 0;
	err = pool_dump(fd, &pl);
	if (err)
		return err;
	for (i = 0; i < pl.n; i++)
		if (pl.p[i].dmabuf == binding)
			out->p[out->n++] = pl.p[i];
	return 0;
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

static void stats_cb(struct reply *r, void *ctx)
{
	struct pool_stats *s = ctx;
	struct nlattr *tb[MAX_ATTR];
	int i;

	s->count++;
	if (r->tb[NETDEV_A_PAGE_POOL_STATS_INFO]) {
		parse_attrs(tb, attr_data(r->tb[NETDEV_A_PAGE_POOL_STATS_INFO]),
			    attr_len(r->tb[NETDEV_A_PAGE_POOL_STATS_INFO]));
		if (tb[NETDEV_A_PAGE_POOL_ID])
			s->id = attr_uint(tb[NETDEV_A_PAGE_POOL_ID]);
	}
	for (i = 0; i < NSTATS; i++) {
		struct nlattr *a = r->tb[NETDEV_A_PAGE_POOL_STATS_ALLOC_FAST + i];

		s->have[i] = a;
		s->v[i] = a ? attr_uint(a) : 0;
	}
}

static int pool_stats_get(int fd, __u64 id, struct pool_stats *s)
{
	struct nlattr *nest;
	struct msg m;

	memset(s, 0, sizeof(*s));
	msg_init(&m, family_id, 0, NETDEV_CMD_PAGE_POOL_STATS_GET);
	nest = nest_start(&m, NETDEV_A_PAGE_POOL_STATS_INFO);
	attr_u32(&m, NETDEV_A_PAGE_POOL_ID, id);
	nest_end(&m, nest);
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

/* dma-buf */

static int memfd;

static int make_udmabuf(void)
{
	struct udmabuf_create create = {};
	int dev, buf;

	memfd = memfd_create("devmem_nl", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0)
		error(1, errno, "memfd_create");
	if (ftruncate(memfd, DMABUF_SIZE))
		error(1, errno, "ftruncate");
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		error(1, errno, "F_SEAL_SHRINK");
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		error(4, errno, "/dev/udmabuf");
	create.memfd = memfd;
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.size = DMABUF_SIZE;
	buf = ioctl(dev, UDMABUF_CREATE, &create);
	if (buf < 0)
		error(1, errno, "UDMABUF_CREATE");
	close(dev);
	return buf;
}

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

static bool wait_detached(int fd)
{
	int i, refs = -1, att = -1;

	for (i = 0; i < 100; i++) {
		att = dmabuf_attached(fd, &refs);
		if (att == 0 && refs == 1)
			return true;
		usleep(100000);
	}
	printf("# dma-buf: %d devices attached, %d refs\n", att, refs);
	return false;
}

/* hds */

static bool hds(const char *state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s %s", cfg_hds, state);
	return system(cmd) == 0;
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
	struct msg m;

	msg_init(&m, family_id, 0, cmd);
	return nl_txn(fd, &m, NULL, NULL);
}

/* the unreadable flow */

static pid_t run_client(void)
{
	pid_t pid = fork();

	if (pid < 0)
		error(1, errno, "fork");
	if (!pid) {
		/* Its own process group: killing it takes the sender too. */
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", cfg_client, (char *)NULL);
		_exit(127);
	}
	return pid;
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
	int lfd, fd, status;
	ssize_t n;
	pid_t pid;
	bool ok;

	lfd = listen_port(cfg_port);
	pid = run_client();
	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, cfg_timeout * 1000) != 1) {
		printf("# no connection\n");
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(lfd);
		return false;
	}
	fd = accept(lfd, NULL, NULL);
	pfd.fd = fd;
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
	kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);
	return ok;
}

/* page-pool notifications */

struct ntf_seen {
	long binding;
	int add_with_binding;
};

static void ntf_drain(int fd, struct ntf_seen *seen)
{
	static char rbuf[65536];
	struct nlmsghdr *nlh;
	struct reply r;
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
			struct genlmsghdr *g = NLMSG_DATA(nlh);

			if (nlh->nlmsg_type != family_id)
				continue;
			parse_attrs(r.tb, (char *)g + GENL_HDRLEN,
				    nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
			printf("# notification: cmd %d, pool %llu, dmabuf %lld\n",
			       g->cmd, r.tb[NETDEV_A_PAGE_POOL_ID] ?
			       (unsigned long long)attr_uint(r.tb[NETDEV_A_PAGE_POOL_ID]) : 0,
			       r.tb[NETDEV_A_PAGE_POOL_DMABUF] ?
			       (long long)attr_uint(r.tb[NETDEV_A_PAGE_POOL_DMABUF]) : -1LL);
			if (g->cmd == NETDEV_CMD_PAGE_POOL_ADD_NTF &&
			    r.tb[NETDEV_A_PAGE_POOL_DMABUF] &&
			    (long)attr_uint(r.tb[NETDEV_A_PAGE_POOL_DMABUF]) ==
			    seen->binding)
				seen->add_with_binding++;
		}
	}
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
	struct pool_list pl;
	int i, j;

	for (i = 0; i < 100; i++) {
		if (pools_of_binding(nl, binding, &pl))
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

static void run_tests(void)
{
	struct bind_q q[2];
	struct pool_list pl, one;
	struct queue_info qi;
	struct sockaddr_nl nl_addr = { .nl_family = AF_NETLINK };
	struct ntf_seen seen = {};
	int nl, nl2, ntf, dmabuf, id, id2, err, i, refs;
	long d;
	bool ok;

	dmabuf = make_udmabuf();
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

	/* Failures, each with its errno; nothing stays bound. */
	err = bind_rx(nl, 999999, dmabuf, (struct bind_q[]){ { cfg_queue, 0 } }, 1);
	result("bind-rx bad ifindex: ENODEV", err == -ENODEV);
	err = bind_rx(nl, cfg_ifindex, dmabuf, NULL, 0);
	result("bind-rx empty queue list: EINVAL", err == -EINVAL);
	err = bind_rx(nl, cfg_ifindex, dmabuf,
		      (struct bind_q[]){ { cfg_queue, NETDEV_QUEUE_TYPE_TX } }, 1);
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
	ok = queue_dmabuf(nl, cfg_queue) == -1 &&
	     dmabuf_attached(dmabuf, &refs) == 0 && refs == 1;
	result("failed binds leave no binding, dma-buf not attached", ok);

	/* Listen for page-pool notifications. */
	ntf = nl_open();
	/* Bound, so it has a port id: broadcasts skip port 0, the sender's. */
	if (bind(ntf, (struct sockaddr *)&nl_addr, sizeof(nl_addr)))
		error(1, errno, "bind netlink");
	if (setsockopt(ntf, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp_page_pool,
		       sizeof(grp_page_pool)))
		error(1, errno, "join page-pool group %u", grp_page_pool);

	id = bind_one(nl, dmabuf, cfg_queue);
	printf("# binding %d on queue %d\n", id, cfg_queue);
	result("bind-rx: binding id >= 1", id >= 1);
	if (id < 1)
		error(1, -id, "bind-rx");

	ok = dmabuf_attached(dmabuf, &refs) == 1 && refs == 2;
	result("dma-buf attached to the device while bound", ok);

	seen.binding = id;
	ntf_drain(ntf, &seen);
	result("page-pool add notification with the binding",
	       seen.add_with_binding >= 1);
	close(ntf);

	/* Busy queue, and a failed bind of two queues leaves the first free. */
	err = bind_one(nl2, dmabuf, cfg_queue);
	result("bind-rx queue already bound: EEXIST", err == -EEXIST);
	q[0] = (struct bind_q){ cfg_other, NETDEV_QUEUE_TYPE_RX };
	q[1] = (struct bind_q){ cfg_queue, NETDEV_QUEUE_TYPE_RX };
	err = bind_rx(nl2, cfg_ifindex, dmabuf, q, 2);
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
		struct msg m;

		memset(&qi, 0, sizeof(qi));
		msg_init(&m, family_id, NLM_F_DUMP, NETDEV_CMD_QUEUE_GET);
		attr_u32(&m, NETDEV_A_QUEUE_IFINDEX, cfg_ifindex);
		err = nl_txn(nl, &m, queue_cb, &qi);
		printf("# queue dump: %d queues\n", qi.count);
		result("queue-get dump: one RX queue bound, the right one",
		       !err && qi.count >= 2 && qi.bound_rx == 1 &&
		       qi.bound_rx_id == cfg_queue);
	}
	err = queue_get(nl, 4096, NETDEV_QUEUE_TYPE_RX, &qi);
	result("queue-get out of range: EINVAL", err == -EINVAL);

	/* page-pool-get */
	err = pools_of_binding(nl, id, &pl);
	ok = !err && pl.n == 1 && pl.p[0].ifindex == cfg_ifindex &&
	     pl.p[0].id >= 1 && !pl.p[0].detach_time;
	result("page-pool-get dump: one pool with DMABUF = binding id", ok);
	if (!ok)
		error(1, 0, "no pool of the binding (%d)", pl.n);
	err = pool_get(nl, pl.p[0].id, &one);
	ok = !err && one.n == 1 && one.p[0].id == pl.p[0].id &&
	     one.p[0].dmabuf == id && one.p[0].ifindex == cfg_ifindex;
	result("page-pool-get do: the pool by id", ok);
	err = pool_get(nl, 0xfffffff0u, &one);
	result("page-pool-get unknown id: ENOENT", err == -ENOENT);

	/* Traffic to the bound queue is unreadable. */
	result("flow steered to the bound queue: recv() fails with EFAULT",
	       unreadable_flow());
	err = pool_get(nl, pl.p[0].id, &one);
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
	close(dmabuf);
	close(memfd);
}

/* -w: hold a binding, with -p a connection on it, until stdin closes */
static void run_wait(void)
{
	int nl, dmabuf, id, lfd = -1, fd = -1;
	struct pool_list pl;
	struct pollfd pfd;
	char buf[64];
	bool ok;

	dmabuf = make_udmabuf();
	nl = nl_open();
	id = bind_one(nl, dmabuf, cfg_queue);
	if (id < 1)
		error(1, -id, "bind-rx");
	if (cfg_port)
		lfd = listen_port(cfg_port);
	printf("bound %d\n", id);
	fflush(stdout);
	if (cfg_port) {
		/* A connection whose unread payload sits in the dma-buf */
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			error(1, errno, "accept");
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, cfg_timeout * 1000) != 1)
			error(1, 0, "no data");
		printf("data\n");
		fflush(stdout);
	}
	while (read(0, buf, sizeof(buf)) > 0)
		;

	if (cfg_port) {
		/* The device is gone: its pool waits for our buffers,
		 * listed without an ifindex, with its detach time.
		 */
		ok = !pools_of_binding(nl, id, &pl) && pl.n == 1 &&
		     !pl.p[0].ifindex && pl.p[0].detach_time &&
		     pl.p[0].inflight;
		if (pl.n)
			printf("# pool %llu: ifindex %d inflight %llu detach_time %llu\n",
			       (unsigned long long)pl.p[0].id, pl.p[0].ifindex,
			       (unsigned long long)pl.p[0].inflight,
			       (unsigned long long)pl.p[0].detach_time);
		result("device removed: pool detached, buffers in flight", ok);
		close(fd);
		close(lfd);
	}
	close(nl);
	nl = nl_open();
	result("socket and binding closed: the binding's pools are freed",
	       wait_pools_gone(nl, id));
	close(nl);
	ok = wait_detached(dmabuf);
	result("binding held over the device's removal: dma-buf released", ok);
	close(dmabuf);
	close(memfd);
}

static void parse_opts(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "i:d:q:o:p:c:H:t:w")) != -1) {
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
		case 'w':
			cfg_wait = true;
			break;
		default:
			error(1, 0, "bad option");
		}
	}
	if (!cfg_ifindex || cfg_queue < 0)
		error(1, 0, "-i IFINDEX and -q QUEUE are required");
	if (!cfg_wait && (!cfg_dev || cfg_other < 0 || !cfg_port ||
			  !cfg_client || !cfg_hds))
		error(1, 0, "-d, -o, -p, -c and -H are required");
}

int main(int argc, char **argv)
{
	parse_opts(argc, argv);
	alarm(cfg_timeout * 4);
	resolve_family();
	if (cfg_wait)
		run_wait();
	else
		run_tests();
	return failures ? 1 : 0;
}
