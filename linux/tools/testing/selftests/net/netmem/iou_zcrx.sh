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
# Splats and leaks are the harness's to catch (KASAN, kmemleak, lockdep).

set -u
ksft_skip=4
ret=0
num=0
dir=$(dirname "$0")
zc="$dir/iou_zcrx"
q=2
port=9600
fb_port=9599
tmp=$(mktemp -d)

# ---------------------------------------------------------------- setup
# A linked netdevsim pair: $dev_a in $ns_a (192.0.2.1) sends, $dev_b in
# $ns_b (192.0.2.2) receives; $queues RX queues each. Kept apart from the
# cases so that it can move to a shared lib.sh.
ns_a="zc-a-$RANDOM"
ns_b="zc-b-$RANDOM"
id_a=$((RANDOM % 1000 + 4000))
id_b=$((id_a + 1))
queues=4
bus=/sys/bus/netdevsim

nsim_ns_dev() {
	ip -n "$1" -o link show | awk -F': ' '$2 != "lo" && $2 !~ /@/ { print $2; exit }'
}

nsim_pair_setup() {
	local i fd_a fd_b

	ip netns add "$ns_a" || return 1
	ip netns add "$ns_b" || return 1
	ip netns exec "$ns_a" sh -c "echo $id_a 1 $queues > $bus/new_device" || return 1
	ip netns exec "$ns_b" sh -c "echo $id_b 1 $queues > $bus/new_device" || return 1
	for i in $(seq 50); do
		dev_a=$(nsim_ns_dev "$ns_a")
		dev_b=$(nsim_ns_dev "$ns_b")
		[ -n "$dev_a" ] && [ -n "$dev_b" ] && break
		sleep 0.1
	done
	ifx_a=$(ip -n "$ns_a" -o link show dev "$dev_a" | cut -d: -f1)
	ifx_b=$(ip -n "$ns_b" -o link show dev "$dev_b" | cut -d: -f1)
	exec {fd_a}<"/run/netns/$ns_a"
	exec {fd_b}<"/run/netns/$ns_b"
	echo "$fd_a:$ifx_a $fd_b:$ifx_b" > $bus/link_device || return 1
	exec {fd_a}<&- {fd_b}<&-
	ip -n "$ns_a" addr add 192.0.2.1/24 dev "$dev_a" &&
	ip -n "$ns_b" addr add 192.0.2.2/24 dev "$dev_b" &&
	ip -n "$ns_a" link set "$dev_a" up &&
	ip -n "$ns_b" link set "$dev_b" up &&
	ip -n "$ns_b" link set lo up
}

nsim_pair_cleanup() {
	echo "$id_a" > $bus/del_device 2>/dev/null
	echo "$id_b" > $bus/del_device 2>/dev/null
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
}

# nsim_steer PORT QUEUE LOC: TCP to PORT on $dev_b goes to QUEUE
nsim_steer() {
	ip netns exec "$ns_b" ethtool -N "$dev_b" flow-type tcp4 dst-port "$1" \
		action "$2" loc "$3"
}
# ---------------------------------------------------------------- end setup

cleanup() {
	nsim_pair_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

for tool in ip ethtool; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool not found"
		exit $ksft_skip
	fi
done
for prog in "$zc" "$dir/hds"; do
	if [ ! -x "$prog" ]; then
		echo "SKIP: $prog not built"
		exit $ksft_skip
	fi
done
if [ ! -w $bus/link_device ] || [ ! -e /dev/udmabuf ]; then
	echo "SKIP: netdevsim without peer links, or no /dev/udmabuf"
	exit $ksft_skip
fi

result() {
	local name=$1 rc=$2

	num=$((num + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $num $name"
	else
		echo "not ok $num $name"
		ret=1
	fi
}

# rxq_bytes QUEUE: bytes received on QUEUE of $dev_b
rxq_bytes() {
	ip netns exec "$ns_b" ethtool -S "$dev_b" |
		awk -v n="rx$1_bytes:" '$1 == n { v = $2 } END { print v + 0 }'
}

# run CASE...: one iou_zcrx for all CASEs; a result per case from its
# "CASE pass|fail NAME" line, a failure for each case it never finished.
run() {
	local c line rc start=$SECONDS

	ip netns exec "$ns_b" "$zc" -i "$dev_b" -q $q -Q $queues \
		-n "/run/netns/$ns_a" -a 192.0.2.2 -p $port -P $fb_port \
		-O "$dir/hds $dev_b off" -o "$dir/hds $dev_b on" \
		-D "echo $id_b > $bus/del_device" -m 4 "$@" 2>&1 | tee "$tmp/out"
	rc=${PIPESTATUS[0]}
	for c in "$@"; do
		line=$(grep "^CASE [a-z]* $c " "$tmp/out")
		case "$line" in
		"CASE pass "*) result "iou_zcrx $c" 0 ;;
		"CASE fail "*) result "iou_zcrx $c" 1 ;;
		*) result "iou_zcrx $c (did not finish, exit $rc)" 1 ;;
		esac
	done
	echo "# iou_zcrx $*: $((SECONDS - start))s"
}

if ! nsim_pair_setup; then
	echo "# netdevsim setup failed"
	exit 1
fi
ip netns exec "$ns_b" "$dir/hds" "$dev_b" on || exit 1
nsim_steer $port $q 0 || exit 1
nsim_steer $fb_port 0 1 || exit 1

run query errors

# The main transfers: their bytes must come in on queue $q
b0=$(rxq_bytes $q)
run rx dmabuf
b1=$(rxq_bytes $q)
echo "# queue $q received $((b1 - b0)) bytes"
[ $((b1 - b0)) -ge $((5 << 20)) ]
result "rx, dmabuf: their 5 MiB of payload came in on queue $q" $?

# The copy fallback: the flow on queue 0
f0=$(rxq_bytes 0)
run nodev fallback overflow close
f1=$(rxq_bytes 0)
echo "# queue 0 received $((f1 - f0)) bytes"
[ $((f1 - f0)) -ge $((1 << 20)) ]
result "fallback: its 1 MiB came in on queue 0" $?

# Last: the device goes away mid-stream.
run delete

exit $ret
