// SPDX-License-Identifier: GPL-2.0
/*
 * IORING_REGISTER_QUERY: what this kernel supports, for applications that
 * probe before they use a feature. Needs no ring.
 */
#include <linux/io_uring.h>
#include <linux/kernel.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <uapi/linux/io_uring.h>

#include "io_uring.h"
#include "zcrx.h"

/* Headers looked at per call, so that a looped chain cannot spin forever */
#define IO_QUERY_MAX_ENTRIES	1024

static_assert(sizeof(struct io_uring_query_hdr) == 40);
static_assert(offsetof(struct io_uring_query_hdr, query_op) == 16);
static_assert(offsetof(struct io_uring_query_hdr, size) == 20);
static_assert(offsetof(struct io_uring_query_hdr, result) == 24);
static_assert(sizeof(struct io_uring_query_zcrx) == 40);
static_assert(offsetof(struct io_uring_query_zcrx, nr_ctrl_opcodes) == 16);
static_assert(offsetof(struct io_uring_query_zcrx, features) == 20);
static_assert(offsetof(struct io_uring_query_zcrx, rq_hdr_size) == 24);
static_assert(offsetof(struct io_uring_query_zcrx, rq_hdr_alignment) == 28);
static_assert(sizeof(struct io_uring_query_opcode) == 48);
static_assert(sizeof(struct io_uring_query_scq) == 16);

union io_query_answer {
	struct io_uring_query_opcode	opcodes;
	struct io_uring_query_zcrx	zcrx;
	struct io_uring_query_scq	scq;
};

/* Fill @ans for @op; return its size, or -EOPNOTSUPP for an unknown op. */
static int io_query_answer(u32 op, union io_query_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	switch (op) {
	case IO_URING_QUERY_OPCODES:
		ans->opcodes.nr_request_opcodes = IORING_OP_LAST;
		ans->opcodes.nr_register_opcodes = IORING_REGISTER_LAST;
		ans->opcodes.feature_flags = IORING_FEAT_FLAGS;
		ans->opcodes.ring_setup_flags = IORING_SETUP_FLAGS;
		ans->opcodes.enter_flags = IORING_ENTER_FLAGS;
		ans->opcodes.sqe_flags = SQE_VALID_FLAGS;
		ans->opcodes.nr_query_opcodes = __IO_URING_QUERY_MAX;
		return sizeof(ans->opcodes);
	case IO_URING_QUERY_ZCRX:
		if (!IS_ENABLED(CONFIG_IO_URING_ZCRX))
			return -EOPNOTSUPP;
		ans->zcrx.register_flags = ZCRX_REG_IMPORT | ZCRX_REG_NODEV;
		ans->zcrx.area_flags = IORING_ZCRX_AREA_DMABUF;
		ans->zcrx.nr_ctrl_opcodes = __ZCRX_CTRL_LAST;
		ans->zcrx.rq_hdr_size = IO_ZCRX_RQ_HDR_SIZE;
		ans->zcrx.rq_hdr_alignment = IO_ZCRX_RQ_HDR_ALIGN;
		return sizeof(ans->zcrx);
	case IO_URING_QUERY_SCQ:
		ans->scq.hdr_size = sizeof(struct io_rings);
		ans->scq.hdr_alignment = SMP_CACHE_BYTES;
		return sizeof(ans->scq);
	}
	return -EOPNOTSUPP;
}

/**
 * io_query - IORING_REGISTER_QUERY
 * @arg: the first struct io_uring_query_hdr of a chain
 * @nr_args: must be 0
 *
 * Answers each query of the chain in its header: @result 0 and @size the
 * bytes written to @query_data, or @result -EOPNOTSUPP for an unknown
 * query and -EINVAL for reserved bits set.
 *
 * Return: 0, -EINVAL for @nr_args, -EFAULT, -ERANGE for a chain of more
 * than IO_QUERY_MAX_ENTRIES headers, -EINTR on a fatal signal.
 */
int io_query(void __user *arg, unsigned int nr_args)
{
	struct io_uring_query_hdr __user *uhdr = arg;
	union io_query_answer ans;
	int nr = 0;

	if (nr_args)
		return -EINVAL;

	while (uhdr) {
		struct io_uring_query_hdr hdr;
		int size;

		if (++nr > IO_QUERY_MAX_ENTRIES)
			return -ERANGE;
		if (copy_from_user(&hdr, uhdr, sizeof(hdr)))
			return -EFAULT;

		if (memchr_inv(hdr.__resv, 0, sizeof(hdr.__resv))) {
			hdr.result = -EINVAL;
		} else {
			size = io_query_answer(hdr.query_op, &ans);
			if (size < 0) {
				hdr.result = size;
			} else {
				hdr.size = min_t(u32, hdr.size, size);
				if (copy_to_user(u64_to_user_ptr(hdr.query_data),
						 &ans, hdr.size))
					return -EFAULT;
				hdr.result = 0;
			}
		}
		if (copy_to_user(uhdr, &hdr, sizeof(hdr)))
			return -EFAULT;

		uhdr = u64_to_user_ptr(hdr.next_entry);
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}
