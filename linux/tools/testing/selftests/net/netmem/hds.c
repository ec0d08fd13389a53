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
#include <errno.h>
#include <error.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

struct msg {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	char attrs[512];
};

static char rbuf[16384];

static struct nlattr *nla_put(struct msg *m, int type, const void *data,
			      int len)
{
	struct nlattr *nla = (void *)((char *)m + NLMSG_ALIGN(m->nlh.nlmsg_len));

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)nla + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(nla->nla_len);
	return nla;
}

static struct nlattr *nla_find(void *start, int len, int type)
{
	struct nlattr *nla = start;

	while (len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
	       nla->nla_len <= len) {
		if ((nla->nla_type & NLA_TYPE_MASK) == type)
			return nla;
		len -= NLA_ALIGN(nla->nla_len);
		nla = (void *)((char *)nla + NLA_ALIGN(nla->nla_len));
	}
	return NULL;
}

static void msg_init(struct msg *m, int family, int cmd, int flags)
{
	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = family;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	m->genl.cmd = cmd;
	m->genl.version = 1;
}

/* Send @m; return the reply's attributes (or NULL for an ack). */
static struct nlattr *transact(int fd, struct msg *m, const char *what,
			       int *attrlen)
{
	struct nlmsghdr *nlh = (void *)rbuf;
	struct nlmsgerr *err;
	struct nlattr *ext;
	int n, off;

	if (send(fd, m, m->nlh.nlmsg_len, 0) < 0)
		error(1, errno, "send");
	n = recv(fd, rbuf, sizeof(rbuf), 0);
	if (n < 0)
		error(1, errno, "recv");
	if (!NLMSG_OK(nlh, n))
		error(1, 0, "short netlink reply");
	if (nlh->nlmsg_type != NLMSG_ERROR) {
		*attrlen = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		return (void *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	}
	err = NLMSG_DATA(nlh);
	if (!err->error)
		return NULL;
	off = sizeof(*err) + ((nlh->nlmsg_flags & NLM_F_CAPPED) ? 0 :
			      err->msg.nlmsg_len - sizeof(err->msg));
	ext = nla_find((char *)err + off,
		       nlh->nlmsg_len - NLMSG_HDRLEN - off, NLMSGERR_ATTR_MSG);
	fprintf(stderr, "%s: %s%s%s\n", what, strerror(-err->error),
		ext ? ": " : "", ext ? (char *)ext + NLA_HDRLEN : "");
	exit(-err->error);
}

int main(int argc, char **argv)
{
	static const char *const split[] = { "unknown", "off", "on" };
	struct nlattr *nest, *attr;
	int fd, one = 1, len, family;
	struct msg m;
	__u8 val;

	if (argc != 3 || (strcmp(argv[2], "get") && strcmp(argv[2], "on") &&
			  strcmp(argv[2], "off")))
		error(2, 0, "usage: %s DEV get|on|off", argv[0]);

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0)
		error(1, errno, "socket");
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)))
		error(1, errno, "NETLINK_EXT_ACK");

	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	nla_put(&m, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME,
		strlen(ETHTOOL_GENL_NAME) + 1);
	attr = transact(fd, &m, "ethtool family", &len);
	attr = attr ? nla_find(attr, len, CTRL_ATTR_FAMILY_ID) : NULL;
	if (!attr)
		error(1, 0, "no ethtool netlink family");
	family = *(__u16 *)((char *)attr + NLA_HDRLEN);

	msg_init(&m, family, strcmp(argv[2], "get") ?
		 ETHTOOL_MSG_RINGS_SET : ETHTOOL_MSG_RINGS_GET,
		 strcmp(argv[2], "get") ? NLM_F_ACK : 0);
	nest = nla_put(&m, ETHTOOL_A_RINGS_HEADER | NLA_F_NESTED, NULL, 0);
	nla_put(&m, ETHTOOL_A_HEADER_DEV_NAME, argv[1], strlen(argv[1]) + 1);
	nest->nla_len = (char *)&m + m.nlh.nlmsg_len - (char *)nest;
	if (strcmp(argv[2], "get")) {
		val = strcmp(argv[2], "on") ? ETHTOOL_TCP_DATA_SPLIT_DISABLED :
					      ETHTOOL_TCP_DATA_SPLIT_ENABLED;
		nla_put(&m, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, &val, 1);
		transact(fd, &m, argv[1], &len);
		return 0;
	}
	attr = transact(fd, &m, argv[1], &len);
	attr = attr ? nla_find(attr, len, ETHTOOL_A_RINGS_TCP_DATA_SPLIT) : NULL;
	val = attr ? *((__u8 *)attr + NLA_HDRLEN) : 0;
	printf("%s\n", val < 3 ? split[val] : "?");
	return 0;
}
