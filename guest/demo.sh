#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo, run inside the guest: show the patched kernel and a netdevsim
# device. Later issues extend it with the datapath and zero-copy receive.
set -eu
echo "== kernel"
uname -a
echo
echo "== create netdevsim device 10 with 2 ports"
echo "10 2" > /sys/bus/netdevsim/new_device
udevadm settle 2>/dev/null || sleep 1
dev=/sys/bus/netdevsim/devices/netdevsim10
ls "$dev"
echo
for n in "$dev"/net/*; do
	ifc=$(basename "$n")
	echo "== $ifc"
	ip -d link show "$ifc"
	ethtool -i "$ifc" 2>/dev/null || true
	ethtool -g "$ifc" 2>/dev/null || true
	echo
done
echo "10" > /sys/bus/netdevsim/del_device
echo "== netdevsim device 10 deleted"
