// SPDX-License-Identifier: GPL-2.0
/*
 * devmem TCP receive: payload lands in a dma-buf, the socket hands out
 * offsets and tokens.
 *
 *   devmem_rx [-E] [-l -i DEV -q QUEUE -k CONNS [-6] [-p PORT] [-s SEED]
 *	      [-S DMABUF_MIB] [-b BATCH] [-x CONN:BYTES:CMD]... [-m] [-H] [-r]
 *	      [-f] [-z SECS [-Z SEED]]]
 *	-E: uAPI checks that need no binding first: struct layouts,
 *	SO_DEVMEM_DONTNEED errors, recvmsg(MSG_SOCK_DEVMEM) of readable
 *	(loopback) data.
 *	-l: makes a udmabuf out of a memfd, binds it to RX queue QUEUE of DEV
 *	with netdev bind-rx over raw generic netlink, then serves CONNS
 *	connections of tcp_pattern -c -L and checks every byte: device
 *	bytes by reading the memfd at the offsets of the SCM_DEVMEM_DMABUF
 *	cmsgs, the others from the iov by SCM_DEVMEM_LINEAR. Tokens go back
 *	in batches of BATCH frags. -x runs CMD (e.g. a steering change) once
 *	connection CONN (from 0) got BYTES bytes; -m requires some bytes of
 *	each such connection to come linear. -H closes the last connection
 *	with its tokens outstanding. -r requires more frags than the dma-buf
 *	has buffers: they must have been reused, so the transfer ran on
 *	buffers the tokens gave back. At the end the netlink socket is closed
 *	(unbind) and every page_pool of the binding must be gone, its
 *	buffers all back.
 *	-f: once, a batch of tokens goes back under fail-nth fault injection
 *	(see dontneed_fail_nth()).
 *	-y MODE: each connection goes to kTLS or a sockmap instead (see
 *	stack_one()); the unbind check is the same.
 *	-z SECS: instead of serving CONNS connections, the uAPI fuzzer below
 *	for SECS seconds from seed -Z (1). With -D CMD, CMD (deleting the
 *	device) runs at a moment in the first half drawn from the seed; the
 *	connection then open goes on for 20 steps, then the fuzzer stops.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <error.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <linux/tls.h>
/* linux/uio.h also defines the struct iovec libc already has */
#define iovec linux_uio_iovec
#include <linux/uio.h>
#undef iovec

#include "netmem_nl.h"

/* kernel-internal flag of include/linux/socket.h; glibc lacks it */
#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef MSG_SOCK_DEVMEM
#define MSG_SOCK_DEVMEM 0x2000000
#endif

/* The netdev family's numbers are upstream's: check them here too. */
static_assert(NETDEV_CMD_PAGE_POOL_GET == 5, "page-pool-get");
static_assert(NETDEV_CMD_BIND_RX == 13, "bind-rx");
static_assert(NETDEV_A_DMABUF_IFINDEX == 1 && NETDEV_A_DMABUF_QUEUES == 2 &&
	      NETDEV_A_DMABUF_FD == 3 && NETDEV_A_DMABUF_ID == 4, "dmabuf");
static_assert(NETDEV_A_QUEUE_ID == 1 && NETDEV_A_QUEUE_TYPE == 3 &&
	      NETDEV_QUEUE_TYPE_RX == 0, "queue");
static_assert(NETDEV_A_PAGE_POOL_ID == 1 && NETDEV_A_PAGE_POOL_INFLIGHT == 4 &&
	      NETDEV_A_PAGE_POOL_DMABUF == 7, "page-pool");

static_assert(sizeof(struct dmabuf_cmsg) == 24, "dmabuf_cmsg size");
static_assert(offsetof(struct dmabuf_cmsg, frag_offset) == 0, "frag_offset");
static_assert(offsetof(struct dmabuf_cmsg, frag_size) == 8, "frag_size");
static_assert(offsetof(struct dmabuf_cmsg, frag_token) == 12, "frag_token");
static_assert(offsetof(struct dmabuf_cmsg, dmabuf_id) == 16, "dmabuf_id");
static_assert(offsetof(struct dmabuf_cmsg, flags) == 20, "flags");
static_assert(sizeof(struct dmabuf_token) == 8, "dmabuf_token size");
static_assert(offsetof(struct dmabuf_token, token_start) == 0, "start");
static_assert(offsetof(struct dmabuf_token, token_count) == 4, "count");
static_assert(SO_DEVMEM_LINEAR == 78 && SCM_DEVMEM_LINEAR == 78, "LINEAR");
static_assert(SO_DEVMEM_DMABUF == 79 && SCM_DEVMEM_DMABUF == 79, "DMABUF");
static_assert(SO_DEVMEM_DONTNEED == 80, "DONTNEED");

#define MAX_TOKENS	128	/* ranges per SO_DEVMEM_DONTNEED */
#define MAX_FRAGS	1024	/* frags per SO_DEVMEM_DONTNEED */
#define MAX_EXEC	4

static bool cfg_errors, cfg_listen, cfg_ipv6, cfg_need_linear, cfg_hold;
static const char *cfg_ifname;
static int cfg_queue = -1;
static int cfg_conns = 1;
static int cfg_port = 9400;
static unsigned int cfg_seed;
static size_t cfg_dmabuf_size = 8 << 20;
static bool cfg_reuse;
static bool cfg_fail_nth;
static unsigned int cfg_batch = 256;
static int cfg_timeout = 60;
static struct {
	int conn;
	unsigned long long at;
	const char *cmd;
	bool done;
} cfg_exec[MAX_EXEC];
static int cfg_nexec;

static inline uint8_t pattern_byte(unsigned long long off)
{
	return (uint8_t)((off % 251) ^ ((off / 251) % 253) ^ cfg_seed);
}

/* ------------------------------------------------------------ netlink */

/* The binding's pools and their buffers in flight, from a page-pool dump */
static int pools_of(int family, uint32_t id, uint64_t *inflight)
{
	struct netdev_pool_list pl;
	int fd = nl_open(), i;

	if (netdev_pools_of_binding(fd, family, id, &pl))
		error(1, 0, "page-pool-get dump failed");
	close(fd);
	*inflight = 0;
	for (i = 0; i < pl.n; i++)
		*inflight += pl.p[i].inflight;
	return pl.n;
}

/* ------------------------------------------------------------ errno cases */

static int failures;
/* The case the checks belong to: uapi, probe, devmem, fallback or hold */
static const char *section = "uapi";

static void check(bool ok, const char *what)
{
	printf("# %s: [%s] %s\n", ok ? "ok" : "FAIL", section, what);
	if (!ok)
		failures++;
}

static int dontneed(int fd, const struct dmabuf_token *t, socklen_t len)
{
	return setsockopt(fd, SOL_SOCKET, SO_DEVMEM_DONTNEED, t, len);
}

static bool fails_with(int ret, int err)
{
	return ret == -1 && errno == err;
}

