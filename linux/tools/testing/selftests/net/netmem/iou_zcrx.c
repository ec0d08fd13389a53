// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring zero-copy receive (zcrx) on the netdevsim datapath.
 *
 *   iou_zcrx -i DEV -q QUEUE -n NETNS_PATH -a ADDR -p PORT -P FB_PORT
 *	      [-O HDS_OFF_CMD -o HDS_ON_CMD] [-D DELETE_CMD] [-R RESTART_CMD]
 *	      [-s SEED] [-m MIB] [-F FUZZ_SECS] [-S FUZZ_SEED] CASE...
 *
 * One process runs every CASE given (a process launch costs seconds under
 * emulation). The receiver is this process, in the namespace of DEV; each
 * sender is a forked child that enters NETNS_PATH with setns() and sends
 * a known byte pattern to ADDR. Flows to PORT (and up) are steered to
 * QUEUE by the caller, flows to FB_PORT to another queue. Cases:
 *
 *   query	IORING_REGISTER_QUERY, IORING_REGISTER_ZCRX_CTRL
 *   errors	every registration error with its errno; no pinned page, no
 *		zcrx page_pool left behind; RECV_ZC errors
 *   rx		MIB MiB at several write sizes into a user-memory area,
 *		refill ring in kernel memory; every byte checked, every
 *		buffer returned
 *   dmabuf	the same into a udmabuf area, refill ring in user memory;
 *		then a flow on another queue ends with -EFAULT
 *   urgent	every write of the sender with MSG_OOB: urgent bytes in the
 *		area come in band, the stream intact
 *   nodev	ZCRX_REG_NODEV: everything copied into the area
 *   fallback	the flow on another queue: copied into the area
 *   overflow	a CQ of 4 entries not reaped: -ENOSPC, re-arm, no byte lost
 *   refill	returns wrapped in bad and repeated refill entries, held
 *		buffers untouched; an area run dry: -ENOSPC, re-arm
 *   close	the ring closed mid-stream with buffers held; then a new
 *		registration on the same queue must work
 *   failnth	fault injection on the registration (user area, udmabuf
 *		area, NODEV): the n-th allocation or user copy fails, for
 *		n = 1, 2, ... until the call succeeds untouched; each failure
 *		ends in -ENOMEM or -EFAULT with nothing left behind, and the
 *		last registration receives (needs CONFIG_FAULT_INJECTION)
 *   hostile	urgent and 7-byte writes, while hostile.sh attacks
 *   exitlive	a process exits with RECV_ZC armed on a flow still
 *		sending: nothing of it is left
 *   uid	a zcrx registered by a user without CAP_IPC_LOCK outlives
 *		its process through an export
 *   restart	the queue restarted twice (RESTART_CMD) with buffers held:
 *		the stream goes on, the held buffers keep their bytes
 *   len	RECV_ZC with a length ends with exactly that many bytes;
 *		the next request goes on from there
 *   bindrace	registrations while SYNs with data keep coming to the
 *		queue: its page_pool allocates (and reads the refill ring)
 *		at once
 *   fuzz	the uAPI fuzzer below for FUZZ_SECS (-F, 60) seconds from
 *		FUZZ_SEED (-S, 1): no errno outside the documented ones, no
 *		CQE outside the area, nothing left after each episode
 *   delete	the device deleted mid-stream (DELETE_CMD); must be last
 *   fuzzdel	the fuzzer with DELETE_CMD run at a moment drawn from
 *		FUZZ_SEED, whatever an episode is doing then; episodes stop
 *		with the device, nothing is left; must be last
 *   demo	one MIB MiB transfer, prints bytes and MB/s
 *
 * Each case prints "CASE pass|fail NAME" for the calling script.
 *
 * The ring, SQEs and CQEs come from liburing (Debian's 2.3); the zcrx
 * registration is raw io_uring_register(2). liburing ships its own copy
 * of the uAPI header under the same include guard: <linux/io_uring.h>
 * (the kernel's, with zcrx) is included first, so liburing builds on it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <error.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/netdev.h>
#include <linux/sockios.h>

#include <liburing.h>

#include "netmem_nl.h"

/* The numbers and layouts of UAPI.md, checked against the header in use */
static_assert(IORING_OP_RECV_ZC == 58, "RECV_ZC");
static_assert(IORING_REGISTER_ZCRX_IFQ == 32, "ZCRX_IFQ");
static_assert(IORING_REGISTER_MEM_REGION == 34, "MEM_REGION");
static_assert(IORING_REGISTER_QUERY == 35, "QUERY");
static_assert(IORING_REGISTER_ZCRX_CTRL == 36, "ZCRX_CTRL");
static_assert(IORING_ZCRX_AREA_SHIFT == 48, "AREA_SHIFT");
static_assert(IORING_ZCRX_AREA_MASK == 0xffff000000000000ULL, "AREA_MASK");
static_assert(IORING_ZCRX_AREA_DMABUF == 1, "AREA_DMABUF");
static_assert(ZCRX_REG_IMPORT == 1 && ZCRX_REG_NODEV == 2, "REG flags");
static_assert(ZCRX_CTRL_FLUSH_RQ == 0 && ZCRX_CTRL_EXPORT == 1, "CTRL ops");
static_assert(IORING_MEM_REGION_TYPE_USER == 1, "REGION_TYPE_USER");
static_assert(IO_URING_QUERY_OPCODES == 0 && IO_URING_QUERY_ZCRX == 1 &&
	      IO_URING_QUERY_SCQ == 2, "query ops");
static_assert(offsetof(struct io_uring_sqe, zcrx_ifq_idx) == 44, "ifq_idx");
static_assert(sizeof(struct io_uring_zcrx_rqe) == 16, "rqe");
static_assert(offsetof(struct io_uring_zcrx_rqe, len) == 8, "rqe.len");
static_assert(offsetof(struct io_uring_zcrx_rqe, __pad) == 12, "rqe.pad");
static_assert(sizeof(struct io_uring_zcrx_cqe) == 16, "zcqe");
static_assert(offsetof(struct io_uring_zcrx_cqe, __pad) == 8, "zcqe.pad");
static_assert(sizeof(struct io_uring_zcrx_offsets) == 32, "offsets");
static_assert(offsetof(struct io_uring_zcrx_offsets, tail) == 4, "tail");
static_assert(offsetof(struct io_uring_zcrx_offsets, rqes) == 8, "rqes");
static_assert(offsetof(struct io_uring_zcrx_offsets, __resv) == 16, "resv");
static_assert(sizeof(struct io_uring_zcrx_area_reg) == 48, "area_reg");
static_assert(offsetof(struct io_uring_zcrx_area_reg, len) == 8, "a.len");
static_assert(offsetof(struct io_uring_zcrx_area_reg, rq_area_token) == 16,
	      "a.token");
static_assert(offsetof(struct io_uring_zcrx_area_reg, flags) == 24, "a.fl");
static_assert(offsetof(struct io_uring_zcrx_area_reg, dmabuf_fd) == 28,
	      "a.dmabuf_fd");
static_assert(offsetof(struct io_uring_zcrx_area_reg, __resv2) == 32,
	      "a.resv2");
static_assert(sizeof(struct io_uring_zcrx_ifq_reg) == 96, "ifq_reg");
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, if_rxq) == 4, "rxq");
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, rq_entries) == 8, "rqe");
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, flags) == 12, "flags");
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, area_ptr) == 16, "area");
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, region_ptr) == 24,
	      "region");
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, offsets) == 32, "offs");
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, zcrx_id) == 64, "id");
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, rx_buf_len) == 68,
	      "rx_buf_len");
static_assert(offsetof(struct io_uring_zcrx_ifq_reg, __resv) == 72, "resv");
static_assert(sizeof(struct io_uring_region_desc) == 64, "region_desc");
static_assert(offsetof(struct io_uring_region_desc, size) == 8, "r.size");
static_assert(offsetof(struct io_uring_region_desc, flags) == 16, "r.flags");
static_assert(offsetof(struct io_uring_region_desc, id) == 20, "r.id");
static_assert(offsetof(struct io_uring_region_desc, mmap_offset) == 24,
	      "r.mmap_offset");
static_assert(offsetof(struct io_uring_region_desc, __resv) == 32, "r.resv");
static_assert(sizeof(struct zcrx_ctrl) == 72, "zcrx_ctrl");
static_assert(offsetof(struct zcrx_ctrl, op) == 4, "ctrl.op");
static_assert(offsetof(struct zcrx_ctrl, __resv) == 8, "ctrl.resv");
static_assert(offsetof(struct zcrx_ctrl, zc_export) == 24, "ctrl.union");
static_assert(sizeof(struct io_uring_query_hdr) == 40, "query_hdr");
static_assert(offsetof(struct io_uring_query_hdr, query_data) == 8, "q.data");
static_assert(offsetof(struct io_uring_query_hdr, query_op) == 16, "q.op");
static_assert(offsetof(struct io_uring_query_hdr, size) == 20, "q.size");
static_assert(offsetof(struct io_uring_query_hdr, result) == 24, "q.result");
static_assert(sizeof(struct io_uring_query_zcrx) == 40, "query_zcrx");
static_assert(offsetof(struct io_uring_query_zcrx, area_flags) == 8, "q.af");
static_assert(offsetof(struct io_uring_query_zcrx, nr_ctrl_opcodes) == 16,
	      "q.nr_ctrl");
static_assert(offsetof(struct io_uring_query_zcrx, rq_hdr_size) == 24,
	      "q.rq_hdr_size");
static_assert(offsetof(struct io_uring_query_zcrx, rq_hdr_alignment) == 28,
	      "q.rq_hdr_alignment");
static_assert(NETDEV_A_PAGE_POOL_IO_URING == 8, "page-pool io-uring");
static_assert(NETDEV_A_QUEUE_IO_URING == 6, "queue io-uring");

#define PAGE_SZ		4096UL
#define RING_FLAGS	(IORING_SETUP_DEFER_TASKRUN | \
			 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32)

static const char *cfg_ifname, *cfg_netns, *cfg_addr;
static const char *cfg_hds_off, *cfg_hds_on, *cfg_delete, *cfg_restart;
static int cfg_queue = -1, cfg_port = 9600, cfg_fb_port = 9599;
static unsigned int cfg_seed;
static unsigned long cfg_mib = 8;
static int ifindex, nl_fd, nl_fam;
static long pin_base;	/* VmPin with no zcrx: 0 */
static int nfail;
static bool check_quiet;	/* print failed checks only */
/* failnth: armed for the registration call of the next zc_open() */
static unsigned int fail_nth;
static bool fail_nth_hit;

static inline uint8_t pattern_byte(unsigned int seed, uint64_t off)
{
	return (uint8_t)((off % 251) ^ ((off / 251) % 253) ^ seed);
}

/* The pattern repeats every PERIOD bytes: compare against a table */
#define PERIOD		(251 * 253)
static uint8_t pattern_tab[PERIOD];
static int pattern_seed = -1;

/* Check @n bytes at @p against stream offset @off: -1 or the bad index */
static int verify(unsigned int seed, uint64_t off, const uint8_t *p, int n)
{
	int i = 0, chunk, j;

	if (pattern_seed != (int)seed) {
		for (j = 0; j < PERIOD; j++)
			pattern_tab[j] = pattern_byte(seed, j);
		pattern_seed = seed;
	}
	while (i < n) {
		j = (off + i) % PERIOD;
		chunk = PERIOD - j < n - i ? PERIOD - j : n - i;
		if (memcmp(p + i, pattern_tab + j, chunk)) {
			while (p[i] == pattern_tab[j])
				i++, j++;
			return i;
		}
		i += chunk;
	}
	return -1;
}

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok && check_quiet)
		return;
	printf("# %s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		nfail++;
}

static int io_uring_register_raw(int fd, unsigned int op, void *arg,
				 unsigned int nr)
{
	int ret = syscall(__NR_io_uring_register, fd, op, arg, nr);

	return ret < 0 ? -errno : ret;
}

