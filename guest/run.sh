#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest, chrooted into the host's root. NETMEM_MODE says what
# to do; everything lands in $NETMEM_RESULTS (a writable 9p share), and the
# exit code of the mode goes to $NETMEM_RESULTS/rc.
set -u
res=$NETMEM_RESULTS
ksft=$NETMEM_ROOT/build/out/vm/kselftest_install
cd /tmp || exit 1
# FUZZ_SECS=600,FUZZ_SEED=3...: the harness's GUEST_KNOBS, for the tests
knobs=${NETMEM_KNOBS:-}
for kv in ${knobs//,/ }; do export "${kv?}"; done
echo "NETMEM: mode $NETMEM_MODE, kernel $(uname -r)"

kmemleak_scan() {
	local f=/sys/kernel/debug/kmemleak
	[ -w $f ] || return 0
	echo "NETMEM: kmemleak scan"
	# Objects must be unreferenced across two scans (and older than 5 s).
	echo scan > $f; sleep 6; echo scan > $f
	cat $f > "$res/kmemleak.txt"
	[ -s "$res/kmemleak.txt" ] && echo "NETMEM: kmemleak: $(grep -c 'unreferenced object' "$res/kmemleak.txt") leaks"
}

case "$NETMEM_MODE" in
test)
	# Drop early-boot kmemleak noise so the final scan sees only our tests.
	[ -w /sys/kernel/debug/kmemleak ] && echo clear > /sys/kernel/debug/kmemleak
	# Through a pipe: the runner reopens /dev/stdout for each test's
	# output, which on a plain file would overwrite earlier lines.
	sel=()
	tests=${NETMEM_TESTS:-}
	for t in ${tests//,/ }; do sel+=(-t "$t"); done
	"$ksft/run_kselftest.sh" "${sel[@]}" 2>&1 | cat > "$res/kselftest.tap"
	rc=${PIPESTATUS[0]}
	grep -E '^(not )?ok [0-9]+ ' "$res/kselftest.tap" | sed 's/^/NETMEM: /'
	;;
demo)
	"$NETMEM_ROOT/guest/demo.sh" 2>&1 | tee "$res/demo.txt"
	rc=${PIPESTATUS[0]}
	;;
swiotlb)
	# Booted with swiotlb=force: zcrx receive through bounce buffers.
	[ -w /sys/kernel/debug/kmemleak ] && echo clear > /sys/kernel/debug/kmemleak
	ZCRX_SWIOTLB=1 "$ksft/net/netmem/iou_zcrx.sh" 2>&1 | cat > "$res/kselftest.tap"
	rc=${PIPESTATUS[0]}
	grep -E '^(not )?ok [0-9]+ ' "$res/kselftest.tap" | sed 's/^/NETMEM: /'
	;;
selftest-warn)
	# A real WARN_ON from LKDTM: the host side must fail the run.
	echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT
	rc=0
	;;
*)
	echo "NETMEM: unknown mode $NETMEM_MODE"
	rc=2
	;;
esac
kmemleak_scan
echo "NETMEM: done, rc $rc"
dmesg > "$res/dmesg.txt"
echo $rc > "$res/rc"
exit $rc