/* A connected loopback TCP pair: *srv is the accepted end. */
static void tcp_pair(int *cli, int *srv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int lfd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (void *)&a, &len))
		error(1, errno, "loopback listener");
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (*cli < 0 || connect(*cli, (void *)&a, sizeof(a)))
		error(1, errno, "loopback connect");
	*srv = accept(lfd, NULL, NULL);
	if (*srv < 0)
		error(1, errno, "accept");
	close(lfd);
}

static void write_pattern(int fd, size_t len)
{
	uint8_t *buf = malloc(len);
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(i);
	if (write(fd, buf, len) != (ssize_t)len)
		error(1, errno, "write");
	free(buf);
}

static int do_errors(void)
{
	struct dmabuf_token tok[MAX_TOKENS + 1];
	char ctrl[CMSG_SPACE(sizeof(struct dmabuf_cmsg)) * 8];
	const size_t total = 100000;
	size_t got = 0, i;
	struct msghdr msg;
	struct iovec iov;
	int cli, srv, fd;
	uint8_t buf[8192];
	ssize_t n;

	for (i = 0; i <= MAX_TOKENS; i++) {
		tok[i].token_start = 1000000 + i * 10;
		tok[i].token_count = 3;
	}

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	check(fails_with(dontneed(fd, tok, 8), EBADF),
	      "DONTNEED on a UDP socket: EBADF");
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	check(fails_with(dontneed(fd, tok, 8), EBADF),
	      "DONTNEED on a unix stream socket: EBADF");
	close(fd);

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	check(fails_with(dontneed(fd, tok, sizeof(tok)), EINVAL),
	      "DONTNEED with 129 tokens: EINVAL");
	check(fails_with(dontneed(fd, tok, 12), EINVAL),
	      "DONTNEED with optlen 12: EINVAL");
	check(fails_with(dontneed(fd, tok, 4), EINVAL),
	      "DONTNEED with optlen 4: EINVAL");
	check(dontneed(fd, tok, MAX_TOKENS * sizeof(tok[0])) == 0,
	      "DONTNEED of 128 unknown token ranges on tcp6: 0 freed");
	check(fails_with(dontneed(fd, (void *)8, 16), EFAULT),
	      "DONTNEED from a bad address: EFAULT");
	close(fd);

	/* Readable data through recvmsg(MSG_SOCK_DEVMEM): copied to the
	 * iov, each run reported by SCM_DEVMEM_LINEAR.
	 */
	tcp_pair(&cli, &srv);
	write_pattern(cli, total);
	shutdown(cli, SHUT_WR);
	check(dontneed(srv, tok, 16) == 0,
	      "DONTNEED of unknown tokens on a connected socket: 0 freed");

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	check(fails_with(recvmsg(srv, &msg, MSG_SOCK_DEVMEM), ENOBUFS),
	      "MSG_SOCK_DEVMEM without a cmsg buffer: ENOBUFS");
	msg.msg_control = ctrl;
	msg.msg_controllen = CMSG_SPACE(sizeof(struct dmabuf_cmsg)) - 1;
	check(fails_with(recvmsg(srv, &msg, MSG_SOCK_DEVMEM), ENOBUFS),
	      "MSG_SOCK_DEVMEM with a cmsg buffer one byte short: ENOBUFS");

	for (;;) {
		size_t linear = 0;
		struct cmsghdr *cm;

		msg.msg_control = ctrl;
		msg.msg_controllen = sizeof(ctrl);
		iov.iov_len = 1 + (got * 7) % sizeof(buf);
		n = recvmsg(srv, &msg, MSG_SOCK_DEVMEM);
		if (n < 0)
			error(1, errno, "recvmsg(MSG_SOCK_DEVMEM) loopback");
		if (!n)
			break;
		if (msg.msg_flags & MSG_CTRUNC)
			error(1, 0, "MSG_CTRUNC");
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			struct dmabuf_cmsg dc;

			memcpy(&dc, CMSG_DATA(cm), sizeof(dc));
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_DEVMEM_LINEAR ||
			    dc.frag_offset || dc.frag_token || dc.dmabuf_id ||
			    dc.flags)
				error(1, 0, "unexpected cmsg %d/%d on loopback",
				      cm->cmsg_level, cm->cmsg_type);
			linear += dc.frag_size;
		}
		if (linear != (size_t)n)
			error(1, 0, "recvmsg %zd bytes, LINEAR cmsgs %zu", n,
			      linear);
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] != pattern_byte(got + i))
				error(1, 0, "loopback mismatch at %zu", got + i);
		got += n;
	}
	check(got == total,
	      "MSG_SOCK_DEVMEM on loopback: 100000 bytes, all LINEAR, all verified, none lost to ENOBUFS");
	close(srv);
	close(cli);

	return failures ? 1 : 0;
}

/* ------------------------------------------------------------ receive */

struct rx {
	int fd;
	uint8_t *map;		/* the memfd behind the dma-buf */
	uint32_t id;		/* binding id */
	unsigned long long got;	/* stream bytes of this connection */
	unsigned long long payload;	/* expected payload (prefix) */
	uint8_t prefix[8];
	int conn;		/* index of this connection */
	unsigned long long conn_linear;	/* bytes of it that came linear */
	unsigned long long dmabuf_bytes, linear_bytes, total_bytes;
	unsigned long long cmsgs, tokens, frags_freed, dontneed_calls;
	struct dmabuf_token pend[MAX_TOKENS];
	int npend;
	unsigned int pend_frags;
	unsigned long long held;	/* tokens left outstanding (-H) */
	bool tested_repeat;
};

/* Consume @len stream bytes at @p: the length prefix, then the pattern. */
static void consume(struct rx *rx, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++, rx->got++) {
		if (rx->got < 8) {
			rx->prefix[rx->got] = p[i];
			if (rx->got == 7) {
				uint64_t v;

				memcpy(&v, rx->prefix, 8);
				rx->payload = be64toh(v);
			}
			continue;
		}
		if (p[i] != pattern_byte(rx->got - 8))
			error(1, 0, "mismatch at offset %llu: 0x%02x, want 0x%02x",
			      rx->got - 8, p[i], pattern_byte(rx->got - 8));
	}
}

/* Once per connection, on a batch of real tokens: a call looks at no more
 * than 1024 frags, a range given twice in one call is freed once, and
 * tokens already given back are unknown.
 */
static void test_dontneed_limits(struct rx *rx)
{
	struct dmabuf_token t[MAX_TOKENS];
	int n = rx->npend, ret;

	rx->tested_repeat = true;

	/* 1024 unknown tokens first: the real ones are past the limit. */
	t[0].token_start = 0x7ffff000;
	t[0].token_count = MAX_FRAGS;
	memcpy(&t[1], rx->pend, n * sizeof(t[0]));
	ret = dontneed(rx->fd, t, (n + 1) * sizeof(t[0]));
	check(ret == 0, "DONTNEED looks at 1024 frags at most: 0 freed");

	memcpy(&t[n], rx->pend, n * sizeof(t[0]));
	memcpy(&t[0], rx->pend, n * sizeof(t[0]));
	ret = dontneed(rx->fd, t, 2 * n * sizeof(t[0]));
	check(ret == (int)rx->pend_frags,
	      "DONTNEED with each range twice: each frag freed once");
	if (ret != (int)rx->pend_frags)
		printf("# returned %d, want %u\n", ret, rx->pend_frags);
	rx->frags_freed += ret > 0 ? ret : 0;
	rx->dontneed_calls++;

	ret = dontneed(rx->fd, rx->pend, n * sizeof(t[0]));
	check(ret == 0, "DONTNEED of tokens already given back: 0 freed");
	rx->npend = 0;
	rx->pend_frags = 0;
}