/* Pages pinned by this process (VmPin of /proc/self/status), in kB */
static long vm_pin(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* VmPin once it is back at @want (teardown runs from a workqueue), or
 * after 5 s
 */
static long wait_pin(long want)
{
	long pin;
	int i;

	for (i = 0; i < 100; i++) {
		pin = vm_pin();
		if (pin == want)
			break;
		usleep(50000);
	}
	return pin;
}

/* ------------------------------------------------------------ netlink */

struct pools {
	int count;		/* zcrx pools of our device */
	uint64_t inflight;	/* their buffers in flight */
};

/* The page_pools carrying the IO_URING nest on our device */
static void zcrx_pools(struct pools *p)
{
	static struct netdev_pool_list pl;
	int i;

	memset(p, 0, sizeof(*p));
	if (netdev_pool_get(nl_fd, nl_fam, 0, &pl))
		error(1, 0, "page-pool-get dump failed");
	for (i = 0; i < pl.n; i++) {
		/* A pool outliving its device moves to loopback: count it */
		if (!pl.p[i].io_uring || (ifindex && pl.p[i].ifindex != ifindex))
			continue;
		p->count++;
		p->inflight += pl.p[i].inflight;
	}
}

/* The fuzzdel case's device is gone (fuzz_deleter_start()) */
static bool dev_gone(bool wait)
{
	if (!fuzz_device_gone(wait))
		return false;
	ifindex = 0;	/* queue-get and pool dumps have no device now */
	return true;
}

/* queue-get of our RX queue: does it report an IO_URING nest? */
static bool queue_has_zcrx(int queue)
{
	struct netdev_queue_info qi;

	if (netdev_queue_get(nl_fd, nl_fam, ifindex, queue,
			     NETDEV_QUEUE_TYPE_RX, &qi)) {
		/* fuzzdel: the device may go before its deleter exits */
		if (fuzz_deleter > 0 && dev_gone(true))
			return false;
		error(1, 0, "queue-get failed");
	}
	return qi.io_uring;
}

/*
 * Nothing of a zcrx left: no zcrx page_pool on the device, the queue
 * without IO_URING, VmPin back at @pin0. Teardown may be deferred (ring
 * exit runs from a workqueue): wait up to @secs.
 */
static bool nothing_left(long pin0, double secs, const char *what)
{
	double end = now() + secs;
	struct pools p;
	bool busy;
	long pin;

	for (;;) {
		zcrx_pools(&p);
		pin = vm_pin();
		busy = ifindex && queue_has_zcrx(cfg_queue);
		if ((!p.count && pin == pin0 && !busy) || now() > end)
			break;
		usleep(50000);
	}
	check(!p.count && pin == pin0 && !busy,
	      "%s: %d zcrx pools (%llu in flight), VmPin %ld kB (was %ld), queue %s",
	      what, p.count, (unsigned long long)p.inflight, pin, pin0,
	      busy ? "still zcrx" : "free");
	return !p.count && pin == pin0 && !busy;
}

/* ------------------------------------------------------------ zcrx */

struct zc {
	struct io_uring ring;
	bool ring_up;
	uint8_t *area;			/* what the CPU reads */
	size_t area_len;
	uint64_t token;
	uint32_t id;
	int dmabuf_fd, memfd;
	void *rq;			/* refill ring region */
	size_t rq_len;
	bool rq_user;
	uint32_t *rq_head, *rq_tail;
	struct io_uring_zcrx_rqe *rqes;
	uint32_t rq_entries, tail;
};

struct zc_opts {
	unsigned int area_len;		/* bytes */
	unsigned int rq_entries;
	unsigned int region_len;	/* bytes; 0: what the ring needs */
	unsigned int cq_entries;	/* 0: default */
	unsigned int ring_flags;
	bool dmabuf, rq_user, nodev;
	int queue;
};

static int ring_init(struct io_uring *ring, unsigned int flags,
		     unsigned int cq_entries)
{
	struct io_uring_params p = { .flags = flags };
	int ret;

	if (cq_entries) {
		p.flags |= IORING_SETUP_CQSIZE;
		p.cq_entries = cq_entries;
	}
	ret = io_uring_queue_init_params(cq_entries ? cq_entries : 64, ring,
					 &p);
	if (!ret && io_uring_ring_dontfork(ring))
		error(1, 0, "MADV_DONTFORK of the ring");
	return ret;
}

static size_t rq_size(unsigned int entries)
{
	/* offsets.rqes is at most the 128-byte header UAPI.md gives */
	return (128 + entries * sizeof(struct io_uring_zcrx_rqe) + PAGE_SZ - 1) &
	       ~(PAGE_SZ - 1);
}

/* Allocate the area and refill ring memory of @z as @o asks (no ring) */
static void zc_alloc(struct zc *z, const struct zc_opts *o)
{
	memset(z, 0, sizeof(*z));
	z->dmabuf_fd = -1;
	z->memfd = -1;
	z->area_len = o->area_len;
	if (o->dmabuf) {
		z->dmabuf_fd = make_udmabuf(z->area_len, &z->memfd);
		z->area = mmap(NULL, z->area_len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, z->memfd, 0);
	} else {
		z->area = mmap(NULL, z->area_len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (z->area == MAP_FAILED)
		error(1, errno, "mmap area");
	if (madvise(z->area, z->area_len, MADV_DONTFORK))
		error(1, errno, "MADV_DONTFORK of the area");
	z->rq_len = o->region_len ? o->region_len : rq_size(o->rq_entries);
	z->rq_user = o->rq_user;
	if (o->rq_user) {
		z->rq = mmap(NULL, z->rq_len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (z->rq == MAP_FAILED)
			error(1, errno, "mmap refill ring");
		if (madvise(z->rq, z->rq_len, MADV_DONTFORK))
			error(1, errno, "MADV_DONTFORK of the refill ring");
	}
}

/* Fill registration structs for @z as @o asks */
static void zc_fill(struct zc *z, const struct zc_opts *o,
		    struct io_uring_zcrx_ifq_reg *reg,
		    struct io_uring_zcrx_area_reg *area,
		    struct io_uring_region_desc *rd)
{
	memset(reg, 0, sizeof(*reg));
	memset(area, 0, sizeof(*area));
	memset(rd, 0, sizeof(*rd));
	if (o->dmabuf) {
		area->flags = IORING_ZCRX_AREA_DMABUF;
		area->dmabuf_fd = z->dmabuf_fd;
		area->addr = 0;
	} else {
		area->addr = (uintptr_t)z->area;
	}
	area->len = z->area_len;
	rd->size = z->rq_len;
	if (o->rq_user) {
		rd->flags = IORING_MEM_REGION_TYPE_USER;
		rd->user_addr = (uintptr_t)z->rq;
	}
	reg->if_idx = o->nodev ? 0 : ifindex;
	reg->if_rxq = o->nodev ? 0 : o->queue;
	reg->rq_entries = o->rq_entries;
	reg->flags = o->nodev ? ZCRX_REG_NODEV : 0;
	reg->area_ptr = (uintptr_t)area;
	reg->region_ptr = (uintptr_t)rd;
}

/* Map and note the refill ring and area token after a registration */
static void zc_setup_rq(struct zc *z, struct io_uring_zcrx_ifq_reg *reg,
			struct io_uring_zcrx_area_reg *area,
			struct io_uring_region_desc *rd)
{
	z->id = reg->zcrx_id;
	z->token = area->rq_area_token;
	z->rq_entries = reg->rq_entries;
	if (!z->rq_user) {
		z->rq = mmap(NULL, z->rq_len, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_POPULATE, z->ring.ring_fd,
			     rd->mmap_offset);
		if (z->rq == MAP_FAILED)
			error(1, errno, "mmap of the refill ring at 0x%llx",
			      (unsigned long long)rd->mmap_offset);
		if (madvise(z->rq, z->rq_len, MADV_DONTFORK))
			error(1, errno, "MADV_DONTFORK of the refill region");
	}
	z->rq_head = (void *)((char *)z->rq + reg->offsets.head);
	z->rq_tail = (void *)((char *)z->rq + reg->offsets.tail);
	z->rqes = (void *)((char *)z->rq + reg->offsets.rqes);
	z->tail = *z->rq_tail;
}

/* A ring and a zcrx as @o asks; return 0 or the registration's -errno */
static int zc_open(struct zc *z, const struct zc_opts *o)
{
	struct io_uring_zcrx_area_reg area;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_region_desc rd;
	int ret;

	zc_alloc(z, o);
	ret = ring_init(&z->ring, o->ring_flags ? o->ring_flags : RING_FLAGS,
			o->cq_entries);
	if (ret)
		error(1, -ret, "io_uring_queue_init");
	z->ring_up = true;
	zc_fill(z, o, &reg, &area, &rd);
	if (fail_nth)
		fail_nth_arm(fail_nth);
	ret = io_uring_register_raw(z->ring.ring_fd, IORING_REGISTER_ZCRX_IFQ,
				    &reg, 1);
	if (fail_nth)
		fail_nth_hit = fail_nth_disarm();
	if (ret)
		return ret;
	if (reg.rq_entries < o->rq_entries ||
	    (reg.rq_entries & (reg.rq_entries - 1)) ||
	    reg.offsets.rqes < 8 ||
	    reg.offsets.rqes + 16ULL * reg.rq_entries > z->rq_len ||
	    reg.offsets.head + 4 > reg.offsets.rqes ||
	    reg.offsets.tail + 4 > reg.offsets.rqes ||
	    (area.rq_area_token & ~IORING_ZCRX_AREA_MASK))
		error(1, 0, "registration outputs: entries %u head %u tail %u rqes %u token 0x%llx",
		      reg.rq_entries, reg.offsets.head, reg.offsets.tail,
		      reg.offsets.rqes,
		      (unsigned long long)area.rq_area_token);
	zc_setup_rq(z, &reg, &area, &rd);
	return 0;
}

static void zc_close(struct zc *z)
{
	if (z->ring_up)
		io_uring_queue_exit(&z->ring);
	z->ring_up = false;
	if (z->rq && (z->rq_user || z->rq_head))
		munmap(z->rq, z->rq_len);
	z->rq = NULL;
	if (z->area)
		munmap(z->area, z->area_len);
	z->area = NULL;
	if (z->dmabuf_fd >= 0)
		close(z->dmabuf_fd);
	if (z->memfd >= 0)
		close(z->memfd);
	z->dmabuf_fd = -1;
	z->memfd = -1;
}

/* Free entries of the refill ring */
static uint32_t rq_space(struct zc *z)
{
	return z->rq_entries -
	       (z->tail - __atomic_load_n(z->rq_head, __ATOMIC_ACQUIRE));
}

/* Queue one refill entry as given (the caller checked rq_space()) */
static void rq_put(struct zc *z, uint64_t off, uint32_t len, uint32_t pad)
{
	struct io_uring_zcrx_rqe *rqe = &z->rqes[z->tail & (z->rq_entries - 1)];

	rqe->off = off;
	rqe->len = len;
	rqe->__pad = pad;
	z->tail++;
}

static void rq_publish(struct zc *z)
{
	__atomic_store_n(z->rq_tail, z->tail, __ATOMIC_RELEASE);
}

/* Give the buffer at area offset @off (@len bytes) back */
static bool zc_return(struct zc *z, uint64_t off, uint32_t len)
{
	if (!rq_space(z))
		return false;
	rq_put(z, (off & ~IORING_ZCRX_AREA_MASK) | z->token, len, 0);
	rq_publish(z);
	return true;
}

/* ZCRX_CTRL_FLUSH_RQ: the kernel consumes the refill ring now */
static int zc_flush(struct zc *z)
{
	struct zcrx_ctrl ctrl = { .zcrx_id = z->id, .op = ZCRX_CTRL_FLUSH_RQ };

	return io_uring_register_raw(z->ring.ring_fd, IORING_REGISTER_ZCRX_CTRL,
				     &ctrl, 0);
}

/* ------------------------------------------------------------ streams */

struct stream {
	int fd;
	unsigned int seed;
	uint64_t want, got;
	uint64_t cqes, returned, enospc, rearms;
	bool armed, eof;
	int final;		/* res of the last final CQE */
	unsigned int hold;	/* keep the first @hold buffers */
	uint64_t held[64];
	uint32_t held_len[64];
	uint64_t held_soff[64];	/* their stream offsets */
	unsigned int nheld;
	/* Abuse the refill ring: with each return, entries that must be
	 * dropped: one naming a held buffer with __pad set, one with another
	 * area's token, one past the area, and the same buffer again.
	 */
	bool abuse;
	uint64_t flushes;	/* FLUSH_RQs because the ring was full */
	uint64_t max_out;	/* most CQEs not given back at once */
	bool bad;
};

/*
 * Return @off like zc_return(), wrapped in entries the kernel must drop
 * (see struct stream). The ring is flushed when it lacks room for all of
 * them, and one tail store publishes them together: with rq_entries at
 * most the kernel's refill batch, one refill consumes the duplicate with
 * the return, before the buffer can be posted again.
 */
static bool zc_return_abused(struct zc *z, struct stream *st, uint64_t off,
			     uint32_t len)
{
	uint64_t held = st->nheld ? st->held[st->cqes % st->nheld] : off;
	uint64_t other_area = z->token + (1ULL << IORING_ZCRX_AREA_SHIFT);

	if (rq_space(z) < 5) {
		if (zc_flush(z))
			return false;
		st->flushes++;
		if (rq_space(z) < 5)
			return false;
	}
	rq_put(z, held | z->token, PAGE_SZ, 1);
	rq_put(z, held | other_area, PAGE_SZ, 0);
	rq_put(z, z->area_len | z->token, PAGE_SZ, 0);
	rq_put(z, off | z->token, len, 0);
	rq_put(z, off | z->token, len, 0);
	rq_publish(z);
	return true;
}

static void arm(struct zc *z, struct stream *st, unsigned int len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&z->ring);

	if (!sqe)
		error(1, 0, "no SQE");
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, st->fd, NULL, len, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = z->id;
	io_uring_sqe_set_data(sqe, st);
	if (io_uring_submit(&z->ring) != 1)
		error(1, 0, "io_uring_submit");
	st->armed = true;
}

static void handle_cqe(struct zc *z, struct io_uring_cqe *cqe)
{
	struct stream *st = io_uring_cqe_get_data(cqe);
	const struct io_uring_zcrx_cqe *zcqe = (void *)cqe->big_cqe;
	uint64_t off = zcqe->off & ~IORING_ZCRX_AREA_MASK;
	const uint8_t *p;
	int i, n = cqe->res;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		st->armed = false;
		st->final = n < 0 ? n : 0;
		if (!n)
			st->eof = true;
	}
	if (n <= 0)
		return;
	st->cqes++;
	if (st->cqes - st->returned > st->max_out)
		st->max_out = st->cqes - st->returned;
	if ((zcqe->off & IORING_ZCRX_AREA_MASK) != z->token ||
	    off + n > z->area_len || zcqe->__pad || st->got + n > st->want) {
		printf("# bad CQE: res %d off 0x%llx pad 0x%llx at %llu of %llu\n",
		       n, (unsigned long long)zcqe->off,
		       (unsigned long long)zcqe->__pad,
		       (unsigned long long)st->got,
		       (unsigned long long)st->want);
		st->bad = true;
		return;
	}
	p = z->area + off;
	i = verify(st->seed, st->got, p, n);
	if (i >= 0) {
		printf("# mismatch at byte %llu: 0x%02x, want 0x%02x (area off %llu)\n",
		       (unsigned long long)st->got + i, p[i],
		       pattern_byte(st->seed, st->got + i),
		       (unsigned long long)off + i);
		st->bad = true;
	}
	if (st->nheld < st->hold) {
		st->held[st->nheld] = off;
		st->held_soff[st->nheld] = st->got;
		st->held_len[st->nheld++] = n;
		st->got += n;
		return;
	}
	st->got += n;
	if (!(st->abuse ? zc_return_abused(z, st, off, n) :
	      zc_return(z, off, n))) {
		printf("# refill ring full\n");
		st->bad = true;
		return;
	}
	st->returned++;
}

/* The held buffers still carry their bytes: none was handed out again */
static bool held_intact(struct stream *st, struct zc *z)
{
	unsigned int i;
	int bad;

	for (i = 0; i < st->nheld; i++) {
		bad = verify(st->seed, st->held_soff[i], z->area + st->held[i],
			     st->held_len[i]);
		if (bad >= 0) {
			printf("# held buffer at area off %llu changed at byte %d\n",
			       (unsigned long long)st->held[i], bad);
			return false;
		}
	}
	return true;
}

/* Give the held buffers back */
static bool return_held(struct stream *st, struct zc *z)
{
	unsigned int i;

	for (i = 0; i < st->nheld; i++)
		if (!zc_return(z, st->held[i], st->held_len[i]))
			return false;
	st->returned += st->nheld;
	st->nheld = 0;
	return true;
}

/* reap() under fault injection: a wait that fails is not the end */
static bool reap_soft;

/* Reap CQEs for up to @ms ms, or until @st is disarmed. Return CQEs seen. */
static int reap(struct zc *z, struct stream *st, int ms)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000,
					.tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int ret;

	ret = io_uring_wait_cqe_timeout(&z->ring, &cqe, &ts);
	if (ret == -ETIME || ret == -EINTR || (ret && reap_soft))
		return 0;
	if (ret)
		error(1, -ret, "io_uring_wait_cqe");
	io_uring_for_each_cqe(&z->ring, head, cqe) {
		handle_cqe(z, cqe);
		n++;
	}
	io_uring_cq_advance(&z->ring, n);
	(void)st;
	return n;
}

/* ------------------------------------------------------------ senders */

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd, one = 1;

	a.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		error(1, errno, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&a, sizeof(a)) || listen(fd, 4))
		error(1, errno, "bind/listen on port %d", port);
	return fd;
}

