#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netdev netlink family and the dma-buf memory provider on the
# netdevsim peer pair: devmem_nl binds an RX queue of the receiving port to
# a udmabuf and checks bind-rx errors, queue-get, page-pool-get,
# page-pool-stats-get against ethtool -S, that steered traffic lands in the
# dma-buf (unreadable), and the teardown when its netlink socket closes.
# Then a plain TCP transfer on that queue checks every byte, and the
# device is deleted while a binding holds buffers in a socket. One
# devmem_nl process runs it all: under emulation process launches and
# device setup cost far more than the checks. Splats and leaks are the
# harness's to catch (KASAN, kmemleak, lockdep).

source "$(dirname "$0")/lib.sh"

bound=2
other=1
port=9400

require_cmds ip ethtool
require_progs tcp_pattern hds devmem_nl
require_nsim udmabuf

nsim_pair_create dmnl 4 || { echo "# netdevsim pair setup failed"; exit 1; }
nsim_hds on || exit 1
# Flows to these ports go to the queue under test.
for i in 0 1 2; do
	nsim_steer $((port + i)) $bound $((i + 1)) || exit 1
done
step "hds, steering"

# netdevsim as a module: removed last, a socket still holding its buffers
rmmod_opt=()
[ -e /sys/module/netdevsim/refcnt ] && rmmod_opt=(-R "rmmod netdevsim")

in_ns "$NS_B" "$LIB_DIR/devmem_nl" -i "$IFX_B" -d "$DEV_B" \
	-q $bound -o $other -p $port -H "$LIB_DIR/hds $DEV_B" -t 30 -D "$ID_B" \
	"${rmmod_opt[@]}" -N $((ID_B + 500)) -n 4 \
	-c "$IN_A $LIB_DIR/tcp_pattern -c $ADDR_B -t 30"
rc=$?
step devmem_nl
result "devmem_nl: netdev family, notifications, bind-rx, unbind, device deleted while bound" $rc

echo "# total: ${SECONDS}s"
exit $ret