/*
 * Once (-f): DONTNEED of a batch with the n-th fault site failing, n = 1,
 * 2, ... until a call hits none: a call that fails (ENOMEM, EFAULT) frees
 * nothing, so that in the end each frag of the batch is freed exactly once.
 */
static void dontneed_fail_nth(struct rx *rx)
{
	socklen_t len = rx->npend * sizeof(rx->pend[0]);
	unsigned int n, injected = 0, bad = 0, freed = 0;
	bool hit = true;
	int ret = 0, err;

	cfg_fail_nth = false;
	for (n = 1; hit && n <= 1000; n++) {
		fail_nth_arm(n);
		ret = dontneed(rx->fd, rx->pend, len);
		err = errno;
		hit = fail_nth_disarm();
		if (ret >= 0) {
			freed += ret;
			break;
		}
		injected++;
		if (err != ENOMEM && err != EFAULT && bad++ < 5)
			printf("# DONTNEED, fault %u: %s\n", n, strerror(err));
	}
	printf("# DONTNEED: %u faults injected, %u frags of %u freed after them\n",
	       injected, freed, rx->pend_frags);
	check(injected && !bad && freed == rx->pend_frags,
	      "DONTNEED under fault injection: a failed call frees nothing, then each frag once");
	rx->frags_freed += freed;
	rx->dontneed_calls++;
	rx->npend = 0;
	rx->pend_frags = 0;
}

static void flush_tokens(struct rx *rx)
{
	socklen_t len = rx->npend * sizeof(rx->pend[0]);
	int ret;

	if (!rx->npend)
		return;
	if (!rx->tested_repeat && rx->npend <= MAX_TOKENS / 2 &&
	    rx->pend_frags <= MAX_FRAGS / 2) {
		test_dontneed_limits(rx);
		return;
	}
	if (cfg_fail_nth && rx->conn) {
		dontneed_fail_nth(rx);
		return;
	}
	ret = dontneed(rx->fd, rx->pend, len);
	if (ret != (int)rx->pend_frags)
		error(1, errno, "DONTNEED of %u frags in %d ranges returned %d",
		      rx->pend_frags, rx->npend, ret);
	rx->dontneed_calls++;
	rx->frags_freed += ret;

	rx->npend = 0;
	rx->pend_frags = 0;
}

static void add_token(struct rx *rx, uint32_t token)
{
	struct dmabuf_token *last = rx->npend ? &rx->pend[rx->npend - 1] : NULL;

	if (last && last->token_start + last->token_count == token) {
		last->token_count++;
	} else {
		if (rx->npend == MAX_TOKENS)
			flush_tokens(rx);
		rx->pend[rx->npend].token_start = token;
		rx->pend[rx->npend].token_count = 1;
		rx->npend++;
	}
	if (++rx->pend_frags >= cfg_batch)
		flush_tokens(rx);
}

static bool has_exec(int conn)
{
	int i;

	for (i = 0; i < cfg_nexec; i++)
		if (cfg_exec[i].conn == conn)
			return true;
	return false;
}

static void run_exec(struct rx *rx)
{
	int i;

	for (i = 0; i < cfg_nexec; i++) {
		if (cfg_exec[i].done || cfg_exec[i].conn != rx->conn ||
		    rx->got < cfg_exec[i].at)
			continue;
		cfg_exec[i].done = true;
		printf("# connection %d at %llu bytes: %s\n", rx->conn, rx->got,
		       cfg_exec[i].cmd);
		if (system(cfg_exec[i].cmd))
			error(1, 0, "command failed: %s", cfg_exec[i].cmd);
	}
}

/* A first read without MSG_SOCK_DEVMEM: device bytes are EFAULT, and stay
 * queued for the devmem read that follows.
 */
/* Wait until at least @bytes are queued on @fd. */
static void wait_inq(int fd, int bytes)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int inq = 0, waited = 0;

	for (;;) {
		if (poll(&pfd, 1, cfg_timeout * 1000) != 1)
			error(1, 0, "no data");
		if (ioctl(fd, SIOCINQ, &inq))
			error(1, errno, "SIOCINQ");
		if (inq >= bytes)
			return;
		if (waited++ > cfg_timeout * 100)
			error(1, 0, "only %d bytes queued", inq);
		usleep(10000);
	}
}

/* TCP zerocopy receive cannot map device frags into user space: it maps
 * nothing and points at recvmsg() for them through recv_skip_hint.
 */
static void probe_tcp_zerocopy(struct rx *rx)
{
	size_t maplen = 16 * 4096;
	struct tcp_zerocopy_receive zc = {};
	socklen_t zclen = sizeof(zc);
	void *addr;
	int ret;

	addr = mmap(NULL, maplen, PROT_READ, MAP_SHARED, rx->fd, 0);
	if (addr == MAP_FAILED)
		error(1, errno, "mmap of the TCP socket");
	zc.address = (uintptr_t)addr;
	zc.length = maplen;
	ret = getsockopt(rx->fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc,
			 &zclen);
	check(ret == 0 && zc.length == 0 && zc.recv_skip_hint > 0 &&
	      !zc.err,
	      "TCP_ZEROCOPY_RECEIVE on device data: nothing mapped, skip hint set");
	munmap(addr, maplen);
}

static ssize_t peek_devmem(int fd, void *b, size_t len)
{
	char ctrl[CMSG_SPACE(sizeof(struct dmabuf_cmsg)) * 4];
	struct iovec iov = { .iov_base = b, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctrl,
		.msg_controllen = sizeof(ctrl),
	};

	return recvmsg(fd, &msg, MSG_SOCK_DEVMEM | MSG_PEEK);
}

static void probe_plain_read(struct rx *rx)
{
	const char *sect = section;
	uint8_t b[64];
	int pfd[2];

	section = "probe";
	wait_inq(rx->fd, 2 * 4096);
	check(fails_with(recv(rx->fd, b, sizeof(b), 0), EFAULT),
	      "recv without MSG_SOCK_DEVMEM on device data: EFAULT");
	check(fails_with(peek_devmem(rx->fd, b, sizeof(b)), EINVAL),
	      "recvmsg(MSG_SOCK_DEVMEM | MSG_PEEK) on device data: EINVAL, no token");
	if (pipe(pfd))
		error(1, errno, "pipe");
	check(fails_with(splice(rx->fd, NULL, pfd[1], NULL, 65536,
				SPLICE_F_NONBLOCK), EFAULT),
	      "splice of device data: EFAULT");
	close(pfd[0]);
	close(pfd[1]);
	probe_tcp_zerocopy(rx);
	section = sect;
}