/* The sender marks the last byte of each write urgent (MSG_OOB). */
static bool send_urgent;
/* The receiver may close early (fuzz): the sender then exits quietly */
static bool sender_quiet;

/*
 * Fork a child into the peer namespace: the child's pid, or 0 in the child.
 * The child holds no ring, socket or dma-buf of the receiver (their
 * lifetime is what the cases test; the ring mappings are MADV_DONTFORK).
 */
static pid_t fork_to_peer(void)
{
	pid_t pid;
	int fd, ns;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		error(1, errno, "fork");
	if (pid)
		return pid;
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	ns = open(cfg_netns, O_RDONLY);
	if (ns < 0 || setns(ns, CLONE_NEWNET))
		error(1, errno, "setns %s", cfg_netns);
	close(ns);
	return 0;
}

/*
 * Fork a sender: into the peer namespace, connect to @port, send @len
 * bytes of the pattern of @seed in writes of @wsize, close.
 */
static pid_t sender(int port, uint64_t len, size_t wsize, unsigned int seed)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint64_t off = 0;
	uint8_t *buf;
	pid_t pid;
	size_t i;
	int fd;

	pid = fork_to_peer();
	if (pid)
		return pid;
	buf = malloc(wsize + PERIOD);
	if (!buf)
		error(1, errno, "malloc");
	for (i = 0; i < wsize + PERIOD; i++)
		buf[i] = pattern_byte(seed, i);
	a.sin_port = htons(port);
	inet_pton(AF_INET, cfg_addr, &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (void *)&a, sizeof(a)))
		error(1, errno, "connect to %s:%d", cfg_addr, port);
	while (off < len) {
		size_t n = wsize < len - off ? wsize : len - off;
		ssize_t w = send(fd, buf + off % PERIOD, n,
				 send_urgent ? MSG_OOB : 0);

		if (w <= 0 && sender_quiet)
			_exit(1);
		if (w <= 0)
			error(1, errno, "write at %llu", (unsigned long long)off);
		off += w;
	}
	close(fd);
	_exit(0);
}

static bool reap_child(pid_t pid, bool kill_it)
{
	int status;

	if (kill_it)
		kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

static int accept_one(int lfd)
{
	struct timeval tv = { .tv_sec = 30 };
	int fd;

	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		error(1, errno, "accept");
	return fd;
}

/* accept_one(), or -1 once the device is gone (the sender cannot come) */
static int accept_or_gone(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	double end = now() + 30;

	while (!dev_gone(false) && now() < end)
		if (poll(&p, 1, 200) > 0)
			return accept_one(lfd);
	if (dev_gone(false))
		return -1;
	return accept_one(lfd);
}

/*
 * Receive one stream of @len bytes on @z from a sender to @port in writes
 * of @wsize; re-arm on -ENOSPC. @delay_ms: sleep after arming once, with
 * the CQ not reaped (overflow case). *@out, if given, says which buffers
 * to hold and whether to abuse the refill ring, and gets the stream.
 * Return: true if every byte arrived right, the stream ended with EOF and
 * every buffer not held went back.
 */
static bool transfer(struct zc *z, int port, uint64_t len, size_t wsize,
		     unsigned int delay_ms, struct stream *out)
{
	double t_end = now() + 60;
	struct stream st = {};
	int lfd, ok;

	if (out) {
		st.hold = out->hold;
		st.abuse = out->abuse;
	}
	pid_t pid;

	lfd = listen_on(port);
	pid = sender(port, len, wsize, cfg_seed ^ (unsigned int)wsize);
	st.fd = accept_one(lfd);
	close(lfd);
	st.want = len;
	st.seed = (cfg_seed ^ (unsigned int)wsize) & 0xff;
	arm(z, &st, 0);
	if (delay_ms)
		usleep(delay_ms * 1000);
	while (!st.bad && now() < t_end) {
		reap(z, &st, 200);
		if (st.armed)
			continue;
		if (st.eof || st.final != -ENOSPC)
			break;
		st.enospc++;
		arm(z, &st, 0);
		st.rearms++;
	}
	ok = reap_child(pid, false);
	close(st.fd);
	if (out)
		*out = st;
	if (st.armed)
		printf("# still armed after 60 s\n");
	else if (!st.eof)
		printf("# final CQE %d (%s)\n", st.final, strerror(-st.final));
	printf("# %llu/%llu bytes in %llu CQEs, %llu returned, %llu ENOSPC\n",
	       (unsigned long long)st.got, (unsigned long long)st.want,
	       (unsigned long long)st.cqes, (unsigned long long)st.returned,
	       (unsigned long long)st.enospc);
	return ok && !st.bad && st.eof && st.got == len &&
	       st.returned + st.nheld == st.cqes;
}

static const char *errname(int e);

/* zc_open() that reports a failed registration as @what's failure */
static bool zc_open_checked(struct zc *z, const struct zc_opts *o,
			    const char *what)
{
	int ret = zc_open(z, o);

	check(!ret, "%s: %s", what, errname(ret));
	if (ret)
		zc_close(z);
	return !ret;
}

/* ------------------------------------------------------------ cases */

static const struct zc_opts default_opts = {
	.area_len = 4 << 20,
	.rq_entries = 2048,
};

static struct zc_opts opts_for(int queue)
{
	struct zc_opts o = default_opts;

	o.queue = queue;
	return o;
}

static void case_query(void)
{
	struct io_uring_query_zcrx qz;
	struct io_uring_query_opcode qo;
	struct io_uring_query_hdr h[2];
	struct zc_opts o = opts_for(0);
	struct zcrx_ctrl ctrl;
	struct zc z, z2;
	int ret, zfd;

	memset(h, 0, sizeof(h));
	memset(&qz, 0xa5, sizeof(qz));
	memset(&qo, 0, sizeof(qo));
	h[0].query_op = IO_URING_QUERY_ZCRX;
	h[0].query_data = (uintptr_t)&qz;
	h[0].size = sizeof(qz);
	h[0].next_entry = (uintptr_t)&h[1];
	h[1].query_op = IO_URING_QUERY_OPCODES;
	h[1].query_data = (uintptr_t)&qo;
	h[1].size = sizeof(qo);
	ret = io_uring_register_raw(-1, IORING_REGISTER_QUERY, h, 0);
	check(!ret && !h[0].result,
	      "QUERY with fd -1: %d, zcrx result %d", ret, h[0].result);
	/*
	 * UAPI.md: NODEV and dma-buf areas; IMPORT together with EXPORT
	 * (ctrl op 1), checked below against what the query says.
	 */
	check(qz.register_flags & ZCRX_REG_NODEV &&
	      !(qz.register_flags & ~(ZCRX_REG_IMPORT | ZCRX_REG_NODEV)) &&
	      qz.area_flags == IORING_ZCRX_AREA_DMABUF &&
	      qz.nr_ctrl_opcodes >= 1 && qz.nr_ctrl_opcodes <= 2 &&
	      !!(qz.register_flags & ZCRX_REG_IMPORT) ==
	      (qz.nr_ctrl_opcodes == 2) &&
	      qz.rq_hdr_size == 128 && qz.rq_hdr_alignment == 64,
	      "zcrx query: reg flags 0x%llx, area flags 0x%llx, %u ctrl ops, rq header %u bytes aligned %u",
	      (unsigned long long)qz.register_flags,
	      (unsigned long long)qz.area_flags, qz.nr_ctrl_opcodes,
	      qz.rq_hdr_size, qz.rq_hdr_alignment);
	if (qz.nr_ctrl_opcodes != 2)
		printf("# NOTE: no EXPORT/IMPORT (UAPI brief: both, 2 ctrl ops)\n");
	check(!h[1].result && qo.nr_request_opcodes > IORING_OP_RECV_ZC &&
	      qo.nr_register_opcodes > IORING_REGISTER_ZCRX_CTRL,
	      "opcodes query: result %d, %u request ops, %u register ops",
	      h[1].result, qo.nr_request_opcodes, qo.nr_register_opcodes);
	h[0].next_entry = 0;
	h[0].query_op = 1000;
	ret = io_uring_register_raw(-1, IORING_REGISTER_QUERY, h, 0);
	check(!ret && h[0].result == -EOPNOTSUPP,
	      "QUERY of an unknown op: %d, result %d (want -EOPNOTSUPP)", ret,
	      h[0].result);
	ret = io_uring_register_raw(-1, IORING_REGISTER_QUERY, h, 1);
	check(ret == -EINVAL, "QUERY with nr_args 1: %d (want -EINVAL)", ret);

	/* ZCRX_CTRL on a NODEV zcrx */
	o.nodev = true;
	ret = zc_open(&z, &o);
	check(!ret, "NODEV registration: %d", ret);
	if (ret) {
		zc_close(&z);
		return;
	}
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.zcrx_id = z.id;
	ctrl.op = ZCRX_CTRL_FLUSH_RQ;
	ret = io_uring_register_raw(z.ring.ring_fd, IORING_REGISTER_ZCRX_CTRL,
				    &ctrl, 0);
	check(!ret, "ZCRX_CTRL FLUSH_RQ: %d", ret);
	ret = io_uring_register_raw(z.ring.ring_fd, IORING_REGISTER_ZCRX_CTRL,
				    &ctrl, 1);
	check(ret == -EINVAL, "ZCRX_CTRL with nr_args 1: %d (want -EINVAL)",
	      ret);
	ctrl.op = 2;
	ret = io_uring_register_raw(z.ring.ring_fd, IORING_REGISTER_ZCRX_CTRL,
				    &ctrl, 0);
	check(ret == -EINVAL, "ZCRX_CTRL op 2: %d (want -EINVAL)", ret);
	ctrl.op = ZCRX_CTRL_FLUSH_RQ;
	ctrl.__resv[1] = 1;
	ret = io_uring_register_raw(z.ring.ring_fd, IORING_REGISTER_ZCRX_CTRL,
				    &ctrl, 0);
	check(ret == -EINVAL, "ZCRX_CTRL with __resv set: %d (want -EINVAL)",
	      ret);
	ctrl.__resv[1] = 0;
	ctrl.zcrx_id = z.id + 1;
	ret = io_uring_register_raw(z.ring.ring_fd, IORING_REGISTER_ZCRX_CTRL,
				    &ctrl, 0);
	check(ret < 0, "ZCRX_CTRL of an unknown zcrx id: %d (%s)", ret,
	      strerror(-ret));

	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.zcrx_id = z.id;
	ctrl.op = ZCRX_CTRL_EXPORT;
	ret = io_uring_register_raw(z.ring.ring_fd, IORING_REGISTER_ZCRX_CTRL,
				    &ctrl, 0);
	if (qz.nr_ctrl_opcodes < 2) {
		struct io_uring_zcrx_ifq_reg reg = { .flags = ZCRX_REG_IMPORT };

		check(ret == -EOPNOTSUPP || ret == -EINVAL,
		      "ZCRX_CTRL EXPORT, not advertised: %s", errname(ret));
		ret = io_uring_register_raw(z.ring.ring_fd,
					    IORING_REGISTER_ZCRX_IFQ, &reg, 1);
		check(ret == -EINVAL || ret == -EFAULT,
		      "ZCRX_REG_IMPORT, not advertised: %s", errname(ret));
		zc_close(&z);
		nothing_left(pin_base, 10, "NODEV zcrx closed");
		return;
	}
	zfd = ret ? -1 : (int)ctrl.zc_export.zcrx_fd;
	check(!ret && zfd >= 0 && fcntl(zfd, F_GETFD) >= 0,
	      "ZCRX_CTRL EXPORT: %d, fd %d", ret, zfd);
	if (zfd >= 0) {
		struct io_uring_zcrx_ifq_reg reg = {};

		if (ring_init(&z2.ring, RING_FLAGS, 0))
			error(1, 0, "ring");
		reg.flags = ZCRX_REG_IMPORT;
		reg.if_idx = zfd;
		ret = io_uring_register_raw(z2.ring.ring_fd,
					    IORING_REGISTER_ZCRX_IFQ, &reg, 1);
		check(!ret, "IMPORT of the exported zcrx into another ring: %d, id %u",
		      ret, reg.zcrx_id);
		io_uring_queue_exit(&z2.ring);
		close(zfd);
	}
	zc_close(&z);
	nothing_left(pin_base, 10, "NODEV zcrx closed");
}

static const char *errname(int e)
{
	static char buf[32];

	switch (-e) {
	case 0:
		return "0";
	case EINVAL:
		return "-EINVAL";
	case EFAULT:
		return "-EFAULT";
	case ENODEV:
		return "-ENODEV";
	case ERANGE:
		return "-ERANGE";
	case EEXIST:
		return "-EEXIST";
	case EPERM:
		return "-EPERM";
	case EBUSY:
		return "-EBUSY";
	case ENOTSOCK:
		return "-ENOTSOCK";
	case EPROTONOSUPPORT:
		return "-EPROTONOSUPPORT";
	case EOPNOTSUPP:
		return "-EOPNOTSUPP";
	case ENOSPC:
		return "-ENOSPC";
	}
	snprintf(buf, sizeof(buf), "%d", e);
	return buf;
}

enum mut {
	M_NO_REGION, M_RESV0, M_RESV1, M_RESV2, M_ZCRX_ID, M_AREA_RESV0,
	M_AREA_RESV1, M_REGION_RESV0, M_REGION_RESV3, M_RXQ_NONE,
	M_RQ_ZERO, M_RQ_HUGE, M_FLAGS, M_AREA_FLAGS, M_ADDR_ALIGN,
	M_LEN_ALIGN, M_LEN_ZERO, M_LEN_HUGE, M_TOKEN, M_REGION_SMALL, M_REGION_FLAGS,
	M_IFINDEX, M_QUEUE, M_QUEUE_HUGE, M_NR_ARGS, M_ORDER_REGION, M_MAX,
};

static const struct {
	const char *what;
	int err, alt;
} muts[M_MAX] = {
	[M_NO_REGION]	 = { "region_ptr NULL", -EFAULT },
	[M_RESV0]	 = { "ifq_reg.__resv[0] set", -EINVAL },
	[M_RESV1]	 = { "ifq_reg.__resv[1] set", -EINVAL },
	[M_RESV2]	 = { "ifq_reg.__resv[2] set", -EINVAL },
	[M_ZCRX_ID]	 = { "zcrx_id set on input", -EINVAL },
	[M_AREA_RESV0]	 = { "area.__resv2[0] set", -EINVAL },
	[M_AREA_RESV1]	 = { "area.__resv2[1] set", -EINVAL },
	[M_REGION_RESV0] = { "region.__resv[0] set", -EINVAL },
	[M_REGION_RESV3] = { "region.__resv[3] set", -EINVAL },
	[M_RXQ_NONE]	 = { "if_rxq -1", -EINVAL },
	[M_RQ_ZERO]	 = { "rq_entries 0", -EINVAL },
	[M_RQ_HUGE]	 = { "rq_entries 65536 without CLAMP", -EINVAL },
	[M_FLAGS]	 = { "unknown ifq_reg flag 0x80", -EINVAL },
	[M_AREA_FLAGS]	 = { "unknown area flag 0x80", -EINVAL },
	[M_ADDR_ALIGN]	 = { "area addr not page aligned", -EINVAL },
	[M_LEN_ALIGN]	 = { "area len not page aligned", -EINVAL },
	[M_LEN_ZERO]	 = { "area len 0", -EFAULT },
	[M_LEN_HUGE]	 = { "area len 1 GiB + 4 KiB", -EFAULT },
	[M_TOKEN]	 = { "rq_area_token set on input", -EINVAL },
	[M_REGION_SMALL] = { "region smaller than the ring", -EINVAL },
	[M_REGION_FLAGS] = { "unknown region flag 0x80", -EINVAL },
	[M_IFINDEX]	 = { "unknown ifindex", -ENODEV },
	[M_QUEUE]	 = { "queue index = number of queues", -EINVAL, -ERANGE },
	[M_QUEUE_HUGE]	 = { "queue index 65535", -EINVAL, -ERANGE },
	[M_NR_ARGS]	 = { "nr_args 2", -EINVAL },
	/* UAPI.md's order: the region (step 5) before the device (6) */
	[M_ORDER_REGION] = { "region too small and an unknown ifindex", -EINVAL },
};

/* Register with one thing wrong: the expected errno, nothing left behind */
static void try_mutation(enum mut m, int nqueues, long pin0)
{
	struct zc_opts o = opts_for(cfg_queue);
	struct io_uring_zcrx_area_reg area;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_region_desc rd;
	unsigned int nr = 1;
	struct zc z;
	int ret;

	o.rq_user = m == M_REGION_SMALL || m == M_REGION_RESV3 ||
		    m == M_ORDER_REGION;
	o.area_len = 64 << 10;	/* pinning costs time under emulation */
	zc_alloc(&z, &o);
	if (ring_init(&z.ring, RING_FLAGS, 0))
		error(1, 0, "ring");
	z.ring_up = true;
	zc_fill(&z, &o, &reg, &area, &rd);
	switch (m) {
	case M_NO_REGION:
		reg.region_ptr = 0;
		break;
	case M_RESV0:
		reg.__resv[0] = 1;
		break;
	case M_RESV1:
		reg.__resv[1] = 1;
		break;
	case M_RESV2:
		reg.__resv[2] = 1;
		break;
	case M_ZCRX_ID:
		reg.zcrx_id = 1;
		break;
	case M_AREA_RESV0:
		area.__resv2[0] = 1;
		break;
	case M_AREA_RESV1:
		area.__resv2[1] = 1;
		break;
	case M_REGION_RESV0:
		rd.__resv[0] = 1;
		break;
	case M_REGION_RESV3:
		rd.__resv[3] = 1;
		break;
	case M_RXQ_NONE:
		reg.if_rxq = -1;
		break;
	case M_RQ_ZERO:
		reg.rq_entries = 0;
		break;
	case M_RQ_HUGE:
		reg.rq_entries = 65536;
		break;
	case M_FLAGS:
		reg.flags = 0x80;
		break;
	case M_AREA_FLAGS:
		area.flags = 0x80;
		break;
	case M_ADDR_ALIGN:
		area.addr += 64;
		area.len -= PAGE_SZ;
		break;
	case M_LEN_ALIGN:
		area.len -= 64;
		break;
	case M_LEN_ZERO:
		area.len = 0;
		break;
	case M_LEN_HUGE:
		/* Past the cap, checked before any memory is looked at */
		area.len = (1ULL << 30) + PAGE_SZ;
		break;
	case M_TOKEN:
		area.rq_area_token = 1ULL << IORING_ZCRX_AREA_SHIFT;
		break;
	case M_REGION_SMALL:
		rd.size = PAGE_SZ;
		break;
	case M_REGION_FLAGS:
		rd.flags = 0x80;
		break;
	case M_IFINDEX:
		reg.if_idx = 0x7fff0000;
		break;
	case M_QUEUE:
		reg.if_rxq = nqueues;
		break;
	case M_QUEUE_HUGE:
		reg.if_rxq = 65535;
		break;
	case M_NR_ARGS:
		nr = 2;
		break;
	case M_ORDER_REGION:
		rd.size = PAGE_SZ;
		reg.if_idx = 0x7fff0000;
		break;
	default:
		break;
	}
	ret = io_uring_register_raw(z.ring.ring_fd, IORING_REGISTER_ZCRX_IFQ,
				    &reg, nr);
	check(ret == muts[m].err || (muts[m].alt && ret == muts[m].alt),
	      "%s: %s", muts[m].what, errname(ret));
	if (!ret) {
		/* registered by mistake: leave the queue free */
		z.rq_head = (void *)1;
	}
	zc_close(&z);
	if (ret) {
		long pin = wait_pin(pin0);

		check(pin == pin0, "%s: VmPin %ld kB, was %ld", muts[m].what,
		      pin, pin0);
	}
}

/* A ring set up with @flags: registration fails with @err, nothing leaks */
static void try_ring_flags(unsigned int flags, const char *what, int err)
{
	struct zc_opts o = opts_for(cfg_queue);
	struct zc z;
	int ret;

	o.ring_flags = flags;
	ret = zc_open(&z, &o);
	check(ret == err, "ring %s: %s", what, errname(ret));
	if (!ret)
		z.rq_head = (void *)1;
	zc_close(&z);
}

/* RECV_ZC on @fd with zcrx id @id: the CQE's result */
static int recv_zc_res(struct zc *z, int fd, uint32_t id)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int res;

	sqe = io_uring_get_sqe(&z->ring);
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, 0, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = id;
	io_uring_submit(&z->ring);
	if (io_uring_wait_cqe(&z->ring, &cqe))
		error(1, 0, "wait cqe");
	res = cqe->res;
	if (cqe->flags & IORING_CQE_F_MORE)
		res = INT_MIN;
	io_uring_cqe_seen(&z->ring, cqe);
	return res;
}

