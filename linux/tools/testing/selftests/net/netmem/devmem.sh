#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# devmem TCP on the netdevsim datapath: a udmabuf bound to one RX queue of
# the receiving port, a steering rule putting the flow on that queue, the
# peer namespace sending a known pattern. devmem_rx checks every byte
# (from the memfd behind the dma-buf, or from the iov for bytes that came
# linear), gives the tokens back in batches, and checks the page_pools of
# the binding are gone after unbind. Splats and leaks are the harness's to
# catch (KASAN, kmemleak, lockdep).

set -u
ksft_skip=4
ret=0
num=0
ns_a="dm-a-$RANDOM"
ns_b="dm-b-$RANDOM"
id_a=$((RANDOM % 1000 + 3000))
id_b=$((id_a + 1))
queues=4
q=2
bus=/sys/bus/netdevsim
dir=$(dirname "$0")
tp="$dir/tcp_pattern"
rx="$dir/devmem_rx"
port=9500
bg_pids=()
tmp=$(mktemp -d)

cleanup() {
	local p

	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	echo "$id_a" > $bus/del_device 2>/dev/null
	echo "$id_b" > $bus/del_device 2>/dev/null
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for tool in ip ethtool; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool not found"
		exit $ksft_skip
	fi
done
for prog in "$tp" "$rx" "$dir/hds"; do
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

ns_dev() {
	ip -n "$1" -o link show | awk -F': ' '$2 != "lo" && $2 !~ /@/ { print $2; exit }'
}

# rxq_stat NAME: counter rx<q>_NAME of the receiving port
rxq_stat() {
	ip netns exec "$ns_b" ethtool -S "$dev_b" |
		awk -v n="rx${q}_$1:" '$1 == n { v = $2 } END { print v + 0 }'
}

set -e
ip netns add "$ns_a"
ip netns add "$ns_b"
ip netns exec "$ns_a" sh -c "echo $id_a 1 $queues > $bus/new_device"
ip netns exec "$ns_b" sh -c "echo $id_b 1 $queues > $bus/new_device"
for i in $(seq 50); do
	dev_a=$(ns_dev "$ns_a")
	dev_b=$(ns_dev "$ns_b")
	[ -n "$dev_a" ] && [ -n "$dev_b" ] && break
	sleep 0.1
done
ifx_a=$(ip -n "$ns_a" -o link show dev "$dev_a" | cut -d: -f1)
ifx_b=$(ip -n "$ns_b" -o link show dev "$dev_b" | cut -d: -f1)
exec {fd_a}<"/run/netns/$ns_a"
exec {fd_b}<"/run/netns/$ns_b"
echo "$fd_a:$ifx_a $fd_b:$ifx_b" > $bus/link_device
ip -n "$ns_a" addr add 192.0.2.1/24 dev "$dev_a"
ip -n "$ns_b" addr add 192.0.2.2/24 dev "$dev_b"
ip -n "$ns_a" link set "$dev_a" up
ip -n "$ns_b" link set "$dev_b" up
ip -n "$ns_b" link set lo up
set +e

# The uAPI without a binding: layouts, DONTNEED errors, readable data
# through MSG_SOCK_DEVMEM.
ip netns exec "$ns_b" "$rx" -E
result "uapi: layouts, DONTNEED errnos, MSG_SOCK_DEVMEM on readable data" $?

ip netns exec "$ns_b" "$dir/hds" "$dev_b" on || ret=1

steer() {
	echo "ethtool -N $dev_b flow-type tcp4 dst-port $1 action $2 loc 3"
}

# serve NAME LISTS RX-ARGS: one devmem_rx bound to queue $q, then for each
# WSIZE/SIZE,SIZE,... of LISTS a tcp_pattern sender making a connection
# per size with writes of WSIZE. The steering rule puts the port on $q;
# the queue must drop nothing (its pool never runs dry).
serve() {
	local name=$1 lists=$2 rxargs=$3 l n=0 rpid rc=0 start=$SECONDS
	local drops0 drops1

	port=$((port + 1))
	for l in $lists; do
		n=$((n + $(echo "${l#*/}" | tr ',' '\n' | wc -l)))
	done
	ip netns exec "$ns_b" $(steer $port $q) || return 1
	drops0=$(rxq_stat drops)
	eval "ip netns exec $ns_b $rx -l -i $dev_b -q $q -k $n -p $port \
		-s $port -S 32 $rxargs" &
	rpid=$!
	bg_pids+=($rpid)
	for l in $lists; do
		ip netns exec "$ns_a" "$tp" -c 192.0.2.2 -L -p $port \
			-n "${l#*/}" -w "${l%%/*}" -s $port -t 60 \
			> /dev/null || rc=1
	done
	wait $rpid || rc=1
	drops1=$(rxq_stat drops)
	echo "# $name: $n connections, $((SECONDS - start))s, queue $q drops $drops0 -> $drops1"
	[ "$drops1" -eq "$drops0" ] || { echo "# the pool ran dry"; rc=1; }
	return $rc
}

# MiBs at several write sizes, tokens back in batches of 256 frags (the
# guest runs under TCG with KASAN: a few MiB take a minute).
serve "devmem" \
	"65536/2097152,1,1449 9973/1048576,100003 1448/524288 4096/1048576" \
	"-b 256"
result "devmem: 4.6 MiB in 7 connections at 4 write sizes, every byte checked from the dma-buf" $?

# Linear fallback: for the middle of the stream the flow goes to queue 0,
# which has no binding and gives readable skbs (page frags); those bytes
# come SCM_DEVMEM_LINEAR. Header split cannot be turned off meanwhile: the
# device has a bound queue.
away="$(steer $((port + 1)) 0) && ! $dir/hds $dev_b off 2>/dev/null"
back="$(steer $((port + 1)) $q)"
serve "fallback" "65536/2097152" \
	"-m -b 64 -x '524288:$away' -x '1310720:$back'"
result "devmem: linear fallback for part of a 2 MiB stream, every byte checked" $?

# Close the socket with its tokens outstanding, then unbind: the socket
# gives every frag back, the binding's pools go away.
serve "hold" "65536/262144" "-H"
result "devmem: close with tokens outstanding, unbind: pools gone, nothing in flight" $?

exit $ret
