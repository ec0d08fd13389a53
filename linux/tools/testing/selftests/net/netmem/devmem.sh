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
#
# Under emulation process launches, device setup and binds cost far more
# than the payload: one devmem_rx (one binding) and one tcp_pattern sender
# serve every case, each connection with its own size and write size.
# Then the uAPI fuzzer runs twice, the second time while both devices are
# deleted at a moment drawn from its seed.

source "$(dirname "$0")/lib.sh"

q=2
port=9501
tp="$LIB_DIR/tcp_pattern"

require_cmds ip ethtool
require_progs tcp_pattern hds devmem_rx
require_nsim udmabuf

nsim_pair_create dm 4 || { echo "# netdevsim pair setup failed"; exit 1; }
nsim_hds on || exit 1
nsim_steer $port $q 3 || exit 1
nsim_stats "$NS_B" "$DEV_B"
drops0=$(nsim_stat "rx${q}_drops")
step "hds, steering"

# The connections, in order (BYTES/WRITESIZE):
#  0-6  devmem: 4.6 MiB at 4 write sizes, tokens back in batches of 256
#       frags (the first connection also probes recv, splice and TCP
#       zerocopy on device data: EFAULT, nothing mapped); connection 3
#       sends each write with MSG_OOB: the urgent bytes are in the
#       dma-buf, so they must come in band, the stream intact;
#  7    fallback: from 256 KiB to 640 KiB of a 1 MiB stream the flow goes
#       to queue 0, which has no binding and gives readable skbs (page
#       frags): those bytes come SCM_DEVMEM_LINEAR. Header split cannot be
#       turned off meanwhile: the device has a bound queue;
#  8    hold: closed with its tokens outstanding, then the unbind: the
#       socket gives every frag back, the binding's pools go away.
conns="2097152/65536,1/65536,1449/65536,1048576/9973u,100003/9973"
conns="$conns,524288/1448,1048576/4096,1048576/65536,262144/65536"
rule="ethtool -N $DEV_B flow-type tcp4 dst-port $port loc 3 action"
away="$rule 0 && ! $LIB_DIR/hds $DEV_B off 2>/dev/null"
back="$rule $q"

# -E first: the uAPI without a binding (layouts, DONTNEED errnos,
# MSG_SOCK_DEVMEM on readable loopback data).
# With fault injection, one batch of tokens goes back under fail-nth.
fn_opt=()
[ -w /proc/self/fail-nth ] && fn_opt=(-f)
in_ns "$NS_B" "$LIB_DIR/devmem_rx" -E -l -i "$DEV_B" -q $q -k 9 \
	-p $port -s 7 -S 8 -b 256 -m -H -r "${fn_opt[@]}" \
	-x "7:262144:$away" -x "7:655360:$back" > "$LIB_TMP/rx.out" 2>&1 &
rpid=$!
bg_pids+=($rpid)
in_ns "$NS_A" "$tp" -c $ADDR_B -L -p $port -n "$conns" -s 7 -t 60 \
	> /dev/null
src=$?
wait $rpid
rrc=$?
mapfile -t rx_out < "$LIB_TMP/rx.out"
printf '# %s\n' "${rx_out[@]}"
step "devmem_rx, 9 connections"

nsim_stats "$NS_B" "$DEV_B"
drops1=$(nsim_stat "rx${q}_drops")
echo "# queue $q drops $drops0 -> $drops1"

# verdict CASE [LINE]: 0 if devmem_rx passed at least one check of CASE,
# failed none, and printed LINE (by default its last line: it exits early
# on a payload error)
verdict() {
	local l ok=1 end=1

	for l in "${rx_out[@]}"; do
		[[ $l == "# FAIL: [$1]"* ]] && return 1
		[[ $l == "# ok: [$1]"* ]] && ok=0
		[[ $l == *"${2:-# devmem_rx: done}"* ]] && end=0
	done
	return $((ok | end))
}

verdict uapi "MSG_SOCK_DEVMEM on loopback"
result "uapi: layouts, DONTNEED errnos, MSG_SOCK_DEVMEM on readable data" $?
verdict probe "TCP_ZEROCOPY_RECEIVE on device data"
result "devmem: recv and splice of device data EFAULT, TCP zerocopy maps nothing" $?
rc=0
verdict devmem && [ $src -eq 0 ] || rc=1
[ "$drops1" -eq "$drops0" ] || { echo "# the pool ran dry"; rc=1; }
result "devmem: 4.6 MiB, 7 connections, 4 write sizes, tokens in batches, 2048 buffers reused" $rc
verdict fallback && [ $src -eq 0 ]
result "devmem: linear fallback for part of a 1 MiB stream, every byte checked" $?
verdict hold && [ $src -eq 0 ] && [ $rrc -eq 0 ]
result "devmem: close with tokens outstanding, unbind: pools gone, nothing in flight" $?

# The uAPI fuzzer, FUZZ_SECS (30) seconds from FUZZ_SEED (1): devmem_rx -z
# against a sender that reconnects as long as the fuzzer runs (it closes
# connections early). fuzz [ARGS...]: one such run, its output in
# $LIB_TMP/fuzz.out, its exit code in $frc.
fconns="65536/1448,300007/9973,1/1,1048576/65536,20000/4096"
fuzz() {
	in_ns "$NS_B" "$LIB_DIR/devmem_rx" -l -i "$DEV_B" -q $q -p $port -s 7 \
		-z "${FUZZ_SECS:-30}" -Z "${FUZZ_SEED:-1}" "$@" \
		> "$LIB_TMP/fuzz.out" 2>&1 &
	fpid=$!
	bg_pids+=($fpid)
	while :; do
		in_ns "$NS_A" "$tp" -c $ADDR_B -L -p $port -n "$fconns" -s 7 \
			-t 300 > /dev/null 2>&1
		sleep 0.5
	done &
	lpid=$!
	bg_pids+=($lpid)
	wait $fpid
	frc=$?
	# The sender the loop runs now, then the loop (which would start
	# another)
	pkill -P $lpid
	kill $lpid
	wait $lpid 2>/dev/null
	cat "$LIB_TMP/fuzz.out"
}
fuzz
step "devmem_rx fuzz"
grep -q '^# ok: \[fuzz\] fuzz: no odd errno' "$LIB_TMP/fuzz.out" && [ $frc -eq 0 ]
result "devmem fuzz: recvmsg, DONTNEED, bind-rx, queue-get, page-pool-get, rebinds; nothing left" $?

# Last: the fuzzer again while both devices are deleted (and the driver
# module removed, if it is one) at a moment drawn from the seed.
del_cmd="echo $ID_B > $NSIM_BUS/del_device && echo $ID_A > $NSIM_BUS/del_device"
[ -e /sys/module/netdevsim/refcnt ] && del_cmd="$del_cmd && rmmod netdevsim"
fuzz -D "$del_cmd"
step "devmem_rx fuzz, device deleted"
grep -q '^# ok: \[fuzz\] fuzz: the device deleted meanwhile' "$LIB_TMP/fuzz.out" &&
	grep -q '^# ok: \[fuzz\] fuzz: no odd errno' "$LIB_TMP/fuzz.out" && [ $frc -eq 0 ]
result "devmem fuzz with the device deleted at a seeded moment: nothing left" $?

echo "# total: ${SECONDS}s"
exit $ret
