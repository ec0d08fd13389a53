# SPDX-License-Identifier: GPL-2.0
#
# Shared setup of the netmem selftests: a linked netdevsim pair across two
# network namespaces, header split, steering, TAP results, cleanup. Source
# it from bash. Under emulation every process launch costs a second or
# more, so the functions launch as few as they can (ip -batch, bash
# builtins, no polling).
#
# After nsim_pair_create: NS_A NS_B (namespaces), IN_A IN_B (command
# prefixes that run a program in them), DEV_A DEV_B (port names), IFX_A
# IFX_B (ifindexes), ID_A ID_B (netdevsim ids), FD_A FD_B (open fds of the
# namespaces), ADDR_A ADDR_B (IPv4), ADDR6_A ADDR6_B. Port A sends, port B
# receives.

set -u
ksft_skip=4
ret=0
num=0
bg_pids=()
NSIM_BUS=/sys/bus/netdevsim
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ADDR_A=192.0.2.1
ADDR_B=192.0.2.2
ADDR6_A=2001:db8::1
ADDR6_B=2001:db8::2
NS_A= NS_B= ID_A= ID_B=
LIB_TMP=$(mktemp -d)
lib_step_t0=${EPOCHREALTIME/[.,]/}
read -r lib_up _ < /proc/uptime
echo "# guest uptime at start: ${lib_up}s"

