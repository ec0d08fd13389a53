// SPDX-License-Identifier: GPL-2.0
/*
 * Send or receive a TCP stream of a known byte pattern and verify every byte.
 *
 *   tcp_pattern -l [-6] -p PORT -n BYTES [-r READSIZE] [-s SEED] [-P FILE]
 *   tcp_pattern -c ADDR -p PORT -n BYTES [-w WRITESIZE] [-s SEED]
 *   tcp_pattern -l -L -k CONNS [-6] -p PORT [-r READSIZE] [-s SEED]
 *   tcp_pattern -c ADDR -L -p PORT -n BYTES[/WRITESIZE][,...] [-w WRITESIZE]
 *
 * The receiver accepts one connection, reads until EOF and fails unless it
 * got exactly BYTES bytes, each equal to pattern_byte(offset). The pattern
 * depends on the offset within and across 251-byte runs, so lost,
 * duplicated or reordered chunks are caught, not only wrong lengths.
 *
 * With -L each connection starts with its byte count (8 bytes, big
 * endian): one receiver then serves CONNS connections of any sizes, and
 * one sender makes a connection per size in its list, saving the process
 * launches that dominate a run under emulation. A size may carry its own
 * write size after a slash, and then a 'u': each write of that connection
 * is sent with MSG_OOB, its last byte urgent. A receiver whose bytes land
 * in a memory provider's buffers must read those bytes in band.
 *
 * With -P the receiver leaves each connection's bytes queued in its socket
 * until FILE exists (polled every 100 ms, for at most two minutes).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <error.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool cfg_listen;
static const char *cfg_addr;
static bool cfg_ipv6;
static int cfg_port = 9000;
static unsigned long long cfg_bytes = 1 << 20;
static const char *cfg_sizes;
static bool cfg_prefix;
static int cfg_conns = 1;
static size_t cfg_write = 65536;
static size_t cfg_read = 65536;
static unsigned int cfg_seed;
static int cfg_timeout = 60;
static bool cfg_urgent;
static const char *cfg_pause;

static inline uint8_t pattern_byte(unsigned long long off)
{
	return (uint8_t)((off % 251) ^ ((off / 251) % 253) ^ cfg_seed);
}

static void fill(uint8_t *buf, unsigned long long off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(off + i);
}

static void die_usage(const char *prog)
{
	error(1, 0,
	      "usage: %s -l|-c ADDR [-6] [-L] [-k CONNS] [-p PORT] [-n BYTES[,BYTES...]] [-w WRITESIZE] [-r READSIZE] [-s SEED] [-t TIMEOUT] [-P FILE]",
	      prog);
}

static void parse_opts(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "lc:6Lk:p:n:w:r:s:t:P:")) != -1) {
		switch (c) {
		case 'l':
			cfg_listen = true;
			break;
		case 'c':
			cfg_addr = optarg;
			break;
		case '6':
			cfg_ipv6 = true;
			break;
		case 'L':
			cfg_prefix = true;
			break;
		case 'k':
			cfg_conns = atoi(optarg);
			break;
		case 'p':
			cfg_port = atoi(optarg);
			break;
		case 'n':
			cfg_sizes = optarg;
			cfg_bytes = strtoull(optarg, NULL, 0);
			break;
		case 'w':
			cfg_write = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			cfg_read = strtoul(optarg, NULL, 0);
			break;
		case 's':
			cfg_seed = strtoul(optarg, NULL, 0) & 0xff;
			break;
		case 't':
			cfg_timeout = atoi(optarg);
			break;
		case 'P':
			cfg_pause = optarg;
			break;
		default:
			die_usage(argv[0]);
		}
	}
	if (cfg_listen == !!cfg_addr || !cfg_write || !cfg_read ||
	    cfg_conns < 1 || (cfg_conns > 1 && !cfg_prefix) ||
	    (cfg_sizes && strchr(cfg_sizes, ',') && !cfg_prefix))
		die_usage(argv[0]);
}

static socklen_t make_addr(struct sockaddr_storage *ss, const char *addr)
{
	memset(ss, 0, sizeof(*ss));
	if (cfg_ipv6) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(cfg_port);
		a->sin6_addr = in6addr_any;
		if (addr && inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			error(1, 0, "bad address %s", addr);
		return sizeof(*a);
	}

	struct sockaddr_in *a4 = (void *)ss;

	a4->sin_family = AF_INET;
	a4->sin_port = htons(cfg_port);
	a4->sin_addr.s_addr = htonl(INADDR_ANY);
	if (addr && inet_pton(AF_INET, addr, &a4->sin_addr) != 1)
		error(1, 0, "bad address %s", addr);
	return sizeof(*a4);
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = cfg_timeout };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		error(1, errno, "setsockopt timeout");
}

/* Read exactly @len bytes: the length prefix. */
static void read_full(int fd, void *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, buf, len);
		if (n < 0)
			error(1, errno, "read length prefix");
		if (n == 0)
			error(1, 0, "EOF in length prefix");
		buf = (uint8_t *)buf + n;
		len -= n;
	}
}