static void receive_one(struct rx *rx, bool last)
{
	char ctrl[CMSG_SPACE(sizeof(struct dmabuf_cmsg)) * 64];
	static uint8_t buf[1 << 16];
	struct msghdr msg = {};
	struct iovec iov;
	ssize_t n;

	rx->got = 0;
	rx->conn_linear = 0;
	rx->payload = ~0ULL;
	rx->tested_repeat = false;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;

	for (;;) {
		size_t iov_off = 0, sum = 0;
		struct cmsghdr *cm;

		msg.msg_control = ctrl;
		msg.msg_controllen = sizeof(ctrl);
		n = recvmsg(rx->fd, &msg, MSG_SOCK_DEVMEM);
		if (n < 0)
			error(1, errno, "recvmsg(MSG_SOCK_DEVMEM) at %llu", rx->got);
		if (!n)
			break;
		if (msg.msg_flags & MSG_CTRUNC)
			error(1, 0, "MSG_CTRUNC");
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			struct dmabuf_cmsg dc;

			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_len != CMSG_LEN(sizeof(dc)))
				error(1, 0, "bad cmsg level %d len %zu",
				      cm->cmsg_level, (size_t)cm->cmsg_len);
			memcpy(&dc, CMSG_DATA(cm), sizeof(dc));
			rx->cmsgs++;
			sum += dc.frag_size;
			if (cm->cmsg_type == SCM_DEVMEM_LINEAR) {
				if (iov_off + dc.frag_size > (size_t)n)
					error(1, 0, "LINEAR past the iov");
				consume(rx, buf + iov_off, dc.frag_size);
				iov_off += dc.frag_size;
				rx->linear_bytes += dc.frag_size;
				rx->conn_linear += dc.frag_size;
			} else if (cm->cmsg_type == SCM_DEVMEM_DMABUF) {
				if (dc.dmabuf_id != rx->id || dc.flags ||
				    !dc.frag_size ||
				    dc.frag_offset + dc.frag_size > cfg_dmabuf_size)
					error(1, 0, "bad cmsg: id %u flags %u off %llu size %u",
					      dc.dmabuf_id, dc.flags,
					      (unsigned long long)dc.frag_offset,
					      dc.frag_size);
				consume(rx, rx->map + dc.frag_offset,
					dc.frag_size);
				rx->dmabuf_bytes += dc.frag_size;
				rx->tokens++;
				if (!(last && cfg_hold))
					add_token(rx, dc.frag_token);
				else
					rx->held++;
			} else {
				error(1, 0, "unknown cmsg type %d", cm->cmsg_type);
			}
		}
		if (sum != (size_t)n)
			error(1, 0, "recvmsg returned %zd, cmsgs cover %zu", n, sum);
		rx->total_bytes += n;
		run_exec(rx);
	}
	if (rx->got < 8 || rx->got - 8 != rx->payload)
		error(1, 0, "received %llu bytes, want %llu + 8", rx->got,
		      rx->payload);
	if (!(last && cfg_hold))
		flush_tokens(rx);
	printf("# connection %d: %llu bytes verified, %llu linear\n", rx->conn,
	       rx->payload, rx->conn_linear);
	if (cfg_need_linear && has_exec(rx->conn))
		check(rx->conn_linear > 0,
		      "some payload of the connection came linear (fallback)");
}

static int make_dmabuf(uint8_t **map)
{
	int memfd, buf;

	buf = make_udmabuf(cfg_dmabuf_size, &memfd);
	*map = mmap(NULL, cfg_dmabuf_size, PROT_READ, MAP_SHARED, memfd, 0);
	if (*map == MAP_FAILED)
		error(1, errno, "mmap memfd");
	close(memfd);
	return buf;
}

/* Listen on @port. The receive buffer is bounded, so that a dma-buf
 * smaller than a transfer is enough if buffers come back.
 */
static int listen_tcp(int port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	int lfd, one = 1, rcvbuf = 1 << 20;

	lfd = socket(cfg_ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		error(1, errno, "socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	a4.sin_port = htons(port);
	a6.sin6_port = htons(port);
	if (cfg_ipv6 ? bind(lfd, (void *)&a6, sizeof(a6)) :
		       bind(lfd, (void *)&a4, sizeof(a4)))
		error(1, errno, "bind");
	if (listen(lfd, 1))
		error(1, errno, "listen");
	return lfd;
}

/* ------------------------------------------------------------ stack */

/*
 * -y MODE: the accepted socket goes to a stack feature that hands payload
 * to the CPU, which must refuse device memory rather than read it:
 *	tls: kTLS receive (AES-GCM-128). The record parser fails the socket
 *	with EFAULT.
 *	pass: a sockmap whose verdict program passes every skb to the socket
 *	itself. The psock cannot build a message of device memory: EFAULT on
 *	the socket, nothing delivered.
 *	redirect: the verdict program redirects every skb to the egress of
 *	a loopback connection in the same map. The send fails with EFAULT
 *	on that socket, and its peer gets no byte.
 */
static const char *cfg_stack;

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* A sockmap of two slots, with an SK_SKB verdict program attached */
static int stack_sockmap(bool redirect)
{
	struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = SK_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	/* return bpf_sk_redirect_map(skb, map, 1, 0): egress of slot 1 */
	struct bpf_insn redir[] = {
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_2,
		  .src_reg = BPF_PSEUDO_MAP_FD },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3,
		  .imm = 1 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_4 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_sk_redirect_map },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a = {};
	int map, prog;

	a.map_type = BPF_MAP_TYPE_SOCKMAP;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 2;
	map = sys_bpf(BPF_MAP_CREATE, &a);
	if (map < 0)
		error(1, errno, "sockmap");
	redir[0].imm = map;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SK_SKB;
	a.insns = (uintptr_t)(redirect ? redir : pass);
	a.insn_cnt = redirect ? ARRAY_SIZE(redir) : ARRAY_SIZE(pass);
	a.license = (uintptr_t)"GPL";
	prog = sys_bpf(BPF_PROG_LOAD, &a);
	if (prog < 0)
		error(1, errno, "sk_skb verdict program");
	memset(&a, 0, sizeof(a));
	a.target_fd = map;
	a.attach_bpf_fd = prog;
	a.attach_type = BPF_SK_SKB_VERDICT;
	if (sys_bpf(BPF_PROG_ATTACH, &a))
		error(1, errno, "attach verdict");
	close(prog);
	return map;
}

static void stack_map_add(int map, __u32 key, int fd)
{
	union bpf_attr a = {};
	__u32 val = fd;

	a.map_fd = map;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)&val;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a))
		error(1, errno, "sockmap slot %u", key);
}

/* The error the socket reports once it fails, or 0 after @ms */
static int stack_wait_error(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLERR };
	socklen_t len = sizeof(int);
	int err = 0;

	poll(&p, 1, ms);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err;
}

