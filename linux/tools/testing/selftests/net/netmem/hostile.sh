#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A hostile peer against a bound queue, on a receiver configured like a
# distribution's. Port B has one RX queue, bound to a udmabuf (devmem), so
# every frame the peer sends lands with its payload in memory the CPU must
# not read. The receiving namespace runs what a host commonly runs on such
# frames: nftables (a raw payload match, conntrack state, NFLOG), iptables
# (string, u32, NFLOG), tc ingress (u32; Debian's tc has no text ematch),
# a vxlan device (VNI 42) on the port, and an observer that takes NFLOG
# copies, captures the port with a packet socket and accepts MPTCP
# connections. Meanwhile devmem_rx receives three TCP connections, one
# sending every write with MSG_OOB, one in 7-byte writes and hostile.py's
# own, and checks every byte; hostile.py sends ICMP timestamps and echoes,
# UDP to a closed port, overlapping and reordered IPv4 fragments, frames
# with trailers, IPv6 fragments and VXLAN frames, from a seeded generator,
# two MPTCP connections (DSS checksum off, on), then its TCP stream in
# segments out of order, repeated, overlapping, one byte long, with bad
# checksums and an urgent pointer, among ACKs with SACK blocks.
#
# The fragment attacks leave incomplete datagrams in the reassembly
# queues, and their fragments hold buffers of the binding until the queue
# times out (30 s for IPv4, 60 s for IPv6 by default). The receiving
# namespace shortens both timeouts to 2 s, so that those buffers come back
# well within devmem_rx's wait for the pools after the unbind, and the test
# checks that reassembly did time out some.
#
# Then kTLS receive and a sockmap (pass, and redirect to another socket)
# take a connection of the bound queue: each must fail, not read.
#
# Then the same attacks run again while an io_uring zcrx takes the queue
# (iou_zcrx hostile: urgent and 7-byte writes, every byte checked).
#
# Pass: the devmem bytes are right, the binding's pools are gone after the
# unbind (devmem_rx checks), the rules saw the frames, and the harness
# finds no splat in the kernel log (WARN, BUG, KASAN, kmemleak).
# HOSTILE_COUNT (64) and HOSTILE_SEED (1) set the attacks' size and seed.

source "$(dirname "$0")/lib.sh"

port=9700
count=${HOSTILE_COUNT:-64}
seed=${HOSTILE_SEED:-1}
py="python3 $LIB_DIR/hostile.py"

require_cmds ip ethtool iptables ip6tables nft tc python3
require_progs tcp_pattern hds devmem_rx iou_zcrx
require_nsim udmabuf

NSIM_ID_BASE=5000
nsim_pair_create hp 1 || { echo "# netdevsim pair setup failed"; exit 1; }
nsim_hds on || exit 1
step "pair, header split"

in_ns "$NS_B" nft -f - <<-EOF || exit 1
	table inet hostile {
		chain pre {
			type filter hook prerouting priority 0;
			@th,160,32 0x41414141 counter
		}
		chain in {
			type filter hook input priority 0;
			ct state established counter
			meta l4proto udp log group 5
		}
	}
EOF
in_ns "$NS_B" sh -e -c "
	iptables -A INPUT -m string --algo kmp --string needle
	iptables -A INPUT -m string --algo bm --string needle --from 40
	iptables -A INPUT -m u32 --u32 '0>>22&0x3C@12=0x41414141'
	iptables -A INPUT -m u32 --u32 '6&0xFF=1 && 0>>22&0x3C@8=0x41414141'
	iptables -A INPUT -j NFLOG --nflog-group 5
	ip6tables -A INPUT -j NFLOG --nflog-group 5
	echo 2 > /proc/sys/net/ipv4/ipfrag_time
	ip link add vx0 type vxlan id 42 dstport 4789 local $ADDR_B dev $DEV_B
	ip addr add 198.51.100.2/24 dev vx0
	ip link set vx0 up
	echo 2 > /proc/sys/net/ipv6/ip6frag_time
	tc qdisc add dev $DEV_B ingress
	tc filter add dev $DEV_B ingress protocol ip prio 1 u32 \
		match u32 0x41414141 0xffffffff at 100 classid 1:1
" || { echo "# rules setup failed"; exit 1; }
step "nftables, iptables, tc, vxlan"

# Through nsenter, which execs: $! is the observer itself, for kill.
$IN_B $py -l "$DEV_B" -g 5 -t 600 -m $((port + 30)) > "$LIB_TMP/listen.out" 2>&1 &
lpid=$!
bg_pids+=($lpid)
# hostile.py's own TCP connection (raw sockets, source ports 40000-40099):
# the sending stack must not reset it.
in_ns "$NS_A" iptables -A OUTPUT -p tcp --sport 40000:40099 \
	--tcp-flags RST RST -j DROP || { echo "# RST rule failed"; exit 1; }
in_ns "$NS_B" "$LIB_DIR/devmem_rx" -l -i "$DEV_B" -q 0 -k 3 -p $port \
	-s 9 -S 8 -b 256 > "$LIB_TMP/rx.out" 2>&1 &
rpid=$!
bg_pids+=($rpid)
in_ns "$NS_A" "$LIB_DIR/tcp_pattern" -c $ADDR_B -L -p $port -s 9 -t 120 \
	-n "524288/9973u,30011/7" > "$LIB_TMP/tx.out" 2>&1 &
spid=$!
bg_pids+=($spid)
in_ns "$NS_A" $py -4 $ADDR_A $ADDR_B -6 $ADDR6_A $ADDR6_B -s "$seed" \
	-n "$count" -t 300 -p $port -P 9 -m $((port + 30)) \
	> "$LIB_TMP/attack.out" 2>&1