static void receive_one(int cfd, uint8_t *buf)
{
	unsigned long long got = 0;
	struct timespec t0, t1;
	uint64_t prefix;
	double secs;
	ssize_t n;

	if (cfg_pause) {
		struct stat st;
		int i;

		for (i = 0; stat(cfg_pause, &st) && i < 1200; i++)
			usleep(100000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cfg_prefix) {
		read_full(cfd, &prefix, sizeof(prefix));
		cfg_bytes = be64toh(prefix);
	}
	for (;;) {
		size_t i;

		n = read(cfd, buf, cfg_read);
		if (n < 0)
			error(1, errno, "read at offset %llu", got);
		if (n == 0)
			break;
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] != pattern_byte(got + i))
				error(1, 0,
				      "payload mismatch at offset %llu: got 0x%02x, want 0x%02x",
				      got + i, buf[i], pattern_byte(got + i));
		}
		got += n;
		if (got > cfg_bytes)
			error(1, 0, "received %llu bytes, more than %llu",
			      got, cfg_bytes);
	}
	if (got != cfg_bytes)
		error(1, 0, "received %llu bytes, want %llu", got, cfg_bytes);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* From the accept to EOF, as devmem_rx times its connections */
	printf("received %llu bytes, all verified, %.2f s, %.2f MB/s\n", got,
	       secs, got / secs / 1e6);
}

static int do_receive(void)
{
	struct sockaddr_storage ss;
	int fd, cfd, i, one = 1;
	socklen_t len;
	uint8_t *buf;

	buf = malloc(cfg_read);
	if (!buf)
		error(1, errno, "malloc");
	fd = socket(cfg_ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		error(1, errno, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		error(1, errno, "SO_REUSEADDR");
	len = make_addr(&ss, NULL);
	if (bind(fd, (void *)&ss, len))
		error(1, errno, "bind");
	if (listen(fd, 1))
		error(1, errno, "listen");
	set_timeouts(fd);
	for (i = 0; i < cfg_conns; i++) {
		cfd = accept(fd, NULL, NULL);
		if (cfd < 0)
			error(1, errno, "accept");
		set_timeouts(cfd);
		receive_one(cfd, buf);
		close(cfd);
	}
	close(fd);
	free(buf);
	return 0;
}

static void send_one(struct sockaddr_storage *ss, socklen_t len,
		     uint8_t *buf)
{
	unsigned long long sent = 0;
	struct timespec start, now;
	uint64_t prefix;
	int fd;

	/* The receiver may not be listening yet: retry for a while. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		fd = socket(cfg_ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			error(1, errno, "socket");
		/* Bounds connect too: a peer that never answers fails it. */
		set_timeouts(fd);
		if (!connect(fd, (void *)ss, len))
			break;
		if (errno != ECONNREFUSED)
			error(1, errno, "connect");
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > cfg_timeout)
			error(1, ETIMEDOUT, "connect");
		usleep(20000);
	}

	if (cfg_prefix) {
		prefix = htobe64(cfg_bytes);
		if (write(fd, &prefix, sizeof(prefix)) != sizeof(prefix))
			error(1, errno, "write length prefix");
	}
	while (sent < cfg_bytes) {
		size_t chunk = cfg_write;
		ssize_t n;

		if (chunk > cfg_bytes - sent)
			chunk = cfg_bytes - sent;
		fill(buf, sent, chunk);
		n = send(fd, buf, chunk, cfg_urgent ? MSG_OOB : 0);
		if (n < 0)
			error(1, errno, "write at offset %llu", sent);
		sent += n;
	}
	if (shutdown(fd, SHUT_WR))
		error(1, errno, "shutdown");
	/* Wait for the receiver to close: it has then checked every byte. */
	if (read(fd, buf, 1) < 0)
		error(1, errno, "read after shutdown");
	close(fd);
	printf("sent %llu bytes\n", sent);
}

static int do_send(void)
{
	const char *size = cfg_sizes;
	size_t wsize = cfg_write;
	struct sockaddr_storage ss;
	uint8_t *buf = NULL;
	socklen_t len;
	char *end;

	len = make_addr(&ss, cfg_addr);
	do {
		cfg_write = wsize;
		cfg_urgent = false;
		if (size) {
			cfg_bytes = strtoull(size, &end, 0);
			if (*end == '/')
				cfg_write = strtoul(end + 1, &end, 0);
			if (*end == 'u') {
				cfg_urgent = true;
				end++;
			}
			size = *end == ',' ? end + 1 : NULL;
		}
		if (!cfg_write)
			error(1, 0, "write size 0");
		buf = realloc(buf, cfg_write);
		if (!buf)
			error(1, errno, "malloc");
		send_one(&ss, len, buf);
	} while (size);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	parse_opts(argc, argv);
	return cfg_listen ? do_receive() : do_send();
}
