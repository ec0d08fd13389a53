#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netdevsim datapath: two netdevsim ports in two network namespaces,
# linked as peers. TCP between them with header split off and on, every
# payload byte checked by tcp_pattern; an ntuple rule steers a flow to an
# RX queue; RX queues restart under load without losing a byte; deleting
# a device mid-stream makes the sender fail, not hang. Splats and leaks
# are the harness's to catch (KASAN, kmemleak, lockdep).

source "$(dirname "$0")/lib.sh"

queues=4
tp="$LIB_DIR/tcp_pattern"
port=9300
tmp=$LIB_TMP

require_cmds ip ethtool
require_progs tcp_pattern hds
require_nsim

# snap NS DEV: save ethtool -S of DEV, one process launch for all counters
snap() {
	nsim_stats "$1" "$2"
}

# get NAME: one counter of the last snap
get() {
	nsim_stat "$1"
}

# sum NAME: a counter of the last snap summed over the RX queues
sum() {
	awk -v n="$1" '$1 ~ ("^rx[0-9]+_" n ":$") { t += $2 } END { print t + 0 }' \
		"$tmp/stats"
}

# link_err ARGS: the error text of a write to link_device ("" on success)
link_err() {
	{ echo "$1" > $NSIM_BUS/link_device; } 2>&1 | sed 's/.*: //'
}

NSIM_ID_BASE=2000 nsim_pair_new nsim $queues ||
	{ echo "# netdevsim pair setup failed"; exit 1; }
step setup

# Linking: errors first, then the real link.
rc=0
err=$(link_err "$FD_A:$IFX_A $FD_A:$IFX_A")
[ "$err" = "Invalid argument" ] || { echo "# self link: '$err'"; rc=1; }
err=$(link_err "$FD_A:$IFX_A $FD_B:99999")
[ "$err" = "No such device" ] || { echo "# bad ifindex: '$err'"; rc=1; }
err=$(link_err "$FD_A:$IFX_A $FD_B:1")
[ "$err" = "Operation not supported" ] || { echo "# lo: '$err'"; rc=1; }
err=$(link_err "999:$IFX_A $FD_B:$IFX_B")
[ "$err" = "Bad file descriptor" ] || { echo "# bad fd: '$err'"; rc=1; }
err=$(link_err "$FD_A:$IFX_A $FD_B:$IFX_B")
[ -z "$err" ] || { echo "# link: '$err'"; rc=1; }
err=$(link_err "$FD_B:$IFX_B $FD_A:$IFX_A")
[ "$err" = "Device or resource busy" ] || { echo "# relink: '$err'"; rc=1; }
result "link: errors and link $DEV_A ($NS_A) <-> $DEV_B ($NS_B)" $rc

nsim_pair_up || { echo "# addresses, link up failed"; exit 1; }

# Header split through the ethtool netlink attribute: B receives.
rc=0
ip netns exec "$NS_B" "$LIB_DIR/hds" lo on 2>/dev/null
[ $? -eq 95 ] || { echo "# lo accepted tcp-data-split"; rc=1; }
[ "$(ip netns exec "$NS_B" "$LIB_DIR/hds" "$DEV_B" get)" = off ] || rc=1
ip netns exec "$NS_B" "$LIB_DIR/hds" "$DEV_B" on || rc=1
[ "$(ip netns exec "$NS_B" "$LIB_DIR/hds" "$DEV_B" get)" = on ] || rc=1
ip netns exec "$NS_B" "$LIB_DIR/hds" "$DEV_B" off || rc=1
result "tcp-data-split: set on/off over ethtool netlink" $rc

hds() {
	nsim_hds "$1"
}

# batch NAME FAMILY-FLAG DST SIZES WRITESIZE READSIZE: one receiver and one
# sender process serve a connection per size.
batch() {
	local name=$1 fam=$2 dst=$3 sizes=$4 wsize=$5 rsize=$6
	local n rpid rc start=$SECONDS

	n=$(echo "$sizes" | tr ',' '\n' | wc -l)
	port=$((port + 1))
	ip netns exec "$NS_B" "$tp" -l -L -k "$n" $fam -p $port -r "$rsize" \
		-s $port -t 60 > /dev/null &
	rpid=$!
	ip netns exec "$NS_A" "$tp" -c "$dst" -L $fam -p $port -n "$sizes" \
		-w "$wsize" -s $port -t 60 > /dev/null
	rc=$?
	wait $rpid || rc=1
	echo "# $name: $n connections, $((SECONDS - start))s"
	return $rc
}

