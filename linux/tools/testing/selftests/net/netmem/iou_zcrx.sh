#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# io_uring zero-copy receive on the netdevsim datapath: iou_zcrx registers
# a zcrx on RX queue $q of the receiving port (header split on, the test
# flows steered to the queue) and receives with RECV_ZC from a sender it
# forks into the peer namespace. Every byte is checked in the area and
# every buffer goes back through the refill ring; errnos, leaks (VmPin,
# zcrx page_pools) and teardown with buffers held are checked by the
# program, one process running many cases (launches are slow under TCG).
# Last, on a second pair, the uAPI fuzzer runs while both devices are
# deleted at a moment drawn from its seed.
# Splats and leaks are the harness's to catch (KASAN, kmemleak, lockdep).

source "$(dirname "$0")/lib.sh"

q=2
queues=4
port=9600
fb_port=9599
zc="$LIB_DIR/iou_zcrx"
# The uAPI fuzzer's budget and seed (make check: 30 s, seed 1)
fuzz_secs=${FUZZ_SECS:-30}
fuzz_seed=${FUZZ_SEED:-1}

require_cmds ip ethtool
require_progs iou_zcrx hds
require_nsim udmabuf

NSIM_ID_BASE=4000

# pair NAME: a netdevsim pair, header split on, the test ports steered; and
# the commands for the delete and restart cases, which name its devices
pair() {
	nsim_pair_create $1 $queues || { echo "# netdevsim setup failed"; exit 1; }
	nsim_hds on || exit 1
	nsim_steer $port $q 0 || exit 1
	nsim_steer $fb_port 0 1 || exit 1
	step "hds, steering"

	# The delete cases run this while the ring holds buffers: both
	# devices go (with the driver module, if netdevsim is one), so
	# nothing may stay mapped.
	del_cmd="echo $ID_B > $NSIM_BUS/del_device && echo $ID_A > $NSIM_BUS/del_device"
	[ -e /sys/module/netdevsim/refcnt ] && del_cmd="$del_cmd && rmmod netdevsim"
	if [ "${ZCRX_SWIOTLB:-0}" = 1 ]; then
		del_cmd="$del_cmd && n=\$(cat $tlb) &&
			 echo \"# swiotlb slabs in use: \$n\" && [ \$n -eq 0 ]"
	fi

	# The restart case: netdevsim restarts the queue (new page_pool)
	restart_cmd="echo $q > /sys/kernel/debug/netdevsim/netdevsim$ID_B/ports/0/queue_reset"
}
tlb=/sys/kernel/debug/swiotlb/io_tlb_used
pair zc

# rxq_bytes QUEUE: bytes received on QUEUE of port B
rxq_bytes() {
	nsim_stats "$NS_B" "$DEV_B"
	nsim_stat "rx$1_bytes"
}

# run CASE...: one iou_zcrx for all CASEs; a result per case from its
# "CASE pass|fail NAME" line, a failure for each case it never finished.
run() {
	local c line rc

	$IN_B "$zc" -i "$DEV_B" -q $q -Q $queues -n "/run/netns/$NS_A" \
		-a "$ADDR_B" -p $port -P $fb_port \
		-O "$LIB_DIR/hds $DEV_B off" -o "$LIB_DIR/hds $DEV_B on" \
		-D "$del_cmd" -R "$restart_cmd" -m 4 -F "$fuzz_secs" \
		-S "$fuzz_seed" "$@" \
		> "$LIB_TMP/out" 2>&1
	rc=$?
	cat "$LIB_TMP/out"
	for c in "$@"; do
		line=$(grep "^CASE [a-z]* $c " "$LIB_TMP/out")
		case "$line" in
		"CASE pass "*) result "iou_zcrx $c" 0 ;;
		"CASE fail "*) result "iou_zcrx $c" 1 ;;
		*) result "iou_zcrx $c (did not finish, exit $rc)" 1 ;;
		esac
	done
	step "iou_zcrx $*"
}

# ZCRX_SWIOTLB=1: the guest booted with swiotlb=force; only the copy-free
# receive into user memory runs, to show that its bytes reach user space
# through bounce buffers (the zcrx must sync them for the CPU), and the
# devices' removal with buffers held, which must leave no bounce slot used.
if [ "${ZCRX_SWIOTLB:-0}" = 1 ]; then
	used=$(cat $tlb 2>/dev/null || echo 0)
	echo "# swiotlb slabs in use with the pools mapped: $used"
	[ "$used" -gt 0 ]
	result "swiotlb=force: the device's DMA bounces" $?
	run rx urgent delete
	exit $ret
fi

run query errors bindrace
if [ -w /proc/self/fail-nth ]; then
	run failnth
else
	result "iou_zcrx failnth # SKIP kernel without fault injection" 0
fi

# The main transfers: their bytes must come in on queue $q
b0=$(rxq_bytes $q)
run rx dmabuf urgent
b1=$(rxq_bytes $q)
echo "# queue $q received $((b1 - b0)) bytes"
[ $((b1 - b0)) -ge $((5 << 20)) ]
result "rx, dmabuf: their 5 MiB of payload came in on queue $q" $?

# The copy fallback: the flow on queue 0
f0=$(rxq_bytes 0)
run nodev fallback refill overflow close len restart uid exitlive
f1=$(rxq_bytes 0)
echo "# queue 0 received $((f1 - f0)) bytes"
[ $((f1 - f0)) -ge $((1 << 20)) ]
result "fallback: its 1 MiB came in on queue 0" $?

run fuzz

# The device goes away mid-stream.
run delete

# Last, on a new pair: the fuzzer while the devices go (and the module),
# at a moment drawn from the seed, whatever an episode is doing then.
ip netns del "$NS_A"
ip netns del "$NS_B"
require_nsim udmabuf
pair zd
run fuzzdel

exit $ret