static void stack_one(struct rx *rx)
{
	char buf[4096];
	ssize_t n;

	section = cfg_stack;
	if (!strcmp(cfg_stack, "tls")) {
		struct tls12_crypto_info_aes_gcm_128 ci = {
			.info.version = TLS_1_2_VERSION,
			.info.cipher_type = TLS_CIPHER_AES_GCM_128,
		};

		check(!setsockopt(rx->fd, IPPROTO_TCP, TCP_ULP, "tls", 3) &&
		      !setsockopt(rx->fd, SOL_TLS, TLS_RX, &ci, sizeof(ci)),
		      "kTLS receive set up on a socket of the bound queue");
		n = recv(rx->fd, buf, sizeof(buf), 0);
		check(fails_with(n, EFAULT),
		      "recv of device data through kTLS: EFAULT");
	} else if (!strcmp(cfg_stack, "pass")) {
		int map = stack_sockmap(false);

		stack_map_add(map, 0, rx->fd);
		check(stack_wait_error(rx->fd, 20000) == EFAULT,
		      "sockmap verdict passes device data to the socket: EFAULT");
		n = recv(rx->fd, buf, sizeof(buf), MSG_DONTWAIT);
		check(n <= 0, "recv of the socket: no byte");
		close(map);
	} else if (!strcmp(cfg_stack, "redirect")) {
		int map = stack_sockmap(true), cli, srv;

		tcp_pair(&cli, &srv);
		stack_map_add(map, 1, cli);
		stack_map_add(map, 0, rx->fd);
		check(stack_wait_error(cli, 20000) == EFAULT,
		      "sockmap redirects device data to a socket's egress: EFAULT");
		n = recv(srv, buf, sizeof(buf), MSG_DONTWAIT);
		check(fails_with(n, EAGAIN), "its peer got no byte");
		close(cli);
		close(srv);
		close(map);
	} else {
		error(1, 0, "-y %s: tls, pass or redirect", cfg_stack);
	}
}

