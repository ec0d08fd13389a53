#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP between two network namespaces over veth, every payload byte checked
# by the receiver: the regression guard for the stack's skb frag paths.

set -u
ksft_skip=4
ret=0
num=0
ns_a="nm-a-$RANDOM"
ns_b="nm-b-$RANDOM"
port=9100
dir=$(dirname "$0")

cleanup() {
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
}
trap cleanup EXIT

for tool in ip; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool not found"
		exit $ksft_skip
	fi
done
if [ ! -x "$dir/tcp_pattern" ]; then
	echo "SKIP: tcp_pattern not built"
	exit $ksft_skip
fi

set -e
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add veth0 netns "$ns_a" type veth peer name veth1 netns "$ns_b"
ip -n "$ns_a" addr add 192.0.2.1/24 dev veth0
ip -n "$ns_b" addr add 192.0.2.2/24 dev veth1
ip -n "$ns_a" addr add 2001:db8::1/64 dev veth0 nodad
ip -n "$ns_b" addr add 2001:db8::2/64 dev veth1 nodad
ip -n "$ns_a" link set veth0 up
ip -n "$ns_b" link set veth1 up
ip -n "$ns_a" link set lo up
ip -n "$ns_b" link set lo up
set +e

# run_case NAME FAMILY-FLAG DST BYTES WRITESIZE READSIZE
run_case() {
	local name=$1 fam=$2 dst=$3 bytes=$4 wsize=$5 rsize=$6 rpid rc
	local start=$SECONDS

	port=$((port + 1))
	ip netns exec "$ns_b" "$dir/tcp_pattern" -l $fam -p $port -n "$bytes" \
		-r "$rsize" -s $port &
	rpid=$!
	ip netns exec "$ns_a" "$dir/tcp_pattern" -c "$dst" $fam -p $port \
		-n "$bytes" -w "$wsize" -s $port
	rc=$?
	wait $rpid || rc=1
	num=$((num + 1))
	echo "# $name: $((SECONDS - start))s"
	if [ $rc -eq 0 ]; then
		echo "ok $num $name"
	else
		echo "not ok $num $name"
		ret=1
	fi
}

# Sizes are small because the guest runs under TCG with KASAN and lockdep;
# every byte is still checked.
for wsize in 1000 1448 4096; do
	run_case "tcp4 write=$wsize 256KiB" "" 192.0.2.2 $((256 << 10)) $wsize 65536
done
for wsize in 65536 262144; do
	run_case "tcp4 write=$wsize 512KiB" "" 192.0.2.2 $((512 << 10)) $wsize 65536
done
run_case "tcp4 write=1 4KiB" "" 192.0.2.2 4096 1 65536
run_case "tcp4 odd sizes read=7" "" 192.0.2.2 100003 9973 7
run_case "tcp6 write=65536 256KiB" "-6" 2001:db8::2 $((256 << 10)) 65536 65536
run_case "tcp6 write=1500 128KiB" "-6" 2001:db8::2 $((128 << 10)) 1500 4096

exit $ret