sizes=1,7,100,1447,1448,1449,4095,4096,4097,65535,65536,100003,1048576

# Header split off: frames whole in pool pages.
hds off
snap "$NS_B" "$DEV_B"
split0=$(sum hds_packets)
batch "hds off tcp4" "" 192.0.2.2 $sizes 65536 65536
rc=$?
snap "$NS_B" "$DEV_B"
split1=$(sum hds_packets)
[ "$split1" -eq "$split0" ] || { echo "# hds_packets grew: $split0 -> $split1"; rc=1; }
result "hds off: tcp4, 13 sizes 1 B..1 MiB, every byte checked" $rc

# Header split on: headers in the skb head, payload in pool buffers.
hds on
pkts0=$(sum packets)
batch "hds on tcp4" "" 192.0.2.2 $sizes 9973 7
rc=$?
snap "$NS_B" "$DEV_B"
split2=$(sum hds_packets)
pkts1=$(sum packets)
echo "# hds on: $((pkts1 - pkts0)) frames, $((split2 - split1)) split"
[ $((split2 - split1)) -ge 700 ] || { echo "# too few split frames"; rc=1; }
result "hds on: tcp4, 13 sizes, write=9973 read=7, every byte checked" $rc

batch "hds on tcp6" -6 2001:db8::2 1,1449,65537,300007 1500 4096
result "hds on: tcp6, 4 sizes, every byte checked" $?

# Jumbo frames: payload over several pool buffers per frame.
ip -n "$NS_A" link set "$DEV_A" mtu 9000
ip -n "$NS_B" link set "$DEV_B" mtu 9000
batch "hds on mtu 9000" "" 192.0.2.2 8999,9001,262147 65536 65536
result "hds on: mtu 9000, multi-buffer payload, every byte checked" $?
ip -n "$NS_B" link set "$DEV_B" mtu 1500
ip -n "$NS_A" link set "$DEV_A" mtu 1500

# Steering: an ntuple rule puts the flow on the chosen queue, and no other
# queue takes any of it.
for q in 2; do
	rule_port=$((port + 1))
	rc=0
	ip netns exec "$NS_B" ethtool -N "$DEV_B" flow-type tcp4 \
		dst-port $rule_port action $q loc 3 || rc=1
	snap "$NS_B" "$DEV_B"
	for i in $(seq 0 $((queues - 1))); do
		before[$i]=$(get "rx${i}_bytes")
	done
	bytes=$((512 << 10))
	batch "steer to $q" "" 192.0.2.2 $bytes 65536 65536 || rc=1
	snap "$NS_B" "$DEV_B"
	for i in $(seq 0 $((queues - 1))); do
		d=$(($(get "rx${i}_bytes") - before[i]))
		echo "# queue $i: +$d bytes"
		if [ $i -eq $q ]; then
			[ $d -ge $bytes ] || rc=1
		else
			[ $d -lt $((bytes / 100)) ] || rc=1
		fi
	done
	ip netns exec "$NS_B" ethtool -n "$DEV_B" rule 3 |
		grep -q "Action: Direct to queue $q" || rc=1
	ip netns exec "$NS_B" ethtool -N "$DEV_B" delete 3 || rc=1
	result "steering: tcp4 dst-port $rule_port to queue $q" $rc
done

# Restart RX queues while a transfer runs: no byte lost.
restart_under_load() {
	local name=$1 bytes=$((4 << 20)) rpid spid rc=0 n=0 q

	port=$((port + 1))
	ip netns exec "$NS_B" "$tp" -l -p $port -n $bytes -s $port -t 60 \
		> /dev/null &
	rpid=$!
	ip netns exec "$NS_A" "$tp" -c 192.0.2.2 -p $port -n $bytes \
		-s $port -t 60 > /dev/null &
	spid=$!
	bg_pids+=($rpid $spid)
	sleep 1
	while kill -0 $spid 2>/dev/null && [ $n -lt 200 ]; do
		for q in $(seq 0 $((queues - 1))); do
			echo $q > "$ddir_b/queue_reset" || rc=1
			n=$((n + 1))
		done
	done
	wait $spid || rc=1
	wait $rpid || rc=1
	echo "# $name: $n queue restarts during the transfer"
	[ $n -ge $queues ] || rc=1
	result "$name: 4 MiB, $n restarts, every byte checked" $rc
}
ddir_b=/sys/kernel/debug/netdevsim/netdevsim$ID_B/ports/0
restart_under_load "queue restart, hds on"