static int do_receive(void)
{
	struct timeval tv = { .tv_sec = cfg_timeout };
	int nl, family, ifindex, dmabuf, lfd, i, err;
	struct timespec t0, t1;
	struct rx rx = {};
	uint64_t inflight;
	double secs;
	int pools;

	ifindex = if_nametoindex(cfg_ifname);
	if (!ifindex)
		error(1, errno, "device %s", cfg_ifname);
	dmabuf = make_dmabuf(&rx.map);
	nl = nl_open();
	family = nl_family(NETDEV_FAMILY_NAME, NULL, NULL);
	err = netdev_bind_rx(nl, family, ifindex, dmabuf,
			     &(struct netdev_bind_q){ cfg_queue,
						      NETDEV_QUEUE_TYPE_RX }, 1);
	if (err < 0)
		error(1, -err, "bind-rx %s queue %d", cfg_ifname, cfg_queue);
	rx.id = err;
	/* The binding holds the dma-buf: our fd is not needed any more. */
	close(dmabuf);
	printf("# bound %s queue %d: dma-buf of %zu MiB, binding id %u\n",
	       cfg_ifname, cfg_queue, cfg_dmabuf_size >> 20, rx.id);

	section = "devmem";
	check(pools_of(family, rx.id, &inflight) >= 1,
	      "page-pool-get lists a pool of the binding");

	lfd = listen_tcp(cfg_port);
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	for (i = 0; i < cfg_conns; i++) {
		bool last = i == cfg_conns - 1;

		rx.conn = i;
		section = has_exec(i) ? "fallback" : last && cfg_hold ? "hold" :
			  "devmem";
		rx.fd = accept(lfd, NULL, NULL);
		if (rx.fd < 0)
			error(1, errno, "accept");
		if (!i)
			clock_gettime(CLOCK_MONOTONIC, &t0);
		setsockopt(rx.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (cfg_stack) {
			stack_one(&rx);
			close(rx.fd);
			continue;
		}
		if (!i)
			probe_plain_read(&rx);
		receive_one(&rx, last);
		close(rx.fd);
	}
	close(lfd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (!cfg_stack) {
		printf("# %.2f s from the first accept, %.2f MB/s\n", secs,
		       rx.total_bytes / secs / 1e6);
		printf("# total %llu bytes: %llu into the dma-buf, %llu copied\n",
		       rx.total_bytes, rx.dmabuf_bytes, rx.linear_bytes);
		printf("# %llu cmsgs, %llu tokens, %llu frags given back in %llu calls\n",
		       rx.cmsgs, rx.tokens, rx.frags_freed, rx.dontneed_calls);
		section = "devmem";
		check(rx.dmabuf_bytes > 0, "payload landed in the dma-buf");
		if (cfg_reuse) {
			printf("# %llu frags from a dma-buf of %zu buffers\n",
			       rx.tokens, cfg_dmabuf_size / 4096);
			check(rx.tokens > cfg_dmabuf_size / 4096,
			      "more frags than the dma-buf has buffers: they came back and were used again");
		}
		printf("# %llu tokens held at close\n", rx.held);
		check(rx.frags_freed + rx.held == rx.tokens,
		      "every token given back but those held, each freed once");
	}

	/* Unbind: close the netlink socket. Every pool of the binding must
	 * go, which needs every buffer back, the held tokens included.
	 */
	close(nl);
	for (i = 0; i < 200; i++) {
		pools = pools_of(family, rx.id, &inflight);
		if (!pools)
			break;
		usleep(50000);
	}
	if (pools)
		printf("# %d pools of the binding left, %llu buffers in flight\n",
		       pools, (unsigned long long)inflight);
	if (cfg_hold || cfg_stack)
		section = cfg_stack ?: "hold";
	check(!pools, cfg_hold ?
	      "closed with tokens outstanding, unbound: pools gone, inflight 0" :
	      "unbound: pools gone, inflight 0");
	munmap(rx.map, cfg_dmabuf_size);
	printf("# devmem_rx: done\n");
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------ fuzz */

/*
 * -z SECS: a bounded, seeded fuzzer of the devmem uAPI (seed -Z). A sender
 * loop in the peer namespace keeps connecting (tcp_pattern -L); for each
 * connection random steps run until EOF: recvmsg with random flags
 * (PEEK, TRUNC, OOB, WAITALL, DONTWAIT), control buffers of random sizes
 * and bad iovs; SO_DEVMEM_DONTNEED with real, repeated and random ranges
 * and odd lengths; bind-rx with random attributes (of a third dma-buf,
 * never received into), queue-get and page-pool-get of random ids; the
 * queue unbound and bound again to the other of two dma-bufs, once no
 * buffer of that one is in flight; the connection closed early with
 * tokens held.
 * Each result must be a documented errno or success, every cmsg inside a
 * dma-buf of ours and, where no odd flag touched the stream, carry the
 * sender's bytes; at the end every pool of every binding is gone.
 */
static unsigned int cfg_fuzz_secs, cfg_fuzz_seed = 1;
static const char *cfg_delete;

#define FZ_IDS		64
#define FZ_HELD		4096

struct fz {
	int family, ifindex, nl, dmabuf[2], cur;
	int spare;			/* for bind_random(): never read */
	uint8_t *map[2], *spare_map;
	uint32_t id, ids[FZ_IDS];	/* every binding made, and its map */
	int id_map[FZ_IDS], nids;
	uint32_t held[FZ_HELD];		/* tokens we did not give back */
	unsigned int nheld;
	bool inexact;			/* more tokens than held[] takes */
	unsigned long long got, payload, bytes, conns, bad;
	uint8_t prefix[8];
	bool verified;
	struct fuzz_tally recv, dontneed, bind, get, rebind;
};

/* What each call may fail with (0-ended lists) */
static const int recv_errnos[] = {
	EAGAIN, EFAULT, ENOBUFS, EINVAL, ENOTCONN, ECONNRESET, EINTR, 0
};

static const int dontneed_errnos[] = { EINVAL, EFAULT, 0 };

static const int bind_errnos[] = {
	EINVAL, ERANGE, ENODEV, EEXIST, EBADF, EOPNOTSUPP, EBUSY, ENOMEM, 0
};

static const int get_errnos[] = { EINVAL, ENOENT, ENODEV, ERANGE, 0 };

/* Count @ret in @t; a result outside @ok is a failure */
static void fz_check(struct fz *z, struct fuzz_tally *t, int ret,
		     const int *ok, const char *what)
{
	char msg[128];

	if (fuzz_expect(t, ret, ok))
		return;
	snprintf(msg, sizeof(msg), "fuzz: %s: %s", what,
		 strerrorname_np(-ret));
	check(false, msg);
	z->bad++;
}

static void fz_bind(struct fz *z)
{
	int ret;

	z->nl = nl_open();
	ret = netdev_bind_rx(z->nl, z->family, z->ifindex, z->dmabuf[z->cur],
			     &(struct netdev_bind_q){ cfg_queue,
						      NETDEV_QUEUE_TYPE_RX }, 1);
	/* -D: the device may be going; its deleter says when it is gone */
	if (ret < 0 && fuzz_device_gone(true)) {
		fz_check(z, &z->bind, ret, bind_errnos, "bind-rx, device gone");
		z->id = 0;
		return;
	}
	if (ret < 0)
		error(1, -ret, "fuzz: bind-rx queue %d", cfg_queue);
	z->id = ret;
	if (z->nids < FZ_IDS) {
		z->ids[z->nids] = ret;
		z->id_map[z->nids++] = z->cur;
	}
}

/* The memory behind binding @id, or NULL */
static const uint8_t *fz_map(struct fz *z, uint32_t id)
{
	int i;

	for (i = 0; i < z->nids; i++)
		if (z->ids[i] == id)
			return z->map[z->id_map[i]];
	return NULL;
}

/* Stream bytes, the 8-byte length prefix first: false on a wrong one */
static bool fz_consume(struct fz *z, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++, z->got++) {
		if (z->got < 8) {
			z->prefix[z->got] = p[i];
			if (z->got == 7) {
				uint64_t v;

				memcpy(&v, z->prefix, 8);
				z->payload = be64toh(v);
			}
		} else if (z->verified && p[i] != pattern_byte(z->got - 8)) {
			printf("# fuzz: stream byte %llu is 0x%02x, want 0x%02x\n",
			       z->got - 8, p[i], pattern_byte(z->got - 8));
			return false;
		}
	}
	return true;
}

/* One recvmsg with random flags and buffers. Returns 0 at EOF, else the
 * bytes read or -1.
 */
static ssize_t fz_recv(struct fz *z, int fd)
{
	static const int extra[] = { MSG_PEEK, MSG_TRUNC, MSG_OOB, MSG_WAITALL };
	char ctrl[CMSG_SPACE(sizeof(struct dmabuf_cmsg)) * 64];
	static uint8_t buf[1 << 16];
	size_t sum = 0, iov_off = 0;
	int flags = MSG_DONTWAIT;
	struct msghdr msg = {};
	bool odd = false;
	struct cmsghdr *cm;
	struct iovec iov;
	unsigned int i;
	ssize_t n;

	if (fuzz_chance(90))
		flags |= MSG_SOCK_DEVMEM;
	for (i = 0; i < 4; i++)
		if (fuzz_chance(4)) {
			flags |= extra[i];
			odd |= extra[i] != MSG_WAITALL;
		}
	iov.iov_base = buf;
	iov.iov_len = 1 + fuzz_below(sizeof(buf));
	if (fuzz_chance(3))
		iov.iov_base = fuzz_chance(50) ? NULL : (void *)8;
	msg.msg_iov = &iov;
	msg.msg_iovlen = fuzz_chance(97);
	msg.msg_control = ctrl;
	switch (fuzz_below(6)) {
	case 0:
		msg.msg_controllen = fuzz_below(CMSG_SPACE(sizeof(struct dmabuf_cmsg)) + 1);
		break;
	case 1:
		msg.msg_controllen = CMSG_SPACE(sizeof(struct dmabuf_cmsg)) *
				     (1 + fuzz_below(4));
		break;
	default:
		msg.msg_controllen = sizeof(ctrl);
		break;
	}
	n = recvmsg(fd, &msg, flags);
	fz_check(z, &z->recv, n < 0 ? -errno : 0, recv_errnos, "recvmsg");
	if (n < 0) {
		if (errno == EAGAIN && fuzz_chance(50))
			usleep(20000);
		return n;
	}
	if (msg.msg_flags & MSG_CTRUNC && flags & MSG_SOCK_DEVMEM) {
		check(false, "fuzz: MSG_SOCK_DEVMEM cmsgs truncated (MSG_CTRUNC)");
		z->bad++;
		z->verified = false;
	}
	if (!n)
		return msg.msg_iovlen ? 0 : -1;	/* asked for nothing: not EOF */
	if (odd || !(flags & MSG_SOCK_DEVMEM))
		z->verified = false;
	if (flags & MSG_PEEK)
		return n;	/* nothing consumed */
	if (flags & MSG_TRUNC) {
		z->got += n;	/* discarded: no cmsg, no token */
		z->bytes += n;
		return n;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		struct dmabuf_cmsg dc;
		const uint8_t *map;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_len != CMSG_LEN(sizeof(dc)))
			break;
		memcpy(&dc, CMSG_DATA(cm), sizeof(dc));
		sum += dc.frag_size;
		/* Its token is ours to give back, whatever else is wrong */
		if (cm->cmsg_type == SCM_DEVMEM_DMABUF) {
			if (z->nheld < FZ_HELD)
				z->held[z->nheld++] = dc.frag_token;
			else
				z->inexact = true;
		}
		if (cm->cmsg_type == SCM_DEVMEM_LINEAR) {
			if (iov_off + dc.frag_size > (size_t)n ||
			    !fz_consume(z, buf + iov_off, dc.frag_size))
				goto bad;
			iov_off += dc.frag_size;
			continue;
		}
		map = fz_map(z, dc.dmabuf_id);
		if (cm->cmsg_type != SCM_DEVMEM_DMABUF || !map || dc.flags ||
		    !dc.frag_size ||
		    dc.frag_offset + dc.frag_size > cfg_dmabuf_size / 2 ||
		    !fz_consume(z, map + dc.frag_offset, dc.frag_size))
			goto bad;
	}
	if (sum == (size_t)n || !(flags & MSG_SOCK_DEVMEM)) {
		if (!(flags & MSG_SOCK_DEVMEM))
			z->got += n;
		z->bytes += n;
		return n;
	}
bad:
	printf("# fuzz: recvmsg(0x%x) of %zd bytes at %llu: cmsg %d/%d, cmsgs cover %zu\n",
	       flags, n, z->got, cm ? cm->cmsg_level : -1,
	       cm ? cm->cmsg_type : -1, sum);
	check(false, "fuzz: recvmsg cmsgs describe the bytes returned");
	z->bad++;
	z->verified = false;
	return n;
}

/* Is @token in held[]? Then take it out. */
static bool fz_take(struct fz *z, uint64_t token)
{
	unsigned int i;

	for (i = 0; i < z->nheld; i++)
		if (z->held[i] == token) {
			z->held[i] = z->held[--z->nheld];
			return true;
		}
	return false;
}

/*
 * DONTNEED of real tokens (maybe twice) mixed with random ranges. What it
 * must free is known exactly: every held token named, in order, until
 * 1024 tokens were looked at.
 */
static void fz_dontneed(struct fz *z, int fd)
{
	struct dmabuf_token t[MAX_TOKENS + 2];
	unsigned int n = fuzz_below(MAX_TOKENS + 3), i, looked = 0;
	socklen_t len = n * sizeof(t[0]);
	bool bad_ptr = fuzz_chance(2);
	int ret, expect = 0;
	uint32_t j;

	for (i = 0; i < n; i++) {
		if (z->nheld && fuzz_chance(70)) {
			t[i].token_start = z->held[fuzz_below(z->nheld)];
			t[i].token_count = fuzz_chance(80) ? 1 : fuzz_below(4);
		} else {
			t[i].token_start = fuzz_edge();
			t[i].token_count = fuzz_edge();
		}
	}
	if (fuzz_chance(5))
		len = fuzz_below(sizeof(t) + 16);
	ret = setsockopt(fd, SOL_SOCKET, SO_DEVMEM_DONTNEED,
			 bad_ptr ? (void *)8 : (void *)t, len);
	fz_check(z, &z->dontneed, ret < 0 ? -errno : 0, dontneed_errnos,
		 "SO_DEVMEM_DONTNEED");
	if (ret < 0)
		return;
	n = len % sizeof(t[0]) ? 0 : len / sizeof(t[0]);
	for (i = 0; i < n && !bad_ptr; i++)
		for (j = 0; j < t[i].token_count && looked++ < MAX_FRAGS; j++)
			expect += fz_take(z, (uint64_t)t[i].token_start + j);
	if (ret != expect && !z->inexact) {
		printf("# fuzz: DONTNEED freed %d frags, %d of the named tokens were held\n",
		       ret, expect);
		check(false, "fuzz: DONTNEED frees exactly the held tokens it names");
		z->bad++;
	}
}

/* bind-rx with random attributes; a binding made goes at once */
static void fz_bind_random(struct fz *z, int fd)
{
	struct nlattr *nest;
	struct nl_msg m;
	int nl, ret, i, nq = fuzz_below(4);
	__u32 id = 0;

	nl_msg_init(&m, z->family, 0, NETDEV_CMD_BIND_RX);
	if (fuzz_chance(85))
		nl_put_u32(&m, NETDEV_A_DMABUF_IFINDEX, fuzz_chance(70) ?
			   (uint32_t)z->ifindex : (uint32_t)fuzz_edge());
	if (fuzz_chance(85)) {
		static int fds[5];

		/* Not a dma-buf we receive into: a second binding of it
		 * would hand out the same memory to another queue.
		 */
		fds[0] = z->spare;
		fds[1] = z->spare;
		fds[2] = fd;
		fds[3] = z->nl;
		fds[4] = fuzz_edge();
		nl_put_u32(&m, NETDEV_A_DMABUF_FD, fds[fuzz_below(5)]);
	}
	for (i = 0; i < nq; i++) {
		nest = nl_nest_start(&m, NETDEV_A_DMABUF_QUEUES);
		if (fuzz_chance(90))
			nl_put_u32(&m, NETDEV_A_QUEUE_ID, fuzz_chance(70) ?
				   fuzz_below(6) : (uint32_t)fuzz_edge());
		if (fuzz_chance(90))
			nl_put_u32(&m, NETDEV_A_QUEUE_TYPE, fuzz_chance(80) ?
				   NETDEV_QUEUE_TYPE_RX : fuzz_u32());
		if (fuzz_chance(10)) {
			__u16 v = fuzz_u32();

			nl_put(&m, fuzz_below(8), &v, sizeof(v));
		}
		nl_nest_end(&m, nest);
	}
	if (fuzz_chance(10)) {
		__u8 v = fuzz_u32();

		nl_put(&m, fuzz_below(16), &v, fuzz_below(2));
	}
	nl = nl_open();
	nl_quiet = true;
	ret = __nl_txn(nl, &m, netdev_bind_cb, &id, true);
	nl_quiet = false;
	fz_check(z, &z->bind, ret, bind_errnos, "bind-rx");
	close(nl);	/* unbinds what it bound */
}

static void fz_get(struct fz *z)
{
	struct netdev_queue_info qi;
	struct netdev_pool_list *pl;
	int ret;

	nl_quiet = true;
	if (fuzz_chance(50)) {
		ret = netdev_queue_get(z->nl, z->family,
				       fuzz_chance(70) ? z->ifindex :
				       (int)fuzz_edge(),
				       fuzz_chance(70) ? (int)fuzz_below(6) :
				       (int)fuzz_edge(),
				       fuzz_chance(80) ? NETDEV_QUEUE_TYPE_RX :
				       (int)fuzz_u32(), &qi);
		fz_check(z, &z->get, ret, get_errnos, "queue-get");
	} else {
		pl = calloc(1, sizeof(*pl));
		ret = netdev_pool_get(z->nl, z->family, fuzz_chance(50) ?
				      fuzz_below(64) : fuzz_edge(), pl);
		fz_check(z, &z->get, ret, get_errnos, "page-pool-get");
		free(pl);
	}
	nl_quiet = false;
}

/* Serve one connection with random steps until EOF or time is up */
/* No pool of any binding of dma-buf @idx is left */
static bool fz_dmabuf_idle(struct fz *z, int idx)
{
	uint64_t inflight;
	int i;

	if (z->nids == FZ_IDS)
		return false;	/* some bindings not recorded */
	for (i = 0; i < z->nids; i++)
		if (z->id_map[i] == idx &&
		    pools_of(z->family, z->ids[i], &inflight))
			return false;
	return true;
}

static void fz_conn(struct fz *z, int fd, double t_end)
{
	unsigned int after = 0;
	bool eof = false;

	z->conns++;
	z->got = 0;
	z->payload = ~0ULL;
	z->verified = true;
	/* With -D, 20 more steps once the device is gone */
	while (!eof && now() < t_end &&
	       (!cfg_delete || !fuzz_device_gone(false) || after++ < 20)) {
		switch (fuzz_below(20)) {
		case 0: case 1: case 2: case 3: case 4: case 5: case 6:
		case 7: case 8: case 9: case 10:
			eof = !fz_recv(z, fd);
			break;
		case 11: case 12: case 13:
			fz_dontneed(z, fd);
			break;
		case 14:
			fz_bind_random(z, fd);
			break;
		case 15: case 16:
			fz_get(z);
			break;
		case 17:
			/* Unbind, tokens held; bind the other dma-buf, once no
			 * pool of its last binding is left: a new binding's
			 * pool hands out the whole dma-buf again, over any
			 * buffer still in flight (the user's bytes, as
			 * upstream; not the kernel's).
			 */
			if (fuzz_chance(30) && fz_dmabuf_idle(z, z->cur ^ 1)) {
				close(z->nl);
				z->cur ^= 1;
				fz_bind(z);
				fuzz_count(&z->rebind, 0);
			}
			break;
		default:
			if (fuzz_chance(10))
				return;	/* closed early, tokens held */
			break;
		}
	}
	if (eof && z->verified && z->got != z->payload + 8) {
		printf("# fuzz: connection %llu ended at %llu bytes, want %llu + 8\n",
		       z->conns, z->got, z->payload);
		check(false, "fuzz: a stream no odd flag touched arrives whole");
		z->bad++;
	}
}

static int do_fuzz(void)
{
	double t_end = now() + cfg_fuzz_secs;
	struct timeval tv = { .tv_sec = 2 };
	struct fz z = {};
	uint64_t inflight;
	int lfd, fd, i, pools = 0, left = 0;

	section = "fuzz";
	printf("# fuzz: seed %u, %u s\n", cfg_fuzz_seed, cfg_fuzz_secs);
	fuzz_seed(cfg_fuzz_seed);
	z.ifindex = if_nametoindex(cfg_ifname);
	if (!z.ifindex)
		error(1, errno, "device %s", cfg_ifname);
	z.family = nl_family(NETDEV_FAMILY_NAME, NULL, NULL);
	cfg_dmabuf_size /= 2;	/* three, each half of -S */
	z.dmabuf[0] = make_dmabuf(&z.map[0]);
	z.dmabuf[1] = make_dmabuf(&z.map[1]);
	z.spare = make_dmabuf(&z.spare_map);
	cfg_dmabuf_size *= 2;
	fz_bind(&z);
	lfd = listen_tcp(cfg_port);
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (cfg_delete)
		fuzz_deleter_start(cfg_delete,
				   500 + fuzz_below(cfg_fuzz_secs * 500));
	while (now() < t_end && z.bad < 10 &&
	       !(cfg_delete && fuzz_device_gone(false))) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;	/* the sender loop is restarting */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		z.nheld = 0;
		z.inexact = false;
		fz_conn(&z, fd, t_end);
		close(fd);
	}
	close(lfd);
	if (cfg_delete) {
		fuzz_device_gone(true);
		printf("# fuzz: device gone during or before connection %llu\n",
		       z.conns);
		check(fuzz_deleter_ok(), "fuzz: the device deleted meanwhile");
	}
	close(z.nl);
	close(z.dmabuf[0]);
	close(z.dmabuf[1]);
	close(z.spare);
	printf("# fuzz: %llu connections, %llu bytes, %d bindings\n", z.conns,
	       z.bytes, z.nids);
	fuzz_print("recvmsg", &z.recv);
	fuzz_print("SO_DEVMEM_DONTNEED", &z.dontneed);
	fuzz_print("bind-rx", &z.bind);
	fuzz_print("queue-get, page-pool-get", &z.get);
	fuzz_print("unbind and bind again", &z.rebind);
	/* Every binding's pools gone: the sockets gave back what they held */
	for (i = 0; i < z.nids; i++) {
		int j;

		for (j = 0; j < 100; j++) {
			pools = pools_of(z.family, z.ids[i], &inflight);
			if (!pools)
				break;
			usleep(50000);
		}
		left += pools;
	}
	check(!z.bad && !left && z.conns && z.bytes && z.bind.calls &&
	      z.dontneed.res[0],
	      "fuzz: no odd errno, no bad cmsg or byte, every pool of every binding gone");
	munmap(z.map[0], cfg_dmabuf_size / 2);
	munmap(z.map[1], cfg_dmabuf_size / 2);
	munmap(z.spare_map, cfg_dmabuf_size / 2);
	return failures ? 1 : 0;
}

