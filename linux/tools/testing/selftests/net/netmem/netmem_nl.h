/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw generic netlink over libc sockets for the netmem selftests (no
 * libmnl, no YNL): building requests, one request/reply transaction with
 * its extack message, family lookup, and the netdev family's calls the
 * tests share (bind-rx, page-pool-get), plus a udmabuf from a sealed memfd
 * and fail-nth fault injection. Header only: every function is static
 * inline.
 */
#ifndef NETMEM_NL_H
#define NETMEM_NL_H

#include <errno.h>
#include <error.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netdev.h>
#include <linux/netlink.h>
#include <linux/types.h>
#include <linux/udmabuf.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define NL_MSG_SIZE	16384
#define NL_MAX_ATTR	32

/* A request being built */
struct nl_msg {
	union {
		struct nlmsghdr nlh;
		char buf[NL_MSG_SIZE];
	};
};

/* The attributes of one reply, indexed by type (NULL: absent) */
struct nl_reply {
	struct nlattr *tb[NL_MAX_ATTR];
	__u8 cmd;
};

typedef void (*nl_reply_cb)(struct nl_reply *r, void *ctx);

/* Start a generic netlink request for @cmd of family @type; acked. */
static inline void nl_msg_init(struct nl_msg *m, __u16 type, __u16 flags,
			       __u8 cmd)
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

