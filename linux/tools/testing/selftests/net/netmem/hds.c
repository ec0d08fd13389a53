// SPDX-License-Identifier: GPL-2.0
/*
 * Show or set a device's TCP header split, the TCP_DATA_SPLIT ring
 * attribute of ethtool netlink: Debian's ethtool 6.1 can only show it.
 *
 *   hds DEV get          prints on, off or unknown
 *   hds DEV on|off       exits with the kernel's errno on failure and
 *                        prints its extack message
 *
 * A C program rather than a script: under emulation a process that starts
 * an interpreter costs seconds.
 */
#define _GNU_SOURCE
#include <linux/ethtool_netlink.h>
#include <stdlib.h>

#include "netmem_nl.h"

static void rings_cb(struct nl_reply *r, void *ctx)
{
	struct nlattr *a = r->tb[ETHTOOL_A_RINGS_TCP_DATA_SPLIT];

	*(__u8 *)ctx = a ? *(__u8 *)nl_attr_data(a) : 0;
}

int main(int argc, char **argv)
{
	static const char *const split[] = { "unknown", "off", "on" };
	bool get = argc == 3 && !strcmp(argv[2], "get");
	struct nlattr *nest;
	struct nl_msg m;
	int fd, family, err;
	__u8 val = 0;

	if (argc != 3 || (!get && strcmp(argv[2], "on") &&
			  strcmp(argv[2], "off")))
		error(2, 0, "usage: %s DEV get|on|off", argv[0]);

	family = nl_family(ETHTOOL_GENL_NAME, NULL, NULL);
	fd = nl_open();
	nl_msg_init(&m, family, 0,
		    get ? ETHTOOL_MSG_RINGS_GET : ETHTOOL_MSG_RINGS_SET);
	nest = nl_nest_start(&m, ETHTOOL_A_RINGS_HEADER);
	nl_put_str(&m, ETHTOOL_A_HEADER_DEV_NAME, argv[1]);
	nl_nest_end(&m, nest);
	if (!get) {
		val = strcmp(argv[2], "on") ? ETHTOOL_TCP_DATA_SPLIT_DISABLED :
					      ETHTOOL_TCP_DATA_SPLIT_ENABLED;
		nl_put(&m, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, &val, 1);
	}
	err = nl_txn(fd, &m, get ? rings_cb : NULL, &val);
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-err));
		return -err;
	}
	if (get)
		printf("%s\n", val < 3 ? split[val] : "?");
	return 0;
}