arc=$?
wait $spid
src=$?
wait $rpid
rrc=$?
step "attacks and devmem transfer"
expired=0 expired6=0
while read -r name val _; do
	case $name in
	IpReasmTimeout) expired=$val ;;
	Ip6ReasmTimeout) expired6=$val ;;
	esac
done < <(in_ns "$NS_B" nstat -saz IpReasmTimeout Ip6ReasmTimeout)
echo "# reassembly timed out: $expired IPv4, $expired6 IPv6 datagrams"
sleep 1
kill $lpid 2>/dev/null
wait $lpid
printf '# %s\n' "$(cat "$LIB_TMP/attack.out")" "$(cat "$LIB_TMP/rx.out")" \
	"$(cat "$LIB_TMP/listen.out")"

result "hostile.py sent every attack" \
	$([ $arc -eq 0 ] && [ "$(grep -c '^attack ' "$LIB_TMP/attack.out")" -eq 9 ]; echo $?)
grep -q '^attack tcp_stream: .* acked, closed$' "$LIB_TMP/attack.out"
result "TCP out of order, repeated, overlapping, 1-byte, bad csum, URG, SACK: acked, closed" $?
rc=0
[ $src -eq 0 ] && [ $rrc -eq 0 ] && grep -q "devmem_rx: done" "$LIB_TMP/rx.out" &&
	! grep -q "FAIL" "$LIB_TMP/rx.out" || rc=1
result "devmem: urgent, 7-byte and the attack's TCP writes, every byte in band, pools gone" $rc
[ "$expired" -gt 0 ]
result "incomplete datagrams timed out, their buffers back before the pools went" $?

# The rules ran on the frames: NFLOG copies and captures came in.
read -r nflog _ pkts _ < <(sed -n 's/^listen: //p' "$LIB_TMP/listen.out")
echo "# observer: ${nflog:-0} NFLOG copies, ${pkts:-0} captured frames"
[ "${nflog:-0}" -gt 0 ] && [ "${pkts:-0}" -gt 0 ]
result "NFLOG copy mode and a packet socket saw the frames" $?
# The MPTCP receiver read nothing of either connection.
mptcp=$(sed -n 's/^listen: .*, mptcp //p' "$LIB_TMP/listen.out")
grep -q '^attack mptcp: 2 connections' "$LIB_TMP/attack.out" &&
	[[ "$mptcp" =~ ^0/[A-Z]+\ 0/[A-Z]+$ ]]
result "MPTCP, DSS checksum off and on: both accepted, no byte read ($mptcp)" $?
in_ns "$NS_B" iptables -L INPUT -v -x -n | sed 's/^/# /'
in_ns "$NS_B" nft list table inet hostile | grep counter | sed 's/^/# /'
in_ns "$NS_B" tc -s filter show dev "$DEV_B" ingress | grep -c "^filter" |
	sed 's/^/# tc filters: /'
in_ns "$NS_B" ip -s link show vx0 | sed 's/^/# /'

# Stack features that hand payload to the CPU, on a connection of the
# bound queue: kTLS receive, a sockmap passing to the socket, a sockmap
# redirecting to another socket's egress. Each must fail the socket with
# EFAULT, deliver no byte, and leave no buffer behind. A sockmap takes only
# established sockets: 1 MiB, more than the window, keeps the sender busy
# until the socket is in the map.
for mode in tls pass redirect; do
	bytes=1048576
	[ $mode = tls ] && bytes=20000
	in_ns "$NS_B" "$LIB_DIR/devmem_rx" -l -i "$DEV_B" -q 0 -k 1 \
		-p $((port + 20)) -s 9 -S 2 -t 30 -y $mode \
		> "$LIB_TMP/stack.out" 2>&1 &
	rpid=$!
	in_ns "$NS_A" "$LIB_DIR/tcp_pattern" -c $ADDR_B -L -p $((port + 20)) \
		-s 9 -t 60 -n $bytes > /dev/null 2>&1
	wait $rpid
	rc=$?
	sed 's/^/# /' "$LIB_TMP/stack.out"
	[ $rc -eq 0 ] && grep -q "devmem_rx: done" "$LIB_TMP/stack.out"
	result "$mode on device data: EFAULT, no byte out, pools gone" $?
done
step "kTLS and sockmap"

# The same attacks (another seed, half as many) while a zcrx takes the
# queue: io_uring zero-copy receive of urgent and 7-byte writes, every
# byte checked.
in_ns "$NS_A" $py -4 $ADDR_A $ADDR_B -6 $ADDR6_A $ADDR6_B -s "$((seed + 1))" \
	-n $(((count + 1) / 2)) -t 300 > "$LIB_TMP/attack2.out" 2>&1 &
apid=$!
bg_pids+=($apid)
$IN_B "$LIB_DIR/iou_zcrx" -i "$DEV_B" -q 0 -Q 1 -n "/run/netns/$NS_A" \
	-a "$ADDR_B" -p $((port + 10)) -P $((port + 11)) hostile \
	> "$LIB_TMP/zc.out" 2>&1
zrc=$?
wait $apid
arc=$?
step "attacks and zcrx transfer"
printf '# %s\n' "$(cat "$LIB_TMP/attack2.out")" "$(cat "$LIB_TMP/zc.out")"
[ $arc -eq 0 ] && [ "$(grep -c '^attack ' "$LIB_TMP/attack2.out")" -eq 7 ]
result "hostile.py sent every attack again, at a zcrx" $?
[ $zrc -eq 0 ] && grep -q "^CASE pass hostile" "$LIB_TMP/zc.out"
result "zcrx: urgent and 7-byte writes under attack, every byte in band, nothing left" $?

echo "# total: ${SECONDS}s"
exit $ret
