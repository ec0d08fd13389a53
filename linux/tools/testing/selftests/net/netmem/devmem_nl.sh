#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netdev netlink family and the dma-buf memory provider on the
# netdevsim peer pair: devmem_nl binds an RX queue of the receiving port to
# a udmabuf and checks bind-rx errors, queue-get, page-pool-get,
# page-pool-stats-get against ethtool -S, that steered traffic lands in the
# dma-buf (unreadable), and the teardown when its netlink socket closes.
# Then a plain TCP transfer on that queue checks every byte, and the
# device is deleted while a binding holds buffers in a socket. Splats and
# leaks are the harness's to catch (KASAN, kmemleak, lockdep).

set -u
ksft_skip=4
ret=0
num=0
ns_a="dmnl-a-$RANDOM"
ns_b="dmnl-b-$RANDOM"
id_a=$((RANDOM % 1000 + 3000))
id_b=$((id_a + 1))
queues=4
bound=2
other=1
bus=/sys/bus/netdevsim
dir=$(cd "$(dirname "$0")" && pwd)
tp="$dir/tcp_pattern"
port=9400
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
for prog in tcp_pattern hds devmem_nl; do
	if [ ! -x "$dir/$prog" ]; then
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

# rx_bytes Q: ethtool -S counter of the receiving port's queue Q
rx_bytes() {
	ip netns exec "$ns_b" ethtool -S "$dev_b" |
		awk -v n="rx$1_bytes:" '$1 == n { print $2 }'
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
ip netns exec "$ns_b" "$dir/hds" "$dev_b" on
# Flows to these ports go to the queue under test.
for i in 0 1 2; do
	ip netns exec "$ns_b" ethtool -N "$dev_b" flow-type tcp4 \
		dst-port $((port + i)) action $bound loc $((i + 1))
done
set +e

# The netlink family, bind-rx and the binding's lifetime
echo "# setup: ${SECONDS}s"
start=$SECONDS
ip netns exec "$ns_b" "$dir/devmem_nl" -i "$ifx_b" -d "$dev_b" \
	-q $bound -o $other -p $port -H "$dir/hds $dev_b" -t 30 \
	-c "ip netns exec $ns_a $tp -c 192.0.2.2 -p $port -n 1048576 -t 30 >/dev/null 2>&1"
rc=$?
result "devmem_nl: netdev family, bind-rx, unbind on close ($((SECONDS - start))s)" $rc

# The queue receives on pages again: a plain transfer, every byte checked.
rc=0
start=$SECONDS
bytes=$((1 << 20))
b0=$(rx_bytes $bound)
ip netns exec "$ns_b" "$tp" -l -p $((port + 1)) -n $bytes -t 60 > /dev/null &
rpid=$!
ip netns exec "$ns_a" "$tp" -c 192.0.2.2 -p $((port + 1)) -n $bytes -t 60 \
	> /dev/null || rc=1
wait $rpid || rc=1
b1=$(rx_bytes $bound)
echo "# queue $bound: +$((b1 - b0)) bytes"
[ $((b1 - b0)) -ge $bytes ] || rc=1
result "after unbind: 1 MiB on the same queue, every byte checked ($((SECONDS - start))s)" $rc

# Delete the device while a binding holds buffers in a socket.
rc=0
start=$SECONDS
mkfifo "$tmp/hold"
ip netns exec "$ns_b" "$dir/devmem_nl" -w -i "$ifx_b" -q $bound \
	-p $((port + 2)) -t 30 < "$tmp/hold" > "$tmp/hold.out" &
hpid=$!
bg_pids+=($hpid)
exec {hold}>"$tmp/hold"
for i in $(seq 100); do
	grep -q '^bound' "$tmp/hold.out" && break
	sleep 0.2
done
ip netns exec "$ns_a" "$tp" -c 192.0.2.2 -p $((port + 2)) -n $((1 << 20)) \
	-t 20 > /dev/null 2>&1 &
spid=$!
bg_pids+=($spid)
for i in $(seq 150); do
	grep -q '^data' "$tmp/hold.out" && break
	sleep 0.2
done
grep -q '^data' "$tmp/hold.out" || { echo "# no data on the bound queue"; rc=1; }
sleep 1
echo "$id_b" > $bus/del_device || rc=1
exec {hold}>&-
wait $hpid || rc=1
sed 's/^/# /' "$tmp/hold.out"
kill $spid 2>/dev/null
result "device deleted while bound with buffers in a socket ($((SECONDS - start))s)" $rc

exit $ret
