/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOU_ZCRX_H
#define IOU_ZCRX_H

#include <linux/io_uring_types.h>

struct vm_area_struct;

/* mmap offsets of zcrx refill ring regions: base | (zcrx id << shift) */
#define IORING_OFF_ZCRX_REGION		0x30000000ULL
#define IORING_OFF_ZCRX_SHIFT		16
/* Layout of the refill ring in its region: the head (written by the
 * kernel) and the tail (written by user space) on their own cache lines,
 * then the entries.
 */
#define IO_ZCRX_RQ_HEAD_OFF		0
#define IO_ZCRX_RQ_TAIL_OFF		64
#define IO_ZCRX_RQ_HDR_SIZE		128
#define IO_ZCRX_RQ_HDR_ALIGN		64

#define IO_ZCRX_MAX_IFQS		(0x08000000ULL >> IORING_OFF_ZCRX_SHIFT)

#if defined(CONFIG_IO_URING_ZCRX)
int io_register_zcrx_ifq(struct io_ring_ctx *ctx, void __user *arg);
int io_register_zcrx_ctrl(struct io_ring_ctx *ctx, void __user *arg);
void io_unregister_zcrx_ifqs(struct io_ring_ctx *ctx);
void *io_zcrx_region_ptr(struct io_ring_ctx *ctx, loff_t offset, size_t sz);
int io_zcrx_mmap(struct io_ring_ctx *ctx, struct vm_area_struct *vma,
		 loff_t offset);
int io_recvzc_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe);
int io_recvzc(struct io_kiocb *req, unsigned int issue_flags);
#else
static inline int io_register_zcrx_ifq(struct io_ring_ctx *ctx,
				       void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline int io_register_zcrx_ctrl(struct io_ring_ctx *ctx,
					void __user *arg)
{
	return -EOPNOTSUPP;
}

static inline void io_unregister_zcrx_ifqs(struct io_ring_ctx *ctx)
{
}

static inline void *io_zcrx_region_ptr(struct io_ring_ctx *ctx,
				       loff_t offset, size_t sz)
{
	return ERR_PTR(-EINVAL);
}

static inline int io_zcrx_mmap(struct io_ring_ctx *ctx,
			       struct vm_area_struct *vma, loff_t offset)
{
	return -EINVAL;
}
#endif

int io_query(void __user *arg, unsigned int nr_args);

#endif