/* devmem bind-rx of a udmabuf to our queue: the binding id or -errno.
 * The binding lives as long as *@nl, which the caller closes.
 */
static int devmem_bind(int *nl)
{
	struct netdev_bind_q q = { cfg_queue, NETDEV_QUEUE_TYPE_RX };
	int memfd, dmabuf, ret;

	dmabuf = make_udmabuf(256 << 10, &memfd);
	*nl = nl_open();
	ret = netdev_bind_rx(*nl, nl_fam, ifindex, dmabuf, &q, 1);
	/* A binding holds its own reference on the dma-buf */
	close(dmabuf);
	close(memfd);
	return ret;
}

/* The queue holds a zcrx: a devmem binding of it is -EEXIST, and the
 * zcrx stays bound.
 */
static void cross_bind_zcrx_held(void)
{
	int nl, ret;

	ret = devmem_bind(&nl);
	check(ret == -EEXIST, "devmem bind-rx of the zcrx queue: %s",
	      errname(ret));
	close(nl);
	check(queue_has_zcrx(cfg_queue), "queue %d still has its zcrx",
	      cfg_queue);
}

/* The queue holds a devmem binding: a zcrx on it is -EEXIST; once the
 * netlink socket closes (unbind), the zcrx registers.
 */
static void cross_bind_devmem_held(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	struct netdev_queue_info qi;
	int nl, id, ret;
	struct zc z;

	id = devmem_bind(&nl);
	check(id > 0, "devmem bind-rx of queue %d: %s", cfg_queue,
	      errname(id > 0 ? 0 : id));
	ret = netdev_queue_get(nl_fd, nl_fam, ifindex, cfg_queue,
			       NETDEV_QUEUE_TYPE_RX, &qi);
	check(!ret && qi.dmabuf == id && !qi.io_uring,
	      "queue-get: DMABUF %ld, no IO_URING", qi.dmabuf);
	ret = zc_open(&z, &o);
	check(ret == -EEXIST, "zcrx on the devmem queue: %s", errname(ret));
	if (!ret)
		z.rq_head = (void *)1;
	zc_close(&z);
	close(nl);
	ret = zc_open(&z, &o);
	check(!ret, "zcrx after the devmem unbind: %s", errname(ret));
	if (!ret)
		check(queue_has_zcrx(cfg_queue), "queue %d has the zcrx",
		      cfg_queue);
	zc_close(&z);
}

static void case_errors(int nqueues)
{
	struct zc_opts o = opts_for(cfg_queue);
	long pin0 = pin_base;
	struct zc z, z2;
	int ret, fd, i;
	pid_t pid;

	printf("# VmPin before: %ld kB\n", pin0);
	for (i = 0; i < M_MAX; i++)
		try_mutation(i, nqueues, pin0);

	try_ring_flags(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32,
		       "without DEFER_TASKRUN", -EINVAL);
	try_ring_flags(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
		       "without CQE32", -EINVAL);
	try_ring_flags(IORING_SETUP_CQE32, "with CQE32 only", -EINVAL);

	/* no CAP_NET_ADMIN: a child drops it from its effective set */
	fflush(stdout);
	pid = fork();
	if (!pid) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct d[2];

		if (syscall(SYS_capget, &h, d))
			_exit(10);
		d[CAP_NET_ADMIN / 32].effective &= ~(1U << (CAP_NET_ADMIN % 32));
		if (syscall(SYS_capset, &h, d))
			_exit(11);
		ret = zc_open(&z, &o);
		if (!ret)
			z.rq_head = (void *)1;
		zc_close(&z);
		_exit(ret == -EPERM ? 0 : 1);
	}
	check(reap_child(pid, false), "without CAP_NET_ADMIN: -EPERM");

	/* header split off: the queue cannot take a zcrx */
	if (cfg_hds_off && cfg_hds_on) {
		if (system(cfg_hds_off))
			error(1, 0, "%s", cfg_hds_off);
		ret = zc_open(&z, &o);
		check(ret == -EINVAL, "header split off: %s", errname(ret));
		if (!ret)
			z.rq_head = (void *)1;
		zc_close(&z);
		if (system(cfg_hds_on))
			error(1, 0, "%s", cfg_hds_on);
	}
	nothing_left(pin0, 5, "after the failed registrations");

	/* a second binding of a busy queue */
	ret = zc_open(&z, &o);
	check(!ret, "registration on queue %d: %d", cfg_queue, ret);
	if (!ret) {
		struct pools p;

		zcrx_pools(&p);
		check(p.count >= 1 && queue_has_zcrx(cfg_queue),
		      "page-pool-get: %d pools with IO_URING; queue-get: IO_URING on queue %d",
		      p.count, cfg_queue);
		ret = zc_open(&z2, &o);
		check(ret == -EEXIST,
		      "second registration on the bound queue: %s", errname(ret));
		if (!ret)
			z2.rq_head = (void *)1;
		zc_close(&z2);
		cross_bind_zcrx_held();

		/* RECV_ZC errors */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ret = recv_zc_res(&z, fd, z.id + 1);
		check(ret == -EINVAL, "RECV_ZC with an unknown zcrx id: %s",
		      errname(ret));
		close(fd);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		ret = recv_zc_res(&z, fd, z.id);
		check(ret == -EPROTONOSUPPORT, "RECV_ZC on a UDP socket: %s",
		      errname(ret));
		close(fd);
		fd = open("/proc/self/status", O_RDONLY);
		ret = recv_zc_res(&z, fd, z.id);
		check(ret == -ENOTSOCK, "RECV_ZC on a file: %s", errname(ret));
		close(fd);
	}
	zc_close(&z);
	nothing_left(pin0, 10, "after closing the ring");
	cross_bind_devmem_held();
	nothing_left(pin0, 10, "after the zcrx that followed devmem");
}

/* Several write sizes over one registration, @per bytes each */
/* io_uring mappings (ring, SQEs, refill region) a child forked now has */
static int ring_maps_in_child(void)
{
	char line[512];
	int status, n = 0;
	FILE *f;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		f = fopen("/proc/self/maps", "r");
		if (!f)
			_exit(255);
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "[io_uring]")) {
				printf("# child maps %s", line);
				n++;
			}
		fflush(stdout);
		_exit(n);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void case_rx(const char *name, struct zc_opts *o, int port,
		    uint64_t total)
{
	static const size_t wsizes[] = { 65536, 9973, 1448, 4096 };
	long pin0 = pin_base;
	uint64_t per = total / 4;
	struct zc z;
	unsigned int i;
	int ret;

	ret = zc_open(&z, o);
	check(!ret, "%s: registration: %s", name, errname(ret));
	if (ret) {
		zc_close(&z);
		return;
	}
	printf("# %s: zcrx id %u, token 0x%llx, %u refill entries, VmPin %ld kB\n",
	       name, z.id, (unsigned long long)z.token, z.rq_entries, vm_pin());
	ret = ring_maps_in_child();
	check(!ret, "%s: a child forked now maps none of the ring (MADV_DONTFORK): %d",
	      name, ret);
	for (i = 0; i < 4; i++) {
		double t0 = now();
		bool ok = transfer(&z, port, per + i * 4099, wsizes[i], 0, NULL);

		check(ok, "%s: %llu bytes in writes of %zu, %.1f s", name,
		      (unsigned long long)per + i * 4099, wsizes[i],
		      now() - t0);
	}
	zc_close(&z);
	nothing_left(pin0, 10, name);
}