static void parse_opts(int argc, char **argv)
{
	char *colon;
	int c;

	while ((c = getopt(argc, argv, "Eli:q:k:6p:s:S:b:x:mHrt:y:z:Z:fD:")) != -1) {
		switch (c) {
		case 'E':
			cfg_errors = true;
			break;
		case 'r':
			cfg_reuse = true;
			break;
		case 'l':
			cfg_listen = true;
			break;
		case 'i':
			cfg_ifname = optarg;
			break;
		case 'q':
			cfg_queue = atoi(optarg);
			break;
		case 'k':
			cfg_conns = atoi(optarg);
			break;
		case '6':
			cfg_ipv6 = true;
			break;
		case 'p':
			cfg_port = atoi(optarg);
			break;
		case 's':
			cfg_seed = strtoul(optarg, NULL, 0) & 0xff;
			break;
		case 'S':
			cfg_dmabuf_size = strtoul(optarg, NULL, 0) << 20;
			break;
		case 'b':
			cfg_batch = strtoul(optarg, NULL, 0);
			break;
		case 'x':
			cfg_exec[cfg_nexec].conn = strtol(optarg, &colon, 0);
			if (*colon == ':')
				cfg_exec[cfg_nexec].at = strtoull(colon + 1,
								  &colon, 0);
			if (*colon != ':' || cfg_nexec == MAX_EXEC)
				error(1, 0, "-x CONN:BYTES:CMD");
			cfg_exec[cfg_nexec].cmd = colon + 1;
			cfg_nexec++;
			break;
		case 'm':
			cfg_need_linear = true;
			break;
		case 'H':
			cfg_hold = true;
			break;
		case 't':
			cfg_timeout = atoi(optarg);
			break;
		case 'f':
			cfg_fail_nth = true;
			break;
		case 'y':
			cfg_stack = optarg;
			break;
		case 'D':
			cfg_delete = optarg;
			break;
		case 'z':
			cfg_fuzz_secs = strtoul(optarg, NULL, 0);
			break;
		case 'Z':
			cfg_fuzz_seed = strtoul(optarg, NULL, 0);
			break;
		default:
			error(1, 0, "bad option");
		}
	}
	if ((!cfg_errors && !cfg_listen) ||
	    (cfg_listen && (!cfg_ifname || cfg_queue < 0 || cfg_conns < 1)) ||
	    !cfg_batch || cfg_batch > MAX_FRAGS)
		error(1, 0, "usage: see the comment at the top of devmem_rx.c");
}

int main(int argc, char **argv)
{
	parse_opts(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cfg_fail_nth && !fail_nth_setup())
		error(1, errno, "-f: %s", FAIL_NTH);
	if (cfg_errors)
		do_errors();
	if (cfg_listen && cfg_fuzz_secs)
		do_fuzz();
	else if (cfg_listen)
		do_receive();
	return failures ? 1 : 0;
}
