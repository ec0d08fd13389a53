#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo, run inside the guest: show the patched kernel and the netdevsim
# datapath: two ports in two network namespaces linked as peers, header
# split on, a TCP transfer with every byte checked, per-queue page_pool
# stats, devmem TCP into a udmabuf, and io_uring zero-copy receive into
# a user-memory area.
set -eu
bus=/sys/bus/netdevsim
ksft=$NETMEM_ROOT/build/out/vm/kselftest_install/net/netmem
tp=$ksft/tcp_pattern
hds=$ksft/hds

echo "== kernel"
uname -a
echo
echo "== two netdevsim devices, one port and 4 queues each, in namespaces a and b"
[ -d $bus ] || modprobe netdevsim
ip netns add a
ip netns add b
ip netns exec a sh -c "echo '10 1 4' > $bus/new_device"
ip netns exec b sh -c "echo '11 1 4' > $bus/new_device"
sleep 1
dev_a=$(ip -n a -o link show | awk -F': ' '$2 != "lo" && $2 !~ /@/ { print $2; exit }')
dev_b=$(ip -n b -o link show | awk -F': ' '$2 != "lo" && $2 !~ /@/ { print $2; exit }')
ifx_a=$(ip -n a -o link show dev "$dev_a" | cut -d: -f1)
ifx_b=$(ip -n b -o link show dev "$dev_b" | cut -d: -f1)
exec {fd_a}</run/netns/a
exec {fd_b}</run/netns/b
echo "+ echo '$fd_a:$ifx_a $fd_b:$ifx_b' > $bus/link_device"
echo "$fd_a:$ifx_a $fd_b:$ifx_b" > $bus/link_device
ip -n a addr add 192.0.2.1/24 dev "$dev_a"
ip -n b addr add 192.0.2.2/24 dev "$dev_b"
ip -n a link set "$dev_a" up
ip -n b link set "$dev_b" up
ip -n a -br addr show dev "$dev_a"
ip -n b -br addr show dev "$dev_b"
echo
echo "== header split on in b (ethtool netlink TCP_DATA_SPLIT; ethtool 6.1 only shows it)"
ip netns exec b "$hds" "$dev_b" on
echo "tcp-data-split: $(ip netns exec b "$hds" "$dev_b" get)"
ip netns exec b ethtool -g "$dev_b"
ip netns exec b ethtool -l "$dev_b"
echo
echo "== steer TCP port 9000 to queue 2 in b"
ip netns exec b ethtool -N "$dev_b" flow-type tcp4 dst-port 9000 action 2 loc 0
ip netns exec b ethtool -n "$dev_b"
echo
tmp=$(mktemp -d)
echo "== 4 MiB a -> b over TCP to queue 2, plain recv(), every byte checked"
ip netns exec b "$tp" -l -p 9000 -n $((4 << 20)) > "$tmp/plain" &
ip netns exec a "$tp" -c 192.0.2.2 -p 9000 -n $((4 << 20))
wait
cat "$tmp/plain"
echo
echo "== ethtool -S in b: per-queue packets, header-split frames, page_pool stats"
ip netns exec b ethtool -S "$dev_b" | grep -v ': 0$'
echo
echo "== devmem TCP: 4 MiB a -> b into a udmabuf bound to queue 2 of b"
echo "   (bind-rx over netdev generic netlink; recvmsg(MSG_SOCK_DEVMEM) hands out"
echo "   dma-buf offsets and tokens; every byte checked by reading the memfd)"
ip netns exec b ethtool -N "$dev_b" flow-type tcp4 dst-port 9001 action 2 loc 1
ip netns exec b "$ksft/devmem_rx" -l -i "$dev_b" -q 2 -k 1 -p 9001 -s 1 -S 32 \
	> "$tmp/devmem" &
ip netns exec a "$tp" -c 192.0.2.2 -L -p 9001 -s 1 -n $((4 << 20)) > /dev/null
wait
cat "$tmp/devmem"
echo
echo "== io_uring zero-copy receive: 4 MiB a -> b into a user-memory area bound to queue 2 of b"
echo "   (IORING_REGISTER_ZCRX_IFQ, multishot IORING_OP_RECV_ZC, buffers back through"
echo "   the refill ring; every byte checked in the area)"
# other_rx_bytes: bytes received on the queues of b other than 2
other_rx_bytes() {
	ip netns exec b ethtool -S "$dev_b" |
		awk '$1 ~ /^rx[0-9]+_bytes:$/ && $1 != "rx2_bytes:" { t += $2 } END { print t + 0 }'
}
ip netns exec b ethtool -N "$dev_b" flow-type tcp4 dst-port 9002 action 2 loc 2
o0=$(other_rx_bytes)
ip netns exec b "$ksft/iou_zcrx" -i "$dev_b" -q 2 -n /run/netns/a -a 192.0.2.2 \
	-p 9002 -P 9003 -m 4 demo | grep -v '^CASE' | tee "$tmp/zcrx"
o1=$(other_rx_bytes)
echo "zcrx: bytes on other queues (copied by the fallback, not zero-copy): $((o1 - o0))"
echo
echo "== the same 4 MiB to the same queue, three ways (a guest under TCG with KASAN on: compare them, do not extrapolate)"
plain=$(awk '/^received/ { print $(NF - 1) }' "$tmp/plain")
devmem=$(awk '/from the first accept/ { print $(NF - 1) }' "$tmp/devmem")
zcrx=$(awk '/^zcrx: .* MB\/s/ { print $(NF - 1) }' "$tmp/zcrx")
awk -v p="$plain" -v d="$devmem" -v z="$zcrx" 'BEGIN {
	printf "plain recv():           %8.2f MB/s (copied to user)\n", p
	printf "devmem recvmsg():       %8.2f MB/s (into the dma-buf, 0 copied)\n", d
	printf "io_uring RECV_ZC:       %8.2f MB/s (into the area, 0 copied)\n", z
	if (p > 0)
		printf "devmem / plain:         %8.2f\nzcrx / plain:           %8.2f\n", d / p, z / p
}'
rm -rf "$tmp"
echo
echo "== a restart of queue 2 leaves the others running"
echo 2 > /sys/kernel/debug/netdevsim/netdevsim11/ports/0/queue_reset
ip netns exec b ethtool -S "$dev_b" | grep 'rx2_pp_alloc' | head -3
echo
echo "10" > $bus/del_device
echo "11" > $bus/del_device
ip netns del a
ip netns del b
echo "== netdevsim devices 10 and 11 deleted"