static inline struct nlattr *nl_put(struct nl_msg *m, __u16 type,
				    const void *data, size_t len)
{
	struct nlattr *a = (void *)(m->buf + NLMSG_ALIGN(m->nlh.nlmsg_len));

	if (NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(NLA_HDRLEN + len) >
	    sizeof(m->buf))
		error(1, 0, "netlink request too long");
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static inline void nl_put_u32(struct nl_msg *m, __u16 type, __u32 v)
{
	nl_put(m, type, &v, sizeof(v));
}

static inline void nl_put_str(struct nl_msg *m, __u16 type, const char *s)
{
	nl_put(m, type, s, strlen(s) + 1);
}

static inline struct nlattr *nl_nest_start(struct nl_msg *m, __u16 type)
{
	return nl_put(m, type | NLA_F_NESTED, NULL, 0);
}

static inline void nl_nest_end(struct nl_msg *m, struct nlattr *nest)
{
	nest->nla_len = m->buf + m->nlh.nlmsg_len - (char *)nest;
}

/* Is @a a whole attribute before @end? */
static inline bool nl_attr_ok(const struct nlattr *a, const void *end)
{
	const char *p = (const char *)a;

	return p + NLA_HDRLEN <= (const char *)end &&
	       a->nla_len >= NLA_HDRLEN && p + a->nla_len <= (const char *)end;
}

static inline struct nlattr *nl_attr_next(const struct nlattr *a)
{
	return (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
}

static inline void *nl_attr_data(const struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static inline int nl_attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* A uint attribute: u32 if it fits, else u64 (6.1 has no NLA_UINT). */
static inline __u64 nl_attr_uint(const struct nlattr *a)
{
	__u64 v64;
	__u32 v32;

	if (nl_attr_len(a) >= 8) {
		memcpy(&v64, nl_attr_data(a), 8);
		return v64;
	}
	memcpy(&v32, nl_attr_data(a), 4);
	return v32;
}

/* Index the attributes in @len bytes at @start by type into @tb. */
static inline void nl_parse(struct nlattr **tb, void *start, int len)
{
	char *end = (char *)start + len;
	struct nlattr *a;

	memset(tb, 0, sizeof(*tb) * NL_MAX_ATTR);
	for (a = start; nl_attr_ok(a, end); a = nl_attr_next(a)) {
		int t = a->nla_type & NLA_TYPE_MASK;

		if (t < NL_MAX_ATTR)
			tb[t] = a;
	}
}

/* Parse the generic netlink message @nlh into @r. */
static inline void nl_parse_msg(const struct nlmsghdr *nlh, struct nl_reply *r)
{
	struct genlmsghdr *g = NLMSG_DATA(nlh);

	r->cmd = g->cmd;
	nl_parse(r->tb, (char *)g + GENL_HDRLEN,
		 nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
}

static inline int nl_open(void)
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

/* The errno of an ack (0 or negative), printing its extack message */
/* Keep the kernel's extack messages to ourselves (the fuzzers make many) */
static bool nl_quiet;

static inline int nl_ack_error(struct nlmsghdr *nlh)
{
	struct nlmsgerr *e = NLMSG_DATA(nlh);
	char *end = (char *)nlh + nlh->nlmsg_len;
	struct nlattr *a;
	size_t off = sizeof(*e);

	if (!e->error || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	for (a = (void *)((char *)e + off); nl_attr_ok(a, end);
	     a = nl_attr_next(a))
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
		    !nl_quiet)
			printf("# extack: %s\n", (char *)nl_attr_data(a));
	return e->error;
}

/*
 * Send @m on @fd and read until its ack or the end of its dump, handing
 * each reply to @cb. Return: 0 or the negative errno of the ack; with
 * @soft, a failed send or receive is returned as well (fault injection
 * fails them too), else it ends the program.
 */
static inline int __nl_txn(int fd, struct nl_msg *m, nl_reply_cb cb,
			   void *ctx, bool soft)
{
	static __u32 seq_no = 1;
	static char rbuf[65536];
	__u32 seq = seq_no++;
	struct nlmsghdr *nlh;
	ssize_t n;

	m->nlh.nlmsg_seq = seq;
	if (send(fd, m->buf, m->nlh.nlmsg_len, 0) != (ssize_t)m->nlh.nlmsg_len) {
		if (soft)
			return errno ? -errno : -EIO;
		error(1, errno, "netlink send");
	}
	for (;;) {
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n < 0 && soft)
			return -errno;
		if (n < 0)
			error(1, errno, "netlink recv");
		for (nlh = (void *)rbuf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			struct nl_reply r;

			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return nl_ack_error(nlh);
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb) {
				nl_parse_msg(nlh, &r);
				cb(&r, ctx);
			}
		}
	}
}

static inline int nl_txn(int fd, struct nl_msg *m, nl_reply_cb cb, void *ctx)
{
	return __nl_txn(fd, m, cb, ctx, false);
}

struct nl_family_info {
	const char *grp_name;	/* multicast group to look up, or NULL */
	int id;
	__u32 grp_id;
};

static inline void nl_family_cb(struct nl_reply *r, void *ctx)
{
	struct nl_family_info *f = ctx;
	struct nlattr *grp, *groups, *tb[NL_MAX_ATTR];
	char *end;

	if (r->tb[CTRL_ATTR_FAMILY_ID])
		f->id = *(__u16 *)nl_attr_data(r->tb[CTRL_ATTR_FAMILY_ID]);
	groups = r->tb[CTRL_ATTR_MCAST_GROUPS];
	if (!groups || !f->grp_name)
		return;
	end = (char *)nl_attr_data(groups) + nl_attr_len(groups);
	for (grp = nl_attr_data(groups); nl_attr_ok(grp, end);
	     grp = nl_attr_next(grp)) {
		nl_parse(tb, nl_attr_data(grp), nl_attr_len(grp));
		if (tb[CTRL_ATTR_MCAST_GRP_NAME] && tb[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(nl_attr_data(tb[CTRL_ATTR_MCAST_GRP_NAME]),
			    f->grp_name))
			f->grp_id = *(__u32 *)nl_attr_data(tb[CTRL_ATTR_MCAST_GRP_ID]);
	}
}

/* The id of generic netlink family @name (exits if there is none); with
 * @grp_name, the id of that multicast group in *@grp_id.
 */
static inline int nl_family(const char *name, const char *grp_name,
			    __u32 *grp_id)
{
	struct nl_family_info f = { .grp_name = grp_name };
	struct nl_msg m;
	int fd = nl_open();
	int err;

	nl_msg_init(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	nl_put_str(&m, CTRL_ATTR_FAMILY_NAME, name);
	err = nl_txn(fd, &m, nl_family_cb, &f);
	close(fd);
	if (err || !f.id)
		error(1, -err, "no generic netlink family \"%s\"", name);
	if (grp_id)
		*grp_id = f.grp_id;
	return f.id;
}

/* ------------------------------------------------ the netdev family */

struct netdev_bind_q {
	__u32 id, type;
};

static inline void netdev_bind_cb(struct nl_reply *r, void *ctx)
{
	if (r->tb[NETDEV_A_DMABUF_ID])
		*(__u32 *)ctx = nl_attr_uint(r->tb[NETDEV_A_DMABUF_ID]);
}

/* bind-rx of @dmabuf to the @nq queues @q of @ifindex, on netlink socket
 * @fd (the binding lives as long as it). Return: the binding id (> 0) or
 * a negative errno.
 */
/* bind-rx: the binding id, or a negative errno (@soft: see __nl_txn()) */
static inline int __netdev_bind_rx(int fd, int family, int ifindex, int dmabuf,
				   const struct netdev_bind_q *q, int nq,
				   bool soft)
{
	struct nlattr *nest;
	struct nl_msg m;
	__u32 id = 0;
	int err, i;

	nl_msg_init(&m, family, 0, NETDEV_CMD_BIND_RX);
	nl_put_u32(&m, NETDEV_A_DMABUF_IFINDEX, ifindex);
	nl_put_u32(&m, NETDEV_A_DMABUF_FD, dmabuf);
	for (i = 0; i < nq; i++) {
		nest = nl_nest_start(&m, NETDEV_A_DMABUF_QUEUES);
		nl_put_u32(&m, NETDEV_A_QUEUE_ID, q[i].id);
		nl_put_u32(&m, NETDEV_A_QUEUE_TYPE, q[i].type);
		nl_nest_end(&m, nest);
	}
	err = __nl_txn(fd, &m, netdev_bind_cb, &id, soft);
	if (err)
		return err;
	return id ? (int)id : -ENODATA;
}

static inline int netdev_bind_rx(int fd, int family, int ifindex, int dmabuf,
				 const struct netdev_bind_q *q, int nq)
{
	return __netdev_bind_rx(fd, family, ifindex, dmabuf, q, nq, false);
}

#define NETDEV_MAX_POOLS 64

/* One page-pool-get reply */
struct netdev_pool {
	__u64 id;
	int ifindex;
	long dmabuf;	/* -1: no DMABUF attribute */
	bool io_uring;	/* an IO_URING nest: a zcrx provides its memory */
	__u64 inflight, inflight_mem, detach_time;
};

struct netdev_pool_list {
	int n;
	struct netdev_pool p[NETDEV_MAX_POOLS];
};

static inline void netdev_pool_cb(struct nl_reply *r, void *ctx)
{
	struct netdev_pool_list *pl = ctx;
	struct netdev_pool *p;

	if (pl->n == NETDEV_MAX_POOLS)
		return;
	p = &pl->p[pl->n++];
	memset(p, 0, sizeof(*p));
	p->dmabuf = -1;
	if (r->tb[NETDEV_A_PAGE_POOL_ID])
		p->id = nl_attr_uint(r->tb[NETDEV_A_PAGE_POOL_ID]);
	if (r->tb[NETDEV_A_PAGE_POOL_IFINDEX])
		p->ifindex = nl_attr_uint(r->tb[NETDEV_A_PAGE_POOL_IFINDEX]);
	if (r->tb[NETDEV_A_PAGE_POOL_DMABUF])
		p->dmabuf = nl_attr_uint(r->tb[NETDEV_A_PAGE_POOL_DMABUF]);
	p->io_uring = r->tb[NETDEV_A_PAGE_POOL_IO_URING];
	if (r->tb[NETDEV_A_PAGE_POOL_INFLIGHT])
		p->inflight = nl_attr_uint(r->tb[NETDEV_A_PAGE_POOL_INFLIGHT]);
	if (r->tb[NETDEV_A_PAGE_POOL_INFLIGHT_MEM])
		p->inflight_mem = nl_attr_uint(r->tb[NETDEV_A_PAGE_POOL_INFLIGHT_MEM]);
	if (r->tb[NETDEV_A_PAGE_POOL_DETACH_TIME])
		p->detach_time = nl_attr_uint(r->tb[NETDEV_A_PAGE_POOL_DETACH_TIME]);
}

/* page-pool-get: the pool @id, or with @id 0 a dump of every pool */
static inline int netdev_pool_get(int fd, int family, __u64 id,
				  struct netdev_pool_list *pl)
{
	struct nl_msg m;

	pl->n = 0;
	nl_msg_init(&m, family, id ? 0 : NLM_F_DUMP, NETDEV_CMD_PAGE_POOL_GET);
	if (id)
		nl_put_u32(&m, NETDEV_A_PAGE_POOL_ID, id);
	return nl_txn(fd, &m, netdev_pool_cb, pl);
}

/* The pools whose DMABUF is binding @binding, from a dump */
static inline int netdev_pools_of_binding(int fd, int family, long binding,
					  struct netdev_pool_list *out)
{
	struct netdev_pool_list pl;
	int i, err;

	out->n = 0;
	err = netdev_pool_get(fd, family, 0, &pl);
	if (err)
		return err;
	for (i = 0; i < pl.n; i++)
		if (pl.p[i].dmabuf == binding)
			out->p[out->n++] = pl.p[i];
	return 0;
}

/* One queue-get reply, or a summary of a dump */
struct netdev_queue_info {
	int id, type, ifindex;
	long dmabuf;	/* -1: no DMABUF attribute */
	bool io_uring;	/* an IO_URING nest: a zcrx is bound */
	int count;	/* replies seen */
	int bound_rx;	/* RX queues with a dma-buf, in a dump */
	int bound_rx_id;
};

static inline __s64 nl_attr_uint_or(const struct nlattr *a, __s64 absent)
{
	return a ? (__s64)nl_attr_uint(a) : absent;
}

static inline void netdev_queue_cb(struct nl_reply *r, void *ctx)
{
	struct netdev_queue_info *qi = ctx;

	qi->count++;
	qi->id = nl_attr_uint_or(r->tb[NETDEV_A_QUEUE_ID], -1);
	qi->type = nl_attr_uint_or(r->tb[NETDEV_A_QUEUE_TYPE], -1);
	qi->ifindex = nl_attr_uint_or(r->tb[NETDEV_A_QUEUE_IFINDEX], -1);
	qi->dmabuf = nl_attr_uint_or(r->tb[NETDEV_A_QUEUE_DMABUF], -1);
	qi->io_uring = r->tb[NETDEV_A_QUEUE_IO_URING];
	if (qi->dmabuf >= 0 && qi->type == NETDEV_QUEUE_TYPE_RX) {
		qi->bound_rx++;
		qi->bound_rx_id = qi->id;
	}
}

/* queue-get of queue @queue of type @type of @ifindex into *@qi */
static inline int netdev_queue_get(int fd, int family, int ifindex, int queue,
				   int type, struct netdev_queue_info *qi)
{
	struct nl_msg m;

	memset(qi, 0, sizeof(*qi));
	nl_msg_init(&m, family, 0, NETDEV_CMD_QUEUE_GET);
	nl_put_u32(&m, NETDEV_A_QUEUE_IFINDEX, ifindex);
	nl_put_u32(&m, NETDEV_A_QUEUE_TYPE, type);
	nl_put_u32(&m, NETDEV_A_QUEUE_ID, queue);
	return nl_txn(fd, &m, netdev_queue_cb, qi);
}

/* ------------------------------------------------ udmabuf */

/* A udmabuf of @size bytes over a sealed memfd (returned in *@memfd) */
static inline int make_udmabuf(size_t size, int *memfd)
{
	struct udmabuf_create create = {};
	int dev, buf;

	*memfd = memfd_create("netmem", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (*memfd < 0)
		error(1, errno, "memfd_create");
	if (ftruncate(*memfd, size))
		error(1, errno, "ftruncate");
	if (fcntl(*memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		error(1, errno, "F_SEAL_SHRINK");
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		error(4, errno, "/dev/udmabuf");
	create.memfd = *memfd;
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.size = size;
	buf = ioctl(dev, UDMABUF_CREATE, &create);
	if (buf < 0)
		error(1, errno, "UDMABUF_CREATE");
	close(dev);
	return buf;
}

/*
 * Fault injection (CONFIG_FAULT_INJECTION): with fail-nth armed to n, the
 * n-th fault site this thread reaches (allocation, user copy) fails.
 */
#define FAIL_NTH	"/proc/thread-self/fail-nth"

static inline void write_str(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v))
		error(1, errno, "write %s to %s", v, path);
	close(fd);
}

/* Open while armed: opening a file allocates, and would take the fault. */
static int fail_nth_fd = -1;

/* Let fail-nth reach GFP_KERNEL and order-0 allocations, quietly; false
 * (errno set) without fault injection.
 */
static inline bool fail_nth_setup(void)
{
	static const char *const knobs[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/min-order", "0" },
		{ "failslab/verbose", "0" },
		{ "fail_page_alloc/verbose", "0" },
		{ "fail_usercopy/verbose", "0" },
		{ NULL },
	};
	char path[128];
	unsigned int i;

	if (fail_nth_fd < 0)
		fail_nth_fd = open(FAIL_NTH, O_RDWR);
	if (fail_nth_fd < 0)
		return false;
	for (i = 0; knobs[i][0]; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s", knobs[i][0]);
		write_str(path, knobs[i][1]);
	}
	return true;
}

/* The @n-th fault site this thread reaches from now on fails. */
static inline void fail_nth_arm(unsigned int n)
{
	char buf[16];
	int len;

	len = snprintf(buf, sizeof(buf), "%u", n);
	if (pwrite(fail_nth_fd, buf, len, 0) != len)
		error(1, errno, "arm %s", FAIL_NTH);
}

/*
 * Stop injecting; true if the armed failure was injected (count at 0).
 * The read and the write are fault sites too (their user copies): a read
 * that fails found the count at 1, not reached; a write that fails took the
 * count to 0. Either way nothing is armed afterwards.
 */
static inline bool fail_nth_disarm(void)
{
	char buf[16] = "";
	ssize_t n;

	n = pread(fail_nth_fd, buf, sizeof(buf) - 1, 0);
	if (n < 0 && errno != EFAULT)
		error(1, errno, "read %s", FAIL_NTH);
	if (pwrite(fail_nth_fd, "0", 1, 0) < 0 && errno != EFAULT)
		error(1, errno, "disarm %s", FAIL_NTH);
	return n > 0 && atoi(buf) == 0;
}

/* Counter @stat of ethtool -S @dev, or -1 */
static inline long long ethtool_stat_of(const char *dev, const char *stat)
{
	char cmd[256], line[256], name[128];
	unsigned long long val;
	long long v = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ethtool -S %s", dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %127[^:]: %llu", name, &val) == 2 &&
		    !strcmp(name, stat))
			v = val;
	pclose(f);
	return v;
}

/* Seconds on the monotonic clock */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A seeded generator for the uAPI fuzzers (xorshift64*): one seed, one
 * sequence of calls, so a run that failed can be replayed.
 */
static uint64_t fuzz_state = 1;

static inline void fuzz_seed(uint64_t seed)
{
	fuzz_state = (seed + 1) * 0x9e3779b97f4a7c15ULL;
}

static inline uint32_t fuzz_u32(void)
{
	fuzz_state ^= fuzz_state >> 12;
	fuzz_state ^= fuzz_state << 25;
	fuzz_state ^= fuzz_state >> 27;
	return (fuzz_state * 0x2545f4914f6cdd1dULL) >> 32;
}

static inline uint32_t fuzz_below(uint32_t n)
{
	return n ? fuzz_u32() % n : 0;
}

static inline bool fuzz_chance(unsigned int percent)
{
	return fuzz_below(100) < percent;
}

/* Mostly a value at an edge a parser must get right, else any 64 bits */
static inline uint64_t fuzz_edge(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 7, 8, 63, 64, 127, 128, 4095, 4096, 4097, 32768,
		32769, 65535, 65536, 1ULL << 30, (1ULL << 30) + 4096,
		0x7fffffff, 0x80000000, 0xffffffff, 1ULL << 32, 1ULL << 48,
		~0ULL,
	};

	if (fuzz_chance(80))
		return edges[fuzz_below(ARRAY_SIZE(edges))];
	return (uint64_t)fuzz_u32() << 32 | fuzz_u32();
}

/* Calls a fuzzer made and the distinct results they had */
#define FUZZ_NERR	160
struct fuzz_tally {
	unsigned long calls;
	unsigned long res[FUZZ_NERR];	/* by errno; [0]: success */
};

static inline void fuzz_count(struct fuzz_tally *t, int ret)
{
	int e = ret < 0 ? -ret : 0;

	t->calls++;
	t->res[e < FUZZ_NERR ? e : FUZZ_NERR - 1]++;
}

/* Count @ret in @t: is it a success or one of the errnos of @ok (a list
 * ended by 0)?
 */
static inline bool fuzz_expect(struct fuzz_tally *t, int ret, const int *ok)
{
	fuzz_count(t, ret);
	if (ret >= 0)
		return true;
	for (; *ok; ok++)
		if (-ret == *ok)
			return true;
	return false;
}

static inline void fuzz_print(const char *what, const struct fuzz_tally *t)
{
	int e;

	printf("# fuzz %s: %lu calls:", what, t->calls);
	for (e = 0; e < FUZZ_NERR; e++)
		if (t->res[e])
			printf(" %s %lu", e ? strerrorname_np(e) : "ok",
			       t->res[e]);
	printf("\n");
}

/*
 * A device deleted while a fuzzer runs: fuzz_deleter_start() forks a child
 * that runs @cmd after @ms; fuzz_device_gone() says whether it has run
 * (with @wait, after waiting for it). Its exit status: fuzz_deleter_status.
 */
static pid_t fuzz_deleter;
static int fuzz_deleter_status = -1;

static inline void fuzz_deleter_start(const char *cmd, unsigned int ms)
{
	printf("# fuzz: the device goes after %u ms: %s\n", ms, cmd);
	fflush(stdout);
	fuzz_deleter = fork();
	if (fuzz_deleter < 0)
		error(1, errno, "fork");
	if (!fuzz_deleter) {
		usleep(ms * 1000);
		_exit(system(cmd) ? 1 : 0);
	}
}

static inline bool fuzz_device_gone(bool wait)
{
	if (fuzz_deleter > 0 &&
	    waitpid(fuzz_deleter, &fuzz_deleter_status, wait ? 0 : WNOHANG) ==
	    fuzz_deleter)
		fuzz_deleter = 0;
	return fuzz_deleter_status != -1;
}

/* The deleter ran its command and it succeeded */
static inline bool fuzz_deleter_ok(void)
{
	return WIFEXITED(fuzz_deleter_status) &&
	       !WEXITSTATUS(fuzz_deleter_status);
}

#endif /* NETMEM_NL_H */