/* Urgent bytes on the bound queue sit in the area, where the kernel must
 * not read them (tcp_urg() hit BUG() on them): they come in band, the
 * stream intact, and MSG_OOB has nothing to give.
 */
static void case_urgent(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	long pin0 = pin_base;
	struct zc z;
	bool ok;
	int ret;

	ret = zc_open(&z, &o);
	check(!ret, "urgent: registration: %s", errname(ret));
	if (!ret) {
		send_urgent = true;
		ok = transfer(&z, cfg_port, 256 << 10, 9973, 0, NULL);
		send_urgent = false;
		check(ok, "urgent: 256 KiB, each write MSG_OOB: all in band");
	}
	zc_close(&z);
	nothing_left(pin0, 10, "urgent");
}

/* A dma-buf area cannot take copies: a flow on another queue gets EFAULT */
static void case_dmabuf_efault(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	struct stream st = {};
	struct zc z;
	int ret;

	o.dmabuf = true;
	ret = zc_open(&z, &o);
	if (ret) {
		check(false, "dma-buf registration: %s", errname(ret));
		zc_close(&z);
		return;
	}
	transfer(&z, cfg_fb_port, 64 << 10, 65536, 0, &st);
	check(st.final == -EFAULT && !st.got,
	      "dma-buf area, flow on another queue: final CQE %s after %llu bytes",
	      errname(st.final), (unsigned long long)st.got);
	zc_close(&z);
}

/*
 * CQEs of other requests wait in the kernel's overflow list (6 NOPs on a CQ
 * of 4, the ring reaped without entering the kernel) when a receive is
 * armed: it must move them into the ring first and post its data behind
 * them, not end at once with -ENOSPC and nothing received.
 */
static bool overflow_backlog(struct zc *z, int port)
{
	unsigned int head, i, n, nops = 0, before_final = 0;
	double t_end = now() + 30;
	struct io_uring_cqe *cqe;
	struct stream st = {};
	bool ended = false;
	int lfd, inq = 0;
	pid_t pid;

	lfd = listen_on(port);
	pid = sender(port, 64 << 10, 65536, cfg_seed ^ 65536u);
	st.fd = accept_one(lfd);
	close(lfd);
	st.want = 64 << 10;
	st.seed = (cfg_seed ^ 65536u) & 0xff;
	/* Data queued first (the window may hold back the rest): the
	 * receive posts as soon as it is issued.
	 */
	while (inq < (16 << 10) && now() < t_end - 20) {
		if (ioctl(st.fd, SIOCINQ, &inq))
			error(1, errno, "SIOCINQ");
		usleep(10000);
	}
	for (i = 0; i < 6; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&z->ring);

		if (!sqe) {
			io_uring_submit(&z->ring);
			sqe = io_uring_get_sqe(&z->ring);
		}
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data(sqe, NULL);
	}
	io_uring_submit(&z->ring);
	n = 0;
	io_uring_for_each_cqe(&z->ring, head, cqe)
		n++;
	io_uring_cq_advance(&z->ring, n);
	nops = n;
	arm(z, &st, 0);
	while (!ended && now() < t_end) {
		struct __kernel_timespec ts = { .tv_nsec = 200000000 };

		if (io_uring_wait_cqe_timeout(&z->ring, &cqe, &ts))
			continue;
		n = 0;
		io_uring_for_each_cqe(&z->ring, head, cqe) {
			n++;
			if (!io_uring_cqe_get_data(cqe)) {
				nops++;
				continue;
			}
			if (!ended && cqe->res > 0)
				before_final++;
			ended |= !(cqe->flags & IORING_CQE_F_MORE);
			handle_cqe(z, cqe);
		}
		io_uring_cq_advance(&z->ring, n);
	}
	reap_child(pid, true);
	close(st.fd);
	printf("# overflow backlog: %d bytes queued, %u NOPs, %u data CQEs, final %d%s\n",
	       inq, nops, before_final, st.final, ended ? "" : " (none)");
	return ended && nops == 6 && before_final > 0 && !st.bad;
}

static void case_overflow(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	long pin0 = pin_base;
	struct stream st = {};
	struct zc z;
	bool ok;

	o.cq_entries = 4;
	if (!zc_open_checked(&z, &o, "registration with a CQ of 4"))
		return;
	ok = transfer(&z, cfg_port, 512 << 10, 65536, 1000, &st);
	check(ok && st.enospc > 0,
	      "CQ overflow: %llu final -ENOSPC CQEs, re-armed, %llu bytes, none lost",
	      (unsigned long long)st.enospc, (unsigned long long)st.got);
	check(overflow_backlog(&z, cfg_port),
	      "CQEs of other requests in the overflow list: a receive armed then posts data behind them");
	zc_close(&z);
	nothing_left(pin0, 10, "overflow");
}

/*
 * Start a stream, receive at least @min bytes holding 16 buffers, then
 * return with the stream running. The caller tears down.
 */
static bool midstream(struct zc *z, int port, struct stream *st, pid_t *pid,
		      uint64_t min)
{
	double t_end = now() + 30;
	int lfd;

	memset(st, 0, sizeof(*st));
	lfd = listen_on(port);
	*pid = sender(port, 64 << 20, 65536, cfg_seed ^ 65536);
	st->fd = accept_one(lfd);
	close(lfd);
	st->want = 64 << 20;
	st->seed = (cfg_seed ^ 65536) & 0xff;
	st->hold = 16;
	arm(z, st, 0);
	while (st->got < min && st->armed && !st->bad && now() < t_end)
		reap(z, st, 200);
	printf("# mid-stream: %llu bytes, %u buffers held\n",
	       (unsigned long long)st->got, st->nheld);
	return st->got >= min && !st->bad;
}

/*
 * The refill ring under abuse (see struct stream): four buffers held all
 * along must come out untouched, every byte right, nothing left behind.
 * First a NODEV zcrx with an area of 16 buffers and the CQ not reaped for
 * a second: the area runs out before the CQ does (-ENOSPC), a re-arm
 * continues; every buffer goes through the free list the returns feed.
 * Then the bound queue: the buffers are the page_pool's, so a return the
 * kernel took twice would drop a pool reference it does not own.
 */
static void case_refill(void)
{
	static const struct {
		const char *what;
		bool nodev;
		unsigned int area_len, delay_ms, len;
	} runs[] = {
		{ "copies into 16 buffers", true, 64 << 10, 1000, 256 << 10 },
		{ "zero copy on the bound queue", false, 4 << 20, 0, 512 << 10 },
	};
	struct zc_opts o = opts_for(cfg_queue);
	long pin0 = pin_base;
	unsigned int i;
	struct zc z;
	bool ok;
	int ret;

	for (i = 0; i < 2; i++) {
		struct stream st = { .hold = 4, .abuse = true };

		o.nodev = runs[i].nodev;
		o.area_len = runs[i].area_len;
		o.rq_entries = 128;	/* no more than one refill batch */
		ret = zc_open(&z, &o);
		check(!ret, "%s: registration: %s", runs[i].what, errname(ret));
		if (ret) {
			zc_close(&z);
			continue;
		}
		ok = transfer(&z, cfg_port, runs[i].len, 65536,
			      runs[i].delay_ms, &st);
		check(ok,
		      "%s: %u bytes right, each return wrapped in 4 entries to drop (%llu FLUSH_RQ)",
		      runs[i].what, runs[i].len,
		      (unsigned long long)st.flushes);
		/* At most 16 CQEs wait in a CQ of 128: -ENOSPC is the area's */
		if (runs[i].nodev)
			check(st.enospc && st.max_out <= 16,
			      "%s: the area ran dry, -ENOSPC and a re-arm %llu times; at most %llu completions held at once",
			      runs[i].what, (unsigned long long)st.rearms,
			      (unsigned long long)st.max_out);
		check(st.nheld == 4 && held_intact(&st, &z),
		      "%s: the 4 held buffers kept their bytes", runs[i].what);
		check(return_held(&st, &z) && !zc_flush(&z),
		      "%s: held buffers returned", runs[i].what);
		zc_close(&z);
		nothing_left(pin0, 10, runs[i].what);
	}
}

static void case_close(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	long pin0 = pin_base;
	struct stream st;
	struct zc z;
	pid_t pid;
	bool ok;
	int ret;

	if (!zc_open_checked(&z, &o, "registration"))
		return;
	ok = midstream(&z, cfg_port, &st, &pid, 256 << 10);
	check(ok, "256 KiB received and checked, 16 buffers held");
	/* the ring goes with buffers held and the multishot armed */
	io_uring_queue_exit(&z.ring);
	z.ring_up = false;
	close(st.fd);
	reap_child(pid, true);
	zc_close(&z);
	nothing_left(pin0, 10, "ring closed mid-stream");

	ret = zc_open(&z, &o);
	check(!ret, "registration again on queue %d after the close: %s",
	      cfg_queue, errname(ret));
	if (!ret)
		check(transfer(&z, cfg_port, 512 << 10, 65536, 0, NULL),
		      "512 KiB through the new registration");
	zc_close(&z);
	nothing_left(pin0, 10, "second registration closed");
}

/* What a fail-nth loop saw: faults injected and the results they gave */
struct fn_tally {
	const char *what;
	unsigned int injected, ok_anyway, enomem, efault, other;
};

/* Count @ret of a call whose fault was injected; false if unexpected */
static bool fn_count(struct fn_tally *t, unsigned int n, int ret)
{
	t->injected++;
	if (!ret)
		t->ok_anyway++;
	else if (ret == -ENOMEM)
		t->enomem++;
	else if (ret == -EFAULT)
		t->efault++;
	else if (t->other++ < 5)
		check(false, "%s, fault %u: %s", t->what, n, errname(ret));
	return ret == 0 || ret == -ENOMEM || ret == -EFAULT;
}

/* The call without a fault (@ret) worked, and faults were injected */
static void fn_report(struct fn_tally *t, int ret)
{
	printf("# %s: %u faults injected: %u -ENOMEM, %u -EFAULT, %u done anyway, %u other\n",
	       t->what, t->injected, t->enomem, t->efault, t->ok_anyway,
	       t->other);
	check(!fail_nth_hit && !ret && t->injected > 0 && !t->other,
	      "%s: works without a fault after %u: %s", t->what, t->injected,
	      errname(ret));
}

/* Is the quiet check of nothing_left() clean? Report it if not. */
static bool fn_clean(const char *what, unsigned int n)
{
	bool clean;

	check_quiet = true;
	clean = nothing_left(pin_base, 10, what);
	check_quiet = false;
	if (!clean)
		check(false, "%s, fault %u: something left behind", what, n);
	return clean;
}

/* Registrations with the n-th fault site failing, n = 1, 2, ... */
static void fail_nth_loop(const char *what, struct zc_opts *o, bool receive)
{
	struct fn_tally t = { .what = what };
	unsigned int n;
	int ret = 0;
	struct zc z;

	for (n = 1; n <= 2000; n++) {
		fail_nth = n;
		ret = zc_open(&z, o);
		fail_nth = 0;
		if (!fail_nth_hit)
			break;
		fn_count(&t, n, ret);
		zc_close(&z);
		if (!fn_clean(what, n))
			return;
	}
	fn_report(&t, ret);
	if (!ret && receive)
		check(transfer(&z, cfg_port, 256 << 10, 65536, 0, NULL),
		      "%s: 256 KiB through the last registration", what);
	zc_close(&z);
	nothing_left(pin_base, 10, what);
}

static int count_fds(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		error(1, errno, "/proc/self/fd");
	while ((d = readdir(dir)))
		n++;
	closedir(dir);
	return n;
}

/*
 * ZCRX_CTRL_EXPORT, then ZCRX_REG_IMPORT of its fd into a new ring, each
 * with the n-th fault site failing: no fd and no reference on the zcrx
 * left by a failure (the pinned area goes with the last user), and the
 * import that worked can flush the refill ring.
 */
static void fail_nth_export(void)
{
	struct fn_tally te = { .what = "EXPORT" }, ti = { .what = "IMPORT" };
	struct zc_opts o = opts_for(cfg_queue);
	struct io_uring_zcrx_ifq_reg reg;
	struct zcrx_ctrl ctrl;
	struct io_uring ring2;
	int ret = 0, fds0, zfd;
	unsigned int n;
	struct zc z;

	o.nodev = true;
	if (!zc_open_checked(&z, &o, "EXPORT: NODEV registration"))
		return;
	fds0 = count_fds();
	for (n = 1; n <= 2000; n++) {
		memset(&ctrl, 0, sizeof(ctrl));
		ctrl.zcrx_id = z.id;
		ctrl.op = ZCRX_CTRL_EXPORT;
		fail_nth_arm(n);
		ret = io_uring_register_raw(z.ring.ring_fd,
					    IORING_REGISTER_ZCRX_CTRL, &ctrl, 0);
		fail_nth_hit = fail_nth_disarm();
		if (!fail_nth_hit)
			break;
		fn_count(&te, n, ret);
		if (!ret)
			close(ctrl.zc_export.zcrx_fd);
		if (count_fds() != fds0) {
			check(false, "EXPORT, fault %u: %d fds, was %d", n,
			      count_fds(), fds0);
			break;
		}
	}
	fn_report(&te, ret);
	zfd = ret ? -1 : (int)ctrl.zc_export.zcrx_fd;
	for (n = 1; zfd >= 0 && n <= 2000; n++) {
		if (ring_init(&ring2, RING_FLAGS, 0))
			error(1, 0, "ring");
		memset(&reg, 0, sizeof(reg));
		reg.flags = ZCRX_REG_IMPORT;
		reg.if_idx = zfd;
		fail_nth_arm(n);
		ret = io_uring_register_raw(ring2.ring_fd,
					    IORING_REGISTER_ZCRX_IFQ, &reg, 1);
		fail_nth_hit = fail_nth_disarm();
		if (!fail_nth_hit)
			break;
		fn_count(&ti, n, ret);
		io_uring_queue_exit(&ring2);
	}
	if (zfd >= 0) {
		fn_report(&ti, ret);
		if (!ret) {
			struct zcrx_ctrl c2 = { .zcrx_id = reg.zcrx_id,
						.op = ZCRX_CTRL_FLUSH_RQ };

			ret = io_uring_register_raw(ring2.ring_fd,
						    IORING_REGISTER_ZCRX_CTRL,
						    &c2, 0);
			check(!ret, "FLUSH_RQ through the import: %s",
			      errname(ret));
		}
		io_uring_queue_exit(&ring2);
		close(zfd);
	}
	zc_close(&z);
	fn_clean("EXPORT and IMPORT, all closed", n);
}