# Unlinked: frames are dropped and counted.
rc=0
echo "$FD_A:$IFX_A" > $NSIM_BUS/unlink_device || rc=1
err=$( { echo "$FD_B:$IFX_B" > $NSIM_BUS/unlink_device; } 2>&1 | sed 's/.*: //')
[ "$err" = "No such file or directory" ] || { echo "# unlink twice: '$err'"; rc=1; }
snap "$NS_A" "$DEV_A"
d0=$(get tx_drop_unlinked)
# SYNs that go nowhere: the connect times out (the program's own timer,
# not one that also counts its start under emulation).
ip netns exec "$NS_A" "$tp" -c 192.0.2.2 -p 9 -n 1 -s 1 -t 3 \
	> /dev/null 2>&1 && rc=1
snap "$NS_A" "$DEV_A"
d1=$(get tx_drop_unlinked)
[ "$d1" -gt "$d0" ] || { echo "# tx_drop_unlinked $d0 -> $d1"; rc=1; }
err=$(link_err "$FD_A:$IFX_A $FD_B:$IFX_B")
[ -z "$err" ] || { echo "# relink: '$err'"; rc=1; }
result "unlink: tx drops counted, relink works" $rc

# Delete the receiving device mid-stream: the sender fails, not hangs;
# the receiver's socket still holds pool buffers of the deleted device,
# unread until the end (and until netdevsim is gone, if it is a module).
# A small send buffer: under emulation the sender fills megabytes slowly
# before its write blocks and times out.
ip netns exec "$NS_A" sh -c \
	'echo "4096 16384 65536" > /proc/sys/net/ipv4/tcp_wmem'

port=$((port + 1))
go=$LIB_TMP/read
ip netns exec "$NS_B" "$tp" -l -p $port -n $((64 << 20)) -s $port -t 15 \
	-P "$go" > "$LIB_TMP/rx" 2>&1 &
rpid=$!
ip netns exec "$NS_A" "$tp" -c 192.0.2.2 -p $port -n $((64 << 20)) -s $port \
	-t 10 > /dev/null 2>&1 &
spid=$!
bg_pids+=($rpid $spid)
# Delete once the receiver's socket holds unread payload.
rc=0
held=0
for i in $(seq 60); do
	held=$(in_ns "$NS_B" ss -Htn state established "sport = :$port" |
	       awk '{ print $1; exit }')
	[ "${held:-0}" -gt 0 ] && break
	sleep 0.5
done
echo "# the receiver's socket holds ${held:-0} bytes unread"
[ "${held:-0}" -gt 0 ] || rc=1
start=$SECONDS
echo "$ID_B" > $NSIM_BUS/del_device || rc=1
echo "# delete took $((SECONDS - start))s"
start=$SECONDS
wait $spid && rc=1
echo "# sender gave up $((SECONDS - start))s after the delete"
[ $((SECONDS - start)) -lt 60 ] || rc=1
# Removing netdevsim must wait for the pages the receiver holds: their
# pool keeps the bus device, whose release is in the module.
rmpid=
if [ -e /sys/module/netdevsim/refcnt ]; then
	rmmod netdevsim &
	rmpid=$!
	sleep 3
	kill -0 $rmpid 2>/dev/null &&
		echo "# rmmod netdevsim waits while the receiver holds pages"
fi
touch "$go"
# It reads what it holds, every byte checked, then times out.
wait $rpid && rc=1
sed 's/^/# receiver: /' "$LIB_TMP/rx"
grep -q "mismatch" "$LIB_TMP/rx" && rc=1
if [ -n "$rmpid" ]; then
	wait $rmpid || rc=1
	echo "# netdevsim removed once the receiver read its pages"
fi
result "delete the receiving device mid-stream: sender errors out" $rc

exit $ret