# result NAME RC: print TAP line "ok N NAME" or "not ok N NAME"; RC != 0 sets ret=1
result() {
	num=$((num + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $num $1"
	else
		echo "not ok $num $1"
		ret=1
	fi
}

# step NAME: print "# step NAME: S.SSs" (guest time since the last step or the start)
step() {
	local now=${EPOCHREALTIME/[.,]/} d

	d=$(((now - lib_step_t0) / 10000))
	printf '# step %s: %d.%02ds\n' "$1" $((d / 100)) $((d % 100))
	lib_step_t0=$now
}

# skip MSG: print SKIP and exit with the kselftest skip code
skip() {
	echo "SKIP: $*"
	exit $ksft_skip
}

# require_cmds CMD...: skip unless each command is in PATH
require_cmds() {
	local c

	for c in "$@"; do
		command -v "$c" > /dev/null || skip "$c not found"
	done
}

# require_progs PROG...: skip unless each program of this directory is built
require_progs() {
	local p

	for p in "$@"; do
		[ -x "$LIB_DIR/$p" ] || skip "$p not built"
	done
}

# require_nsim [udmabuf]: load netdevsim if it is a module; skip unless it has
# peer links (and /dev/udmabuf)
require_nsim() {
	[ -d $NSIM_BUS ] || modprobe netdevsim 2>/dev/null
	[ -w $NSIM_BUS/link_device ] || skip "netdevsim without peer links"
	[ "${1:-}" != udmabuf ] || [ -e /dev/udmabuf ] || skip "no /dev/udmabuf"
}

# in_ns NS CMD...: run CMD in netns NS (nsenter if there is one: no mount namespace to set up)
in_ns() {
	local ns=$1

	shift
	if [ -n "$LIB_NSENTER" ]; then
		nsenter --net="/run/netns/$ns" "$@"
	else
		ip netns exec "$ns" "$@"
	fi
}
LIB_NSENTER=$(command -v nsenter)

# nsim_port A|B NS: set DEV_A/IFX_A (or _B) to the netdevsim port of NS
nsim_port() {
	local line

	while read -r line; do
		[[ $line =~ ^([0-9]+):\ ([^:@]+):.*link/ether ]] || continue
		printf -v "IFX_$1" %s "${BASH_REMATCH[1]}"
		printf -v "DEV_$1" %s "${BASH_REMATCH[2]}"
		return 0
	done < <(ip -n "$2" -o link show)
	return 1
}

# nsim_pair_new PREFIX QUEUES: netns PREFIX-a/-b, a netdevsim port of QUEUES queues in each
nsim_pair_new() {
	local prefix=$1 queues=$2

	NS_A=$prefix-a-$RANDOM
	NS_B=$prefix-b-$RANDOM
	ID_A=$((RANDOM % 1000 + ${NSIM_ID_BASE:-3000}))
	ID_B=$((ID_A + 1))
	ip -batch - <<-EOF || return 1
		netns add $NS_A
		netns add $NS_B
	EOF
	step "netns add"
	if [ -n "$LIB_NSENTER" ]; then
		IN_A="nsenter --net=/run/netns/$NS_A"
		IN_B="nsenter --net=/run/netns/$NS_B"
	else
		IN_A="ip netns exec $NS_A"
		IN_B="ip netns exec $NS_B"
	fi
	# new_device creates the port in the writer's namespace, synchronously.
	in_ns "$NS_A" sh -c "echo $ID_A 1 $queues > $NSIM_BUS/new_device" &&
	in_ns "$NS_B" sh -c "echo $ID_B 1 $queues > $NSIM_BUS/new_device" ||
		return 1
	# The port is there once the write returns (tunnel fallback devices
	# may be too): its name and ifindex.
	nsim_port A "$NS_A" && nsim_port B "$NS_B" || return 1
	exec {FD_A}<"/run/netns/$NS_A"
	exec {FD_B}<"/run/netns/$NS_B"
	step "netdevsim devices"
}

# nsim_pair_link: link port A and port B as peers
nsim_pair_link() {
	echo "$FD_A:$IFX_A $FD_B:$IFX_B" > $NSIM_BUS/link_device
}

# nsim_pair_up: IPv4 and IPv6 (nodad) addresses on both ports, ports and lo up
nsim_pair_up() {
	ip -n "$NS_A" -batch - <<-EOF &&
		addr add $ADDR_A/24 dev $DEV_A
		addr add $ADDR6_A/64 dev $DEV_A nodad
		link set $DEV_A up
		link set lo up
	EOF
	ip -n "$NS_B" -batch - <<-EOF
		addr add $ADDR_B/24 dev $DEV_B
		addr add $ADDR6_B/64 dev $DEV_B nodad
		link set $DEV_B up
		link set lo up
	EOF
}

# nsim_pair_create PREFIX QUEUES: nsim_pair_new, nsim_pair_link and nsim_pair_up in one
nsim_pair_create() {
	nsim_pair_new "$1" "$2" && nsim_pair_link && nsim_pair_up &&
		step "link, addresses, up"
}

# nsim_hds on|off|get: header split of port B (get prints on/off)
nsim_hds() {
	in_ns "$NS_B" "$LIB_DIR/hds" "$DEV_B" "$1"
}

# nsim_steer PORT QUEUE LOC: ntuple rule LOC sends TCP/IPv4 to dst-port PORT of port B to QUEUE
nsim_steer() {
	in_ns "$NS_B" ethtool -N "$DEV_B" flow-type tcp4 dst-port "$1" \
		action "$2" loc "$3"
}

# nsim_stats NS DEV: ethtool -S of DEV into $LIB_TMP/stats (one launch for all counters)
nsim_stats() {
	in_ns "$1" ethtool -S "$2" > "$LIB_TMP/stats"
}

# nsim_stat NAME: one counter of the last nsim_stats (0 if absent)
nsim_stat() {
	local name val

	while read -r name val; do
		[ "$name" = "$1:" ] && { echo "$val"; return; }
	done < "$LIB_TMP/stats"
	echo 0
}

# nsim_cleanup: kill bg_pids, delete both devices and namespaces, remove $LIB_TMP (the EXIT trap)
nsim_cleanup() {
	local p

	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# (a test may have removed the netdevsim module, and the bus with it)
	[ -n "$ID_A" ] && { echo "$ID_A" > $NSIM_BUS/del_device; } 2>/dev/null
	[ -n "$ID_B" ] && { echo "$ID_B" > $NSIM_BUS/del_device; } 2>/dev/null
	step "cleanup: devices deleted"
	[ -n "$NS_A" ] && ip netns del "$NS_A" 2>/dev/null
	[ -n "$NS_B" ] && ip netns del "$NS_B" 2>/dev/null
	rm -rf "$LIB_TMP"
	read -r lib_up _ < /proc/uptime
	echo "# guest uptime at the end: ${lib_up}s"
}
trap nsim_cleanup EXIT