/*
 * RECV_ZC on the bound queue with the n-th fault site of each submit or
 * wait failing, n = 1, 2, ... (back to 1 once a round hit no fault): a
 * request that fails ends with -ENOMEM or -EFAULT and is armed again; the
 * 1 MiB stream must come whole, every byte right. With @die, no fault:
 * the process exits mid-stream after @secs / 2, everything left open.
 */
static void fail_nth_recv(double secs, bool die)
{
	unsigned int n = 1, injected = 0, ended = 0, enomem = 0, other = 0;
	struct zc_opts o = opts_for(cfg_queue);
	double t_end = now() + secs;
	struct stream st = {};
	int lfd;
	pid_t pid;
	struct zc z;

	/* One that dies must still be receiving when it does. The sender is
	 * forked before the ring exists: a child forked later may keep the
	 * ring's mappings, and with them the ring (and its request, and the
	 * socket whose full window blocks that child).
	 */
	st.want = die ? 256 << 20 : 1 << 20;
	lfd = listen_on(cfg_port);
	pid = sender(cfg_port, st.want, 65536, cfg_seed ^ 7u);
	st.fd = accept_one(lfd);
	close(lfd);
	st.seed = (cfg_seed ^ 7u) & 0xff;
	if (!zc_open_checked(&z, &o, "RECV_ZC: registration")) {
		reap_child(pid, true);
		close(st.fd);
		return;
	}
	while (!st.eof && !st.bad && now() < t_end) {
		struct io_uring_sqe *sqe;

		if (!die)
			fail_nth_arm(n);
		sqe = st.armed ? NULL : io_uring_get_sqe(&z.ring);
		if (sqe) {
			/* A submit that fails leaves the SQE queued */
			io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, st.fd, NULL,
					 0, 0);
			sqe->ioprio = IORING_RECV_MULTISHOT;
			sqe->zcrx_ifq_idx = z.id;
			io_uring_sqe_set_data(sqe, &st);
			io_uring_submit(&z.ring);
			st.armed = true;
		} else {
			reap_soft = true;
			reap(&z, &st, 100);
			reap_soft = false;
		}
		fail_nth_hit = !die && fail_nth_disarm();
		injected += fail_nth_hit;
		n = fail_nth_hit ? n + 1 : 1;
		if (die && now() > t_end - secs / 2)
			_exit(0);	/* ring, request, socket: all left open */
		if (st.armed || st.eof)
			continue;
		/* The request ended: armed again in the next round */
		ended++;
		if (st.final == -ENOMEM || st.final == -EFAULT)
			enomem++;
		else if (st.final && st.final != -ENOSPC && other++ < 5)
			check(false, "RECV_ZC under fault injection ended with %s",
			      errname(st.final));
		st.final = 0;
	}
	reap_child(pid, true);
	close(st.fd);
	printf("# RECV_ZC: %u faults injected, %u requests ended early: ",
	       injected, ended);
	printf("%u with -ENOMEM or -EFAULT, %u other; %llu/%llu bytes\n",
	       enomem, other, (unsigned long long)st.got,
	       (unsigned long long)st.want);
	check(st.eof && !st.bad && st.got == st.want && injected && !other,
	      "RECV_ZC under fault injection: the stream whole, every byte right");
	zc_close(&z);
	fn_clean("RECV_ZC", n);
}

static void case_failnth(void)
{
	struct zc_opts o = opts_for(cfg_queue);

	if (!fail_nth_setup()) {
		check(false, "%s: %s", FAIL_NTH, strerror(errno));
		return;
	}
	fail_nth_loop("user area", &o, true);
	o.dmabuf = true;
	fail_nth_loop("udmabuf area", &o, false);
	o = opts_for(cfg_queue);
	o.nodev = true;
	fail_nth_loop("NODEV", &o, false);
	fail_nth_export();
	fail_nth_recv(60, false);
}

/*
 * A process exits with a multishot RECV_ZC armed on a flow whose peer is
 * still sending (its window full, the peer blocked), ring, request and
 * socket left open: the exit must tear it all down, the peer gets a reset.
 */
static void case_exitlive(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		fail_nth_recv(20, true);
		_exit(1);
	}
	reap_child(pid, false);
	nothing_left(pin_base, 10, "process gone with RECV_ZC armed on a live flow");
}

/* Packets of @queue split into header and payload buffers */
static uint64_t queue_split_packets(int queue)
{
	char name[32];

	snprintf(name, sizeof(name), "rx%d_hds_packets", queue);
	return ethtool_stat_of(cfg_ifname, name);
}

/*
 * The queue restarted twice with 16 buffers held: each restart makes a new
 * page_pool on the zcrx, the old ones wait for the held buffers. The stream
 * goes on through the new pool, the held buffers keep their bytes, and
 * when they go back every pool goes (no warning about buffers in flight).
 */
static void case_restart(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	double t_end = now() + 60;
	struct stream st;
	struct pools p;
	uint64_t upto;
	int i;
	pid_t pid;
	struct zc z;

	if (!cfg_restart) {
		check(false, "restart: no -R command");
		return;
	}
	if (!zc_open_checked(&z, &o, "restart: registration"))
		return;
	check(midstream(&z, cfg_port, &st, &pid, 256 << 10),
	      "256 KiB received and checked, 16 buffers held");
	for (i = 0; i < 2; i++)
		if (system(cfg_restart))
			check(false, "%s failed", cfg_restart);
	zcrx_pools(&p);
	check(p.count >= 2,
	      "two restarts with buffers held: %d zcrx pools, %llu buffers in flight",
	      p.count, (unsigned long long)p.inflight);
	upto = st.got + (256 << 10);
	while (st.got < upto && !st.bad && now() < t_end) {
		reap(&z, &st, 200);
		if (!st.armed)
			arm(&z, &st, 0);
	}
	check(st.got >= upto && !st.bad,
	      "restart: 256 KiB more through the new pool, every byte right");
	check(st.nheld == 16 && held_intact(&st, &z),
	      "restart: the 16 held buffers kept their bytes");
	check(return_held(&st, &z), "restart: held buffers returned");
	close(st.fd);
	reap_child(pid, true);
	zc_close(&z);
	nothing_left(pin_base, 10, "restarted queue, ring closed");
}

/*
 * Beside a hostile peer (hostile.sh attacks the port meanwhile): a stream
 * whose every write ends in an urgent byte, and one in 7-byte writes, into
 * the zcrx on the queue; every byte checked, nothing left after.
 */
static void case_hostile(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	bool ok;
	struct zc z;

	if (!zc_open_checked(&z, &o, "hostile: registration"))
		return;
	send_urgent = true;
	ok = transfer(&z, cfg_port, 512 << 10, 9973, 0, NULL);
	send_urgent = false;
	check(ok, "hostile: 512 KiB, each write MSG_OOB: all in band, every byte right");
	ok = transfer(&z, cfg_port, 30011, 7, 0, NULL);
	check(ok, "hostile: 30011 bytes in 7-byte writes, every byte right");
	zc_close(&z);
	nothing_left(pin_base, 10, "hostile");
}

/* Send fd @fd over unix socket @sk */
static void send_fd(int sk, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { .iov_base = "z", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sk, &msg, 0) != 1)
		error(1, errno, "sendmsg SCM_RIGHTS");
}

/* An fd from unix socket @sk, or -1 */
static int recv_fd(int sk)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {}, c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sk, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * The user and the mm a zcrx charges its pinned pages to outlive the
 * process that registered it: a child running as uid 65534 with
 * CAP_NET_ADMIN but without CAP_IPC_LOCK (so the pages are charged to that
 * user) registers a NODEV zcrx, exports it, hands the fd over and exits.
 * The zcrx then lives on in the export alone: imported here, flushed,
 * closed last. KASAN catches a charge given back to a freed user_struct.
 */
static void case_uid(void)
{
	struct io_uring_zcrx_ifq_reg reg = {};
	struct io_uring ring2;
	int sk[2], zfd, ret;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sk))
		error(1, errno, "socketpair");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct d[2] = {};
		struct zc_opts o = opts_for(cfg_queue);
		struct zcrx_ctrl ctrl = { .op = ZCRX_CTRL_EXPORT };
		struct zc z;

		close(sk[0]);
		/* uid 65534, CAP_NET_ADMIN only */
		if (prctl(PR_SET_KEEPCAPS, 1) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		d[CAP_NET_ADMIN / 32].effective = 1U << (CAP_NET_ADMIN % 32);
		d[CAP_NET_ADMIN / 32].permitted = 1U << (CAP_NET_ADMIN % 32);
		if (syscall(SYS_capset, &h, d))
			_exit(11);
		o.nodev = true;
		o.area_len = 32 << 10;
		if (zc_open(&z, &o))
			_exit(12);
		ctrl.zcrx_id = z.id;
		if (io_uring_register_raw(z.ring.ring_fd,
					  IORING_REGISTER_ZCRX_CTRL, &ctrl, 0))
			_exit(13);
		send_fd(sk[1], ctrl.zc_export.zcrx_fd);
		_exit(0);	/* the ring goes with the process */
	}
	close(sk[1]);
	zfd = recv_fd(sk[0]);
	close(sk[0]);
	check(reap_child(pid, false) && zfd >= 0,
	      "uid 65534 without CAP_IPC_LOCK: registered, exported, gone");
	if (zfd < 0)
		return;
	usleep(200000);	/* the child's ring is torn down meanwhile */
	if (ring_init(&ring2, RING_FLAGS, 0))
		error(1, 0, "ring");
	reg.flags = ZCRX_REG_IMPORT;
	reg.if_idx = zfd;
	ret = io_uring_register_raw(ring2.ring_fd, IORING_REGISTER_ZCRX_IFQ,
				    &reg, 1);
	check(!ret, "import of the zcrx of a process gone: %s", errname(ret));
	if (!ret) {
		struct zcrx_ctrl c2 = { .zcrx_id = reg.zcrx_id,
					.op = ZCRX_CTRL_FLUSH_RQ };

		ret = io_uring_register_raw(ring2.ring_fd,
					    IORING_REGISTER_ZCRX_CTRL, &c2, 0);
		check(!ret, "FLUSH_RQ through it: %s", errname(ret));
	}
	io_uring_queue_exit(&ring2);
	close(zfd);	/* the last user: the zcrx goes, uncharging the user */
}

/*
 * RECV_ZC with a length: the request ends once it received exactly that
 * many bytes (never more), and a request armed next takes the rest of the
 * stream from the byte after.
 */
static void case_len(void)
{
	static const unsigned int lens[] = { 1, 10000, 65536 + 1 };
	struct zc_opts o = opts_for(cfg_queue);
	uint64_t want = 256 << 10, before;
	double t_end = now() + 60;
	struct stream st = {};
	unsigned int i;
	int lfd;
	pid_t pid;
	struct zc z;

	if (!zc_open_checked(&z, &o, "len: registration"))
		return;
	lfd = listen_on(cfg_port);
	pid = sender(cfg_port, want, 9973, cfg_seed ^ 5u);
	st.fd = accept_one(lfd);
	close(lfd);
	st.want = want;
	st.seed = (cfg_seed ^ 5u) & 0xff;
	for (i = 0; i < 3; i++) {
		before = st.got;
		arm(&z, &st, lens[i]);
		while (st.armed && !st.bad && now() < t_end)
			reap(&z, &st, 200);
		check(!st.armed && !st.final && st.got - before == lens[i],
		      "RECV_ZC of len %u: %llu bytes, then a final CQE %s",
		      lens[i], (unsigned long long)(st.got - before),
		      errname(st.final));
		st.eof = false;	/* a final 0 here is the length met */
	}
	arm(&z, &st, 0);
	while (!st.eof && !st.bad && now() < t_end) {
		reap(&z, &st, 200);
		if (!st.armed && !st.eof)
			arm(&z, &st, 0);
	}
	check(st.eof && !st.bad && st.got == want,
	      "len: the rest, %llu of %llu bytes, every byte right",
	      (unsigned long long)st.got, (unsigned long long)want);
	reap_child(pid, true);
	close(st.fd);
	zc_close(&z);
	nothing_left(pin_base, 10, "len");
}

/*
 * Fork a child that sends SYNs carrying 1400 bytes (TCP Fast Open without
 * a cookie) to @port of our address from the peer namespace until killed:
 * each is a packet with a payload on the queue the port is steered to, so
 * the queue's page_pool allocates a buffer for it.
 */
static pid_t syn_flood(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	static char payload[1400];
	pid_t pid;
	int fd;

	pid = fork_to_peer();
	if (pid)
		return pid;
	/* client on (1), data in the SYN without a cookie (4) */
	write_str("/proc/sys/net/ipv4/tcp_fastopen", "5");
	a.sin_port = htons(port);
	inet_pton(AF_INET, cfg_addr, &a.sin_addr);
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			error(1, errno, "socket");
		sendto(fd, payload, sizeof(payload), MSG_FASTOPEN, (void *)&a,
		       sizeof(a));
		close(fd);
	}
}

/*
 * Registrations on the queue while packets keep coming to it: the queue
 * is restarted with the zcrx's page_pool, which allocates for the next
 * packet at once, and its refill reads the refill ring. A 16 MiB ring in
 * user memory takes long to pin: were it set up after the queue is bound,
 * the refill would find no ring.
 */
static void case_bindrace(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	uint64_t rx0, rx1;
	unsigned int i;
	pid_t pid;
	struct zc z;
	int ret;

	o.rq_user = true;
	o.region_len = 16 << 20;
	o.area_len = 64 << 10;
	rx0 = queue_split_packets(cfg_queue);
	pid = syn_flood(cfg_port);
	usleep(200000);
	for (i = 0; i < 8; i++) {
		ret = zc_open(&z, &o);
		check(!ret, "registration %u under a SYN flood: %s", i,
		      errname(ret));
		zc_close(&z);
		if (ret)
			break;
	}
	reap_child(pid, true);
	rx1 = queue_split_packets(cfg_queue);
	printf("# queue %d received %llu packets with payload meanwhile\n",
	       cfg_queue,
	       (unsigned long long)(rx1 - rx0));
	check(rx1 - rx0 > 100,
	      "packets with payload came to the queue during the registrations");
	nothing_left(pin_base, 10, "registrations under a SYN flood");
}

static void case_delete(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	long pin0 = pin_base;
	struct stream st;
	double t_end;
	struct zc z;
	pid_t pid;

	if (!cfg_delete) {
		check(false, "delete: no -D command");
		return;
	}
	if (!zc_open_checked(&z, &o, "registration"))
		return;
	check(midstream(&z, cfg_port, &st, &pid, 256 << 10),
	      "256 KiB received and checked, 16 buffers held");
	printf("# %s\n", cfg_delete);
	if (system(cfg_delete))
		check(false, "%s failed", cfg_delete);
	/* The stream stalls or fails; CQEs may still come. No crash. */
	t_end = now() + 2;
	while (st.armed && !st.bad && now() < t_end)
		reap(&z, &st, 200);
	printf("# after the delete: %llu bytes, armed %d, final %s\n",
	       (unsigned long long)st.got, st.armed, errname(st.final));
	check(!st.bad, "bytes before the delete all correct");
	close(st.fd);
	reap_child(pid, true);
	zc_close(&z);
	ifindex = 0;	/* the device is gone: look at every zcrx pool */
	nothing_left(pin0, 10, "device deleted mid-stream, then ring closed");
}

static void case_demo(void)
{
	struct zc_opts o = opts_for(cfg_queue);
	uint64_t len = cfg_mib << 20;
	struct stream st = {};
	double t0, t;
	struct zc z;
	int ret;
	bool ok;

	ret = zc_open(&z, &o);
	if (ret)
		error(1, -ret, "zcrx registration");
	t0 = now();
	ok = transfer(&z, cfg_port, len, 65536, 0, &st);
	t = now() - t0;
	printf("zcrx: %llu bytes received in %llu CQEs, %llu buffers returned, %s\n",
	       (unsigned long long)st.got, (unsigned long long)st.cqes,
	       (unsigned long long)st.returned,
	       ok ? "every byte checked" : "FAILED");
	printf("zcrx: %.2f s, %.1f MB/s\n", t, st.got / t / 1e6);
	zc_close(&z);
	check(ok, "demo transfer");
}

/* ------------------------------------------------------------ fuzz */

/*
 * A bounded, seeded fuzzer of the zcrx uAPI. Each episode registers a zcrx
 * from valid arguments with a few fields (of ifq_reg, area, region, the
 * ring's setup flags, nr_args) replaced by edge values, and, if that
 * registered, runs a session of random steps against a sender: RECV_ZC
 * with random lengths, flags and ids; refill entries with random offsets,
 * tokens, lengths, pad, duplicates and tail jumps; a scribbled head;
 * ZCRX_CTRL and QUERY with random contents; EXPORT and IMPORT; the socket
 * or the ring closed at any point. Every result must be a documented errno
 * (or success), every CQE inside the area and, on a stream no odd request
 * touched, carry the sender's bytes; after each episode nothing is left.
 * Splats are the harness's to catch (KASAN, lockdep, kmemleak).
 */
static unsigned int cfg_fuzz_secs = 60, cfg_fuzz_seed = 1;

/* What each call may fail with (0-ended lists) */
static const int reg_errnos[] = {
	EPERM, EINVAL, EFAULT, ENODEV, EOPNOTSUPP, ERANGE, EEXIST, EBUSY,
	EBADF, E2BIG, ENOMEM, 0
};

static const int ctrl_errnos[] = {
	EINVAL, EFAULT, EOPNOTSUPP, EBADF, EMFILE, 0
};

static const int query_errnos[] = { EINVAL, EFAULT, ERANGE, 0 };

/* Final CQEs of RECV_ZC: bad request, area dry, peer gone, ring exit */
static const int cqe_errnos[] = {
	EINVAL, EFAULT, ENOTSOCK, EPROTONOSUPPORT, ENOSPC, ECONNRESET,
	EPIPE, ENOTCONN, ECANCELED, EINTR, EAGAIN, EMSGSIZE, EOPNOTSUPP,
	EBADF, 0
};

struct fuzz {
	struct fuzz_tally reg, arm, cqe, refill, ctrl, query;
	unsigned long episodes, sessions, bytes, bad;
};

/* Count @ret in @t; a result outside @ok is a failure */
static void fuzz_check(struct fuzz *f, struct fuzz_tally *t, int ret,
		       const int *ok, const char *what)
{
	if (fuzz_expect(t, ret, ok))
		return;
	check(false, "fuzz: %s: %s", what, strerrorname_np(-ret));
	f->bad++;
}

/* A pointer a copy from user space must fail on, or stray memory */
static uint64_t fuzz_ptr(struct zc *z)
{
	switch (fuzz_below(5)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return 0xffff888000000000ULL;	/* the kernel's direct map */
	case 3:
		return (uintptr_t)z->area + z->area_len - 8;	/* runs off */
	default:
		return fuzz_edge();
	}
}

/* Replace one field of the registration with an edge value */
static void fuzz_perturb(struct zc *z, struct io_uring_zcrx_ifq_reg *reg,
			 struct io_uring_zcrx_area_reg *area,
			 struct io_uring_region_desc *rd, unsigned int *nr,
			 bool *ptrs_ok)
{
	switch (fuzz_below(22)) {
	case 0:
		reg->if_idx = fuzz_chance(50) ? (uint64_t)ifindex + 1 : fuzz_edge();
		break;
	case 1:
		reg->if_rxq = fuzz_edge();
		break;
	case 2:
		reg->rq_entries = fuzz_edge();
		break;
	case 3:
		reg->flags = fuzz_chance(50) ? 1U << fuzz_below(32) : fuzz_u32();
		break;
	case 4:
		reg->area_ptr = fuzz_ptr(z);
		*ptrs_ok = false;
		break;
	case 5:
		reg->region_ptr = fuzz_ptr(z);
		*ptrs_ok = false;
		break;
	case 6:
		reg->__resv[fuzz_below(3)] = fuzz_edge();
		break;
	case 7:
		reg->zcrx_id = fuzz_u32();
		break;
	case 8:
		reg->rx_buf_len = fuzz_edge();
		break;
	case 9:
		area->addr += fuzz_chance(50) ? PAGE_SZ * fuzz_below(4) :
						fuzz_edge();
		break;
	case 10:
		area->len = fuzz_chance(50) ? PAGE_SZ * fuzz_below(128) :
					      fuzz_edge();
		break;
	case 11:
		area->flags = 1U << fuzz_below(32);
		break;
	case 12:
		area->dmabuf_fd = fuzz_chance(50) ? (int)fuzz_below(8) - 1 :
					    z->ring.ring_fd;
		break;
	case 13:
		area->rq_area_token = fuzz_edge();
		break;
	case 14:
		area->__resv2[fuzz_below(2)] = fuzz_edge();
		break;
	case 15:
		rd->size = fuzz_chance(50) ? PAGE_SZ * fuzz_below(16) :
					     fuzz_edge();
		break;
	case 16:
		rd->flags = 1U << fuzz_below(32);
		break;
	case 17:
		rd->user_addr = fuzz_ptr(z);
		break;
	case 18:
		rd->id = fuzz_u32();
		break;
	case 19:
		rd->mmap_offset = fuzz_edge();
		break;
	case 20:
		rd->__resv[fuzz_below(4)] = fuzz_edge();
		break;
	default:
		*nr = fuzz_below(4);
		break;
	}
}

/*
 * Queue random refill entries. An entry with our token, no pad and an
 * offset in the area gives back the buffer it names, which is fine for a
 * buffer we hold (in @seen, dropped from it); for any other buffer, one
 * maybe not reaped yet, the kernel cannot tell, and bytes we then read may
 * be the next packet's: *@verified goes false.
 */
static void fuzz_refill(struct fuzz *f, struct zc *z, uint64_t *seen,
			unsigned int *nseen, bool *verified)
{
	unsigned int i, k, n = 1 + fuzz_below(z->rq_entries * 2);
	uint64_t off, token;
	uint32_t pad;

	for (i = 0; i < n && rq_space(z); i++) {
		if (*nseen && fuzz_chance(50))
			off = seen[fuzz_below(*nseen)];
		else if (fuzz_chance(50))
			off = PAGE_SZ * fuzz_below(z->area_len / PAGE_SZ + 2);
		else
			off = fuzz_edge();
		off &= ~IORING_ZCRX_AREA_MASK;
		switch (fuzz_below(4)) {
		case 0:
			token = (uint64_t)fuzz_below(4) << IORING_ZCRX_AREA_SHIFT;
			break;
		case 1:
			token = fuzz_edge() & IORING_ZCRX_AREA_MASK;
			break;
		default:
			token = z->token;
			break;
		}
		pad = fuzz_chance(80) ? 0 : fuzz_u32();
		if (token == z->token && !pad && off < z->area_len) {
			for (k = 0; k < *nseen; k++)
				if (seen[k] / PAGE_SZ == off / PAGE_SZ)
					break;
			if (k < *nseen)
				seen[k] = seen[--*nseen];
			else
				*verified = false;
		}
		rq_put(z, off | token, fuzz_chance(70) ? PAGE_SZ : fuzz_edge(),
		       pad);
	}
	/* The tail is the app's: it may jump anywhere, over old entries */
	if (fuzz_chance(5)) {
		z->tail += fuzz_edge();
		*verified = false;
	}
	/* The head is the kernel's; the app can still write over it */
	if (fuzz_chance(5)) {
		__atomic_store_n(z->rq_head, fuzz_u32(), __ATOMIC_RELEASE);
		*verified = false;
	}
	rq_publish(z);
	if (fuzz_chance(50)) {
		int ret = zc_flush(z);

		fuzz_check(f, &f->refill, ret, ctrl_errnos, "FLUSH_RQ");
	}
}

static void fuzz_ctrl(struct fuzz *f, struct zc *z)
{
	struct io_uring_zcrx_ifq_reg reg = {};
	struct zcrx_ctrl ctrl = {};
	struct io_uring ring2;
	int ret;

	ctrl.zcrx_id = fuzz_chance(80) ? z->id : fuzz_u32();
	ctrl.op = fuzz_chance(80) ? fuzz_below(2) : fuzz_u32();
	if (fuzz_chance(10))
		ctrl.__resv[fuzz_below(2)] = fuzz_edge();
	ret = io_uring_register_raw(z->ring.ring_fd, IORING_REGISTER_ZCRX_CTRL,
				    &ctrl, fuzz_chance(90) ? 0 : fuzz_u32());
	fuzz_check(f, &f->ctrl, ret, ctrl_errnos, "ZCRX_CTRL");
	if (ret || ctrl.op != ZCRX_CTRL_EXPORT)
		return;
	/* Exported: import it into a ring that then goes first or last */
	if (ring_init(&ring2, RING_FLAGS, 0)) {
		close(ctrl.zc_export.zcrx_fd);
		return;
	}
	reg.flags = ZCRX_REG_IMPORT;
	reg.if_idx = fuzz_chance(90) ? ctrl.zc_export.zcrx_fd : fuzz_u32();
	if (fuzz_chance(10))
		reg.rq_entries = fuzz_edge();
	ret = io_uring_register_raw(ring2.ring_fd, IORING_REGISTER_ZCRX_IFQ,
				    &reg, 1);
	fuzz_check(f, &f->reg, ret, reg_errnos, "IMPORT");
	if (fuzz_chance(50))
		close(ctrl.zc_export.zcrx_fd);
	if (!ret && fuzz_chance(50)) {
		struct zcrx_ctrl c2 = { .zcrx_id = reg.zcrx_id,
					.op = ZCRX_CTRL_FLUSH_RQ };

		ret = io_uring_register_raw(ring2.ring_fd,
					    IORING_REGISTER_ZCRX_CTRL, &c2, 0);
		fuzz_check(f, &f->ctrl, ret, ctrl_errnos, "FLUSH_RQ of an import");
	}
	io_uring_queue_exit(&ring2);
	close(ctrl.zc_export.zcrx_fd);	/* again if closed: EBADF */
}

static void fuzz_query(struct fuzz *f)
{
	struct io_uring_query_hdr h[3];
	uint8_t data[3][96];
	int i, ret;

	memset(h, 0, sizeof(h));
	for (i = 0; i < 3; i++) {
		h[i].query_op = fuzz_chance(80) ? fuzz_below(4) : fuzz_u32();
		h[i].query_data = fuzz_chance(90) ? (uintptr_t)data[i] :
						    fuzz_edge();
		h[i].size = fuzz_chance(70) ? fuzz_below(sizeof(data[i]) + 1) :
					      fuzz_u32();
		if (fuzz_chance(5))
			h[i].__resv[0] = fuzz_u32();
		/* chained, maybe into a loop */
		h[i].next_entry = fuzz_chance(50) ?
				  (uintptr_t)&h[fuzz_below(3)] : 0;
	}
	ret = io_uring_register_raw(-1, IORING_REGISTER_QUERY, h,
				    fuzz_chance(90) ? 0 : 1);
	fuzz_check(f, &f->query, ret, query_errnos, "QUERY");
}

/*
 * A session on a registered zcrx @z: a sender streams to @port while the
 * steps run. Returns when the steps are done or the ring is gone.
 */
static void fuzz_session(struct fuzz *f, struct zc *z, int port,
			 double t_end)
{
	unsigned int steps = 1 + fuzz_below(40), nseen = 0, i;
	struct __kernel_timespec ts = { .tv_nsec = 20000000 };
	bool verified = true, armed = false, sock_open = true;
	uint64_t seen[64], got = 0;
	struct io_uring_cqe *cqe;
	struct stream st = {};
	unsigned int head, n;
	int lfd, one = 1;
	pid_t pid;

	f->sessions++;
	lfd = listen_on(port);
	send_urgent = fuzz_chance(10);
	sender_quiet = true;
	st.seed = fuzz_below(256);
	pid = sender(port, 4096 + fuzz_below(512 << 10),
		     1 + fuzz_below(65536), st.seed);
	send_urgent = false;
	sender_quiet = false;
	st.fd = accept_or_gone(lfd);
	close(lfd);
	if (st.fd < 0) {
		reap_child(pid, true);
		return;
	}
	/* Urgent bytes in band on every path: those copied as well */
	setsockopt(st.fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	for (i = 0; i < steps && now() < t_end; i++) {
		switch (fuzz_below(8)) {
		case 0:
		case 1: {
			struct io_uring_sqe *sqe;
			bool odd = fuzz_chance(15);

			if (armed && !odd)
				break;
			sqe = io_uring_get_sqe(&z->ring);
			if (!sqe)
				break;
			io_uring_prep_rw(IORING_OP_RECV_ZC, sqe,
					 fuzz_chance(95) ? st.fd : (int)fuzz_below(8),
					 NULL, fuzz_chance(50) ? 0 :
					 fuzz_below(1 << 20), 0);
			sqe->ioprio = IORING_RECV_MULTISHOT;
			sqe->zcrx_ifq_idx = z->id;
			if (odd) {
				switch (fuzz_below(5)) {
				case 0:
					sqe->ioprio = fuzz_u32() & 0xffff;
					break;
				case 1:
					sqe->msg_flags = 1U << fuzz_below(32);
					break;
				case 2:
					sqe->zcrx_ifq_idx = fuzz_u32();
					break;
				case 3:
					sqe->addr = fuzz_edge();
					break;
				default:
					sqe->addr3 = fuzz_edge();
					break;
				}
				/* Its CQEs carry no known stream offset */
				io_uring_sqe_set_data(sqe, NULL);
			} else {
				io_uring_sqe_set_data(sqe, &st);
				armed = true;
			}
			n = io_uring_submit(&z->ring);
			fuzz_count(&f->arm, n == 1 ? 0 : (int)n);
			break;
		}
		case 2:
		case 3:
			/* reap: check, then return most, remember some */
			if (io_uring_wait_cqe_timeout(&z->ring, &cqe, &ts))
				break;
			n = 0;
			io_uring_for_each_cqe(&z->ring, head, cqe) {
				const struct io_uring_zcrx_cqe *zq =
					(void *)cqe->big_cqe;
				uint64_t off = zq->off & ~IORING_ZCRX_AREA_MASK;
				int res = cqe->res, bad;

				n++;
				if (res <= 0 || !(cqe->flags & IORING_CQE_F_MORE)) {
					fuzz_check(f, &f->cqe, res, cqe_errnos,
						   "RECV_ZC final CQE");
					if (io_uring_cqe_get_data(cqe) == &st)
						armed = armed &&
						 (cqe->flags & IORING_CQE_F_MORE);
				}
				if (res <= 0)
					continue;
				if ((zq->off & IORING_ZCRX_AREA_MASK) != z->token ||
				    off + res > z->area_len) {
					check(false,
					      "fuzz: CQE of %d bytes at 0x%llx, token 0x%llx, area %zu",
					      res, (unsigned long long)zq->off,
					      (unsigned long long)z->token,
					      z->area_len);
					f->bad++;
					continue;
				}
				if (!io_uring_cqe_get_data(cqe))
					verified = false;
				bad = verified ?
				      verify(st.seed, got, z->area + off, res) : -1;
				if (bad >= 0) {
					check(false,
					      "fuzz: byte %llu (area %llu) 0x%02x, want 0x%02x, episode %lu",
					      (unsigned long long)got + bad,
					      (unsigned long long)off + bad,
					      z->area[off + bad],
					      pattern_byte(st.seed, got + bad),
					      f->episodes);
					f->bad++;
					verified = false;
				}
				got += res;
				f->bytes += res;
				if (nseen < 64 && fuzz_chance(20))
					seen[nseen++] = off;
				else if (fuzz_chance(95))
					zc_return(z, off, res);
			}
			io_uring_cq_advance(&z->ring, n);
			break;
		case 4:
			fuzz_refill(f, z, seen, &nseen, &verified);
			fuzz_count(&f->refill, 0);
			break;
		case 5:
			fuzz_ctrl(f, z);
			break;
		case 6:
			fuzz_query(f);
			break;
		default:
			if (fuzz_chance(50) && sock_open) {
				close(st.fd);	/* armed or not */
				st.fd = -1;
				sock_open = false;
			} else if (fuzz_chance(20)) {
				i = steps;	/* the ring goes, buffers held */
			}
			break;
		}
	}
	if (sock_open)
		close(st.fd);
	reap_child(pid, true);
}

static void fuzz_episode(struct fuzz *f, int nqueues, double t_end)
{
	unsigned int kind = fuzz_below(4), nr = 1, i, muts;
	struct zc_opts o = opts_for(cfg_queue);
	struct io_uring_zcrx_area_reg area, area0;
	struct io_uring_region_desc rd, rd0;
	struct io_uring_zcrx_ifq_reg reg;
	bool ptrs_ok = true;
	struct zc z;
	int ret;

	f->episodes++;
	o.area_len = PAGE_SZ * (1 + fuzz_below(64));
	o.rq_entries = 1U << fuzz_below(12);
	o.rq_user = fuzz_chance(50);
	o.dmabuf = kind == 1;
	o.nodev = kind == 2;
	if (kind == 3)
		o.queue = fuzz_below(nqueues);
	zc_alloc(&z, &o);
	o.ring_flags = RING_FLAGS;
	if (fuzz_chance(5))
		o.ring_flags ^= 1U << fuzz_below(16);
	o.cq_entries = fuzz_chance(50) ? 0 : 1U << fuzz_below(8);
	if (ring_init(&z.ring, o.ring_flags, o.cq_entries)) {
		zc_close(&z);
		return;
	}
	z.ring_up = true;
	zc_fill(&z, &o, &reg, &area, &rd);
	area0 = area;
	rd0 = rd;
	muts = fuzz_chance(30) ? 0 : 1 + fuzz_below(3);
	for (i = 0; i < muts; i++)
		fuzz_perturb(&z, &reg, &area, &rd, &nr, &ptrs_ok);
	ret = io_uring_register_raw(z.ring.ring_fd, IORING_REGISTER_ZCRX_IFQ,
				    &reg, nr);
	fuzz_check(f, &f->reg, ret, reg_errnos, "registration");
	if (!ret)
		z.rq_head = (void *)1;	/* registered: the ring is mapped */
	/* A session only where the memory is the one we allocated */
	if (!ret && ptrs_ok && area.addr == area0.addr &&
	    area.len == area0.len && rd.user_addr == rd0.user_addr &&
	    rd.flags == rd0.flags) {
		if (reg.rq_entries < 1 || (reg.rq_entries & (reg.rq_entries - 1)) ||
		    reg.offsets.rqes + 16ULL * reg.rq_entries > z.rq_len ||
		    reg.offsets.head + 4 > reg.offsets.rqes ||
		    reg.offsets.tail + 4 > reg.offsets.rqes) {
			check(false,
			      "fuzz: registered: %u entries, head %u tail %u rqes %u",
			      reg.rq_entries, reg.offsets.head,
			      reg.offsets.tail, reg.offsets.rqes);
			f->bad++;
		} else {
			zc_setup_rq(&z, &reg, &area, &rd);
			fuzz_session(f, &z, cfg_port, t_end);
		}
	}
	/* The pieces go in a random order */
	if (fuzz_chance(50)) {
		io_uring_queue_exit(&z.ring);
		z.ring_up = false;
	}
	if (fuzz_chance(50) && z.dmabuf_fd >= 0) {
		close(z.dmabuf_fd);
		z.dmabuf_fd = -1;
	}
	zc_close(&z);
	check_quiet = true;
	if (!nothing_left(pin_base, 10, "fuzz episode") ||
	    (o.queue != cfg_queue && ifindex && queue_has_zcrx(o.queue))) {
		check_quiet = false;
		check(false, "fuzz: episode %lu left something behind",
		      f->episodes);
		f->bad++;
	}
	check_quiet = false;
}

static void case_fuzz(int nqueues)
{
	double t_end = now() + cfg_fuzz_secs;
	struct fuzz f = {};

	printf("# fuzz: seed %u, %u s\n", cfg_fuzz_seed, cfg_fuzz_secs);
	fuzz_seed(cfg_fuzz_seed);
	while (now() < t_end && f.bad < 10)
		fuzz_episode(&f, nqueues, t_end);
	printf("# fuzz: %lu episodes, %lu sessions, %lu bytes received\n",
	       f.episodes, f.sessions, f.bytes);
	fuzz_print("registration", &f.reg);
	fuzz_print("RECV_ZC submit", &f.arm);
	fuzz_print("RECV_ZC final CQE", &f.cqe);
	fuzz_print("refill", &f.refill);
	fuzz_print("ZCRX_CTRL", &f.ctrl);
	fuzz_print("QUERY", &f.query);
	check(!f.bad && f.reg.res[0] && f.sessions && f.bytes,
	      "fuzz: %lu calls, %lu bad; %lu registrations, %lu sessions received bytes",
	      f.reg.calls + f.arm.calls + f.cqe.calls + f.refill.calls +
	      f.ctrl.calls + f.query.calls, f.bad, f.reg.res[0], f.sessions);
}

/*
 * The fuzzer while the device goes: DELETE_CMD runs at a moment drawn from
 * the seed, in the first half of the budget, concurrently with whatever an
 * episode is doing (registering, receiving, refilling, tearing down). The
 * episode then in progress must end with documented errnos; one more
 * episode runs against the missing device; then nothing may be left.
 */
static void case_fuzzdel(int nqueues)
{
	double t_end = now() + cfg_fuzz_secs;
	struct fuzz f = {};

	if (!cfg_delete) {
		check(false, "fuzzdel: no -D command");
		return;
	}
	fuzz_seed(cfg_fuzz_seed);
	fuzz_deleter_start(cfg_delete, 500 + fuzz_below(cfg_fuzz_secs * 500));
	while (!dev_gone(false) && now() < t_end && f.bad < 10)
		fuzz_episode(&f, nqueues, t_end);
	dev_gone(true);
	printf("# fuzzdel: device gone during or before episode %lu\n",
	       f.episodes);
	check(fuzz_deleter_ok(), "fuzzdel: %s", cfg_delete);
	fuzz_episode(&f, nqueues, now() + 10);
	fuzz_print("registration", &f.reg);
	fuzz_print("RECV_ZC submit", &f.arm);
	fuzz_print("RECV_ZC final CQE", &f.cqe);
	fuzz_print("refill", &f.refill);
	fuzz_print("ZCRX_CTRL", &f.ctrl);
	nothing_left(pin_base, 10, "fuzzdel: the device gone");
	check(!f.bad && f.episodes > 1,
	      "fuzzdel: %lu episodes, %lu sessions, %lu bad",
	      f.episodes, f.sessions, f.bad);
}

static void bad_args(void)
{
	error(1, 0, "usage: see the comment at the top of the source");
}

int main(int argc, char **argv)
{
	int c, i, nqueues = 4;

	while ((c = getopt(argc, argv, "i:q:n:a:p:P:O:o:D:R:s:m:Q:F:S:")) != -1) {
		switch (c) {
		case 'i':
			cfg_ifname = optarg;
			break;
		case 'q':
			cfg_queue = atoi(optarg);
			break;
		case 'n':
			cfg_netns = optarg;
			break;
		case 'a':
			cfg_addr = optarg;
			break;
		case 'p':
			cfg_port = atoi(optarg);
			break;
		case 'P':
			cfg_fb_port = atoi(optarg);
			break;
		case 'O':
			cfg_hds_off = optarg;
			break;
		case 'o':
			cfg_hds_on = optarg;
			break;
		case 'D':
			cfg_delete = optarg;
			break;
		case 'R':
			cfg_restart = optarg;
			break;
		case 's':
			cfg_seed = strtoul(optarg, NULL, 0) & 0xff;
			break;
		case 'm':
			cfg_mib = strtoul(optarg, NULL, 0);
			break;
		case 'Q':
			nqueues = atoi(optarg);
			break;
		case 'F':
			cfg_fuzz_secs = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			cfg_fuzz_seed = strtoul(optarg, NULL, 0);
			break;
		default:
			bad_args();
		}
	}
	if (!cfg_ifname || cfg_queue < 0 || !cfg_netns || !cfg_addr ||
	    optind == argc || cfg_mib < 1)
		bad_args();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	pin_base = vm_pin();
	ifindex = if_nametoindex(cfg_ifname);
	if (!ifindex)
		error(1, errno, "device %s", cfg_ifname);
	nl_fd = nl_open();
	nl_fam = nl_family(NETDEV_FAMILY_NAME, NULL, NULL);

	for (i = optind; i < argc; i++) {
		const char *name = argv[i];
		struct zc_opts o = opts_for(cfg_queue);
		double t0 = now();

		nfail = 0;
		printf("# ---- %s\n", name);
		if (!strcmp(name, "query")) {
			case_query();
		} else if (!strcmp(name, "errors")) {
			case_errors(nqueues);
		} else if (!strcmp(name, "rx")) {
			case_rx("user area", &o, cfg_port, cfg_mib << 20);
		} else if (!strcmp(name, "dmabuf")) {
			o.dmabuf = true;
			o.rq_user = true;
			case_rx("dma-buf area", &o, cfg_port, 1 << 20);
			case_dmabuf_efault();
		} else if (!strcmp(name, "nodev")) {
			o.nodev = true;
			case_rx("NODEV", &o, cfg_port, 1 << 20);
		} else if (!strcmp(name, "fallback")) {
			case_rx("copy fallback (flow on another queue)", &o,
				cfg_fb_port, 1 << 20);
		} else if (!strcmp(name, "urgent")) {
			case_urgent();
		} else if (!strcmp(name, "refill")) {
			case_refill();
		} else if (!strcmp(name, "overflow")) {
			case_overflow();
		} else if (!strcmp(name, "close")) {
			case_close();
		} else if (!strcmp(name, "failnth")) {
			case_failnth();
		} else if (!strcmp(name, "exitlive")) {
			case_exitlive();
		} else if (!strcmp(name, "hostile")) {
			case_hostile();
		} else if (!strcmp(name, "uid")) {
			case_uid();
		} else if (!strcmp(name, "restart")) {
			case_restart();
		} else if (!strcmp(name, "len")) {
			case_len();
		} else if (!strcmp(name, "bindrace")) {
			case_bindrace();
		} else if (!strcmp(name, "fuzz")) {
			case_fuzz(nqueues);
		} else if (!strcmp(name, "delete")) {
			case_delete();
		} else if (!strcmp(name, "fuzzdel")) {
			case_fuzzdel(nqueues);
		} else if (!strcmp(name, "demo")) {
			case_demo();
		} else {
			error(1, 0, "unknown case %s", name);
		}
		printf("CASE %s %s (%.1f s)\n", nfail ? "fail" : "pass",
		       name, now() - t0);
	}
	return 0;
}
