#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A hostile peer: crafted packets at a port whose RX queue is bound.

  hostile.py -4 SRC DST [-6 SRC6 DST6] [-s SEED] [-n COUNT] [-t SECONDS]
             [-p PORT -P PATTERN_SEED] [-m MPTCP_PORT]
  hostile.py -l DEV [-g GROUP] [-t SECONDS] [-m MPTCP_PORT]

Run in the sending namespace, as root (raw sockets, IP_HDRINCL). Each
attack sends COUNT packets from a seeded generator, or stops after SECONDS;
each prints one line: "attack NAME: N packets". The receiver's kernel puts
their payload in memory the CPU must not read (header split, a memory
provider): whatever it does with them, it must not crash, warn or read it.
The caller checks the kernel log and the receiver's own bytes.

With -p, a last attack makes a TCP connection of its own to PORT (raw
sockets: the caller drops the RSTs the sending stack would answer with,
source ports 40000-40099) and sends it a tcp_pattern -L stream of seed
PATTERN_SEED: segments out of order, repeated, overlapping, one byte long,
with bad checksums, with an urgent pointer, among ACKs carrying SACK
blocks; then whatever the receiver has not acked, in order, and FIN, and
it acks the receiver's FIN. The receiver must read the stream whole and
right.

With -m, before that, two MPTCP connections to MPTCP_PORT each send 64 KiB,
the first without and the second with the DSS checksum.

With -l it is the receiving side's observer instead: it binds NFLOG group
GROUP in copy-packet mode (so that nfnetlink_log copies what a rule logs)
and captures DEV with a packet socket, and with -m accepts MPTCP
connections on MPTCP_PORT, reading all of them until SIGTERM or SECONDS,
then prints what it got: "listen: N nflog, M packet, mptcp B/END ...",
with B the bytes read from each connection and END how it ended (EOF, an
errno name, or open).
"""

import argparse
import errno
import os
import random
import select
import signal
import socket
import struct
import sys
import time

IPPROTO_MPTCP = 262


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, payload, ident=0, frag=0, tot=None):
    """An IPv4 header (checksummed) followed by @payload."""
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, tot or 20 + len(payload),
                      ident, frag, 64, proto, 0, socket.inet_aton(src),
                      socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr + payload


def icmp(typ, code, rest, body):
    msg = struct.pack('!BBH', typ, code, 0) + rest + body
    return msg[:2] + struct.pack('!H', csum(msg)) + msg[4:]


def udp4(src, dst, sport, dport, body):
    pseudo = struct.pack('!4s4sBBH', socket.inet_aton(src),
                         socket.inet_aton(dst), 0, 17, 8 + len(body))
    hdr = struct.pack('!HHHH', sport, dport, 8 + len(body), 0)
    c = csum(pseudo + hdr + body) or 0xffff
    return hdr[:6] + struct.pack('!H', c) + body


def tcp4(src, dst, sport, dport, seq, ack, flags, body=b'', opts=b'',
         urg=0, bad_csum=False):
    """A TCP header (checksummed, or deliberately not) and @body."""
    hdr = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff,
                      ack & 0xffffffff, (20 + len(opts)) // 4 << 4, flags,
                      65535, 0, urg) + opts
    pseudo = struct.pack('!4s4sBBH', socket.inet_aton(src),
                         socket.inet_aton(dst), 0, 6, len(hdr) + len(body))
    c = csum(pseudo + hdr + body) ^ (0x5a5a if bad_csum else 0)
    return hdr[:16] + struct.pack('!H', c) + hdr[18:] + body


def pattern(seed, n):
    """tcp_pattern's bytes: a length prefix, then the pattern of @seed."""
    return struct.pack('!Q', n) + bytes(
        ((o % 251) ^ ((o // 251) % 253) ^ seed) & 0xff for o in range(n))


FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32


class Peer:
    def __init__(self, args):
        self.a = args
        self.rnd = random.Random(args.seed)
        self.deadline = time.monotonic() + args.time
        self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                                 socket.IPPROTO_RAW)
        self.raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)

    def body(self, n):
        return bytes(self.rnd.getrandbits(8) for _ in range(n))

    def send4(self, pkt):
        self.raw.sendto(pkt, (self.a.dst, 0))

    def run(self, name, fn):
        n = 0
        for i in range(self.a.count):
            if time.monotonic() > self.deadline:
                break
            n += fn(i)
        print(f'attack {name}: {n} packets', flush=True)

    # ICMP timestamp requests with a large body: the originate stamp is
    # payload (tcp_urg's and icmp_timestamp's BUG()s).
    def icmp_timestamp(self, i):
        body = self.body(self.rnd.randrange(300, 1400))
        self.send4(ip4(self.a.src, self.a.dst, 1,
                       icmp(13, 0, struct.pack('!HH', 7, i), body), i))
        return 1

    # Echo requests big enough for their body to be split off: a reply
    # would have to copy it.
    def icmp_echo(self, i):
        body = self.body(self.rnd.randrange(300, 1400))
        self.send4(ip4(self.a.src, self.a.dst, 1,
                       icmp(8, 0, struct.pack('!HH', 8, i), body), i))
        return 1

    # UDP to a closed port: the port unreachable error quotes the datagram.
    def udp_closed(self, i):
        body = self.body(self.rnd.randrange(300, 1400))
        self.send4(ip4(self.a.src, self.a.dst, 17,
                       udp4(self.a.src, self.a.dst, 4000 + i, 9, body), i))
        return 1

    # IPv4 fragments of UDP datagrams: a small first fragment (read whole
    # into the header buffer) then large ones (split), in order, reversed,
    # overlapping, duplicated. Reassembly chains them on the frag_list.
    def frag4(self, i):
        dgram = udp4(self.a.src, self.a.dst, 5000, 9,
                     self.body(self.rnd.randrange(1500, 2900)))
        ident = 0x4000 + i
        # Each fragment within the MTU of 1500
        cuts = [0, 8]
        while len(dgram) - cuts[-1] > 1200:
            cuts.append(cuts[-1] + 8 * self.rnd.randrange(60, 150))
        frags = []
        for k, start in enumerate(cuts):
            end = cuts[k + 1] if k + 1 < len(cuts) else len(dgram)
            more = 0x2000 if end < len(dgram) else 0
            frags.append(ip4(self.a.src, self.a.dst, 17, dgram[start:end],
                             ident, more | (start // 8)))
        mode = i % 4
        if mode == 1:
            frags.reverse()
        elif mode == 2:
            frags.insert(1, frags[-1])
        elif mode == 3:
            # An overlap: the last fragment again, 8 bytes earlier
            last = cuts[-1] - 8
            frags.append(ip4(self.a.src, self.a.dst, 17, dgram[last:],
                             ident, last // 8))
        for f in frags:
            self.send4(f)
        return len(frags)

    # A frame longer than its IP datagram: the trailer is trimmed off
    # (pskb_trim_rcsum) from bytes the CPU must not read.
    def trailer(self, i):
        body = self.body(self.rnd.randrange(300, 1200))
        u = udp4(self.a.src, self.a.dst, 6000, 9, body)
        pad = self.body(self.rnd.randrange(1, 200))
        self.send4(ip4(self.a.src, self.a.dst, 17, u + pad, i,
                       tot=20 + len(u)))
        return 1

    # IPv6: echo requests and UDP to a closed port, both large; fragmented
    # by the sender's stack (IPV6_DONTFRAG off, over the MTU).
    def v6(self, i):
        if not self.a.dst6:
            return 0
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        try:
            s.sendto(self.body(self.rnd.randrange(300, 3000)),
                     (self.a.dst6, 9))
        finally:
            s.close()
        r = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                          socket.IPPROTO_ICMPV6)
        try:
            r.sendto(struct.pack('!BBHHH', 128, 0, 0, 9, i) +
                     self.body(self.rnd.randrange(300, 2800)),
                     (self.a.dst6, 0))
        finally:
            r.close()
        return 2

    # VXLAN (UDP 4789, VNI 42) for the receiver's vxlan device: the whole
    # inner frame is payload, in memory the CPU must not read, and decap
    # must drop it rather than read its headers.
    def vxlan(self, i):
        inner = ip4('198.51.100.1', '198.51.100.2', 1,
                    icmp(8, 0, struct.pack('!HH', 10, i),
                         self.body(self.rnd.randrange(16, 1200))), i)
        frame = b'\xff' * 6 + bytes([2, 0, 0, 0, 0, 1]) + b'\x08\x00' + inner
        vx = struct.pack('!II', 0x08000000, 42 << 8)
        self.send4(ip4(self.a.src, self.a.dst, 17,
                       udp4(self.a.src, self.a.dst, 41000 + i % 100, 4789,
                            vx + frame), i))
        return 1


    # MPTCP connections to the observer's listener, the DSS checksum off
    # and then on (asked for by this end): their payload is in the
    # provider's memory, so the receiver must neither sum it nor copy it.
    def mptcp(self):
        n = 0
        for csum in (0, 1):
            with open('/proc/sys/net/mptcp/checksum_enabled', 'w') as f:
                f.write(str(csum))
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                              IPPROTO_MPTCP)
            s.settimeout(10)
            try:
                s.connect((self.a.dst, self.a.mptcp))
                n += 1
                # The receiver fails the connection: a reset may end this
                s.sendall(self.body(65536))
            except OSError as e:
                print(f'# mptcp connection {csum}: {e}', flush=True)
            finally:
                s.close()
        with open('/proc/sys/net/mptcp/checksum_enabled', 'w') as f:
            f.write('0')
        print(f'attack mptcp: {n} connections', flush=True)

    def tcp_recv(self, rx, sport, until):
        """The next segment from the receiver to @sport: (seq, ack, flags)."""
        while time.monotonic() < until:
            try:
                pkt = rx.recv(65536)
            except socket.timeout:
                return None
            ihl = (pkt[0] & 15) * 4
            if socket.inet_ntoa(pkt[12:16]) != self.a.dst:
                continue
            p, d, seq, ack, _, flags = struct.unpack_from('!HHIIBB', pkt, ihl)
            if p == self.a.port and d == sport:
                return seq, ack, flags
        return None

    def tcp_stream(self):
        a = self.a
        rx = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                           socket.IPPROTO_TCP)
        rx.settimeout(0.2)
        sport = 40000 + self.rnd.randrange(100)
        data = pattern(a.pseed, self.rnd.randrange(20000, 50000))
        isn = self.rnd.getrandbits(32)
        sent = 0
        end = time.monotonic() + 120

        def out(seq, flags, body=b'', **kw):
            nonlocal sent
            self.send4(ip4(a.src, a.dst, 6,
                           tcp4(a.src, a.dst, sport, a.port, seq, peer + 1,
                                flags, body, **kw)))
            sent += 1

        # SYN: MSS 1400 and SACK permitted, no window scaling
        peer, got = -1, None
        while not got and time.monotonic() < end:
            out(isn, SYN, opts=struct.pack('!BBHBBH', 2, 4, 1400, 1, 4, 2))
            got = self.tcp_recv(rx, sport, time.monotonic() + 1)
            if got and got[2] & (SYN | ACK) != SYN | ACK:
                got = None
        if not got:
            print('attack tcp_stream: no SYN-ACK', flush=True)
            return 1
        peer = got[0]
        base = isn + 1
        out(base, ACK)

        # The stream cut into segments of 1, 7 or 100-1400 bytes
        segs, off = [], 0
        while off < len(data):
            n = self.rnd.choice([1, 7] + [self.rnd.randrange(100, 1400)] * 4)
            segs.append((off, min(n, len(data) - off)))
            off += n
        sends = list(segs)
        for off, n in segs:
            r = self.rnd.random()
            if r < 0.1:
                sends.append((off, n))          # again
            elif r < 0.2:                       # overlapping its neighbours
                lo = max(0, off - self.rnd.randrange(1, 300))
                sends.append((lo, min(len(data), off + n + 300,
                                      lo + 1400) - lo))
        self.rnd.shuffle(sends)
        for k, (off, n) in enumerate(sends):
            kw = {}
            if k % 17 == 3:
                kw['bad_csum'] = True
            if k % 23 == 5 and n > 1:
                kw['urg'] = self.rnd.randrange(1, n)
            out(base + off, ACK | PSH | (URG if 'urg' in kw else 0),
                data[off:off + n], **kw)
            if k % 11 == 0:
                # a bare ACK with SACK blocks of data the receiver never sent
                blocks = b''.join(struct.pack(
                    '!II', (peer + 1 + x) & 0xffffffff,
                    (peer + 1 + x + y) & 0xffffffff) for x, y in
                    ((self.rnd.randrange(1 << 20), self.rnd.randrange(1, 9000))
                     for _ in range(3)))
                out(base + off, ACK,
                    opts=struct.pack('!BBBB', 1, 1, 5, 2 + len(blocks)) +
                    blocks)
        # Then what is not acked, in order, until all of it and FIN are
        acked = base
        while time.monotonic() < end:
            got = self.tcp_recv(rx, sport, time.monotonic() + 0.3)
            while got:
                if got[2] & ACK and 0 < (got[1] - acked) & 0xffffffff < 1 << 30:
                    acked = got[1]
                got = self.tcp_recv(rx, sport, time.monotonic() + 0.05)
            done = (acked - base) & 0xffffffff
            if done > len(data):
                break
            if done == len(data):
                out(base + len(data), FIN | ACK)
                continue
            for off in range(done, min(len(data), done + 8 * 1400), 1400):
                out(base + off, ACK | PSH, data[off:off + 1400])
        ok = (acked - base) & 0xffffffff == len(data) + 1
        # The receiver closes once it read the stream: ACK its FIN as a
        # peer does, or its socket lingers (LAST_ACK) with what it holds.
        closed = False
        while ok and not closed and time.monotonic() < end + 90:
            got = self.tcp_recv(rx, sport, time.monotonic() + 0.5)
            if got and got[2] & FIN:
                self.send4(ip4(a.src, a.dst, 6,
                               tcp4(a.src, a.dst, sport, a.port,
                                    base + len(data) + 1, got[0] + 1, ACK)))
                sent += 1
                closed = True
        print(f'attack tcp_stream: {sent} packets, {len(data) - 8} bytes '
              f'{"acked" if ok else "NOT acked"}'
              f'{", closed" if closed else ", receiver never closed"}',
              flush=True)
        return 0 if ok and closed else 1


def nflog_bind(group):
    """A netfilter netlink socket bound to NFLOG @group, copying packets."""
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
    nl.bind((0, 0))
    for attr in (struct.pack('=HHB3x', 5, 1, 1),         # CFG_CMD bind
                 struct.pack('=HH', 10, 2) +              # CFG_MODE
                 struct.pack('!IBx2x', 0xffff, 2)):
        body = struct.pack('!BBH', socket.AF_INET, 0, group) + attr
        # NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG, REQUEST | ACK
        nl.send(struct.pack('=IHHII', 16 + len(body), (4 << 8) | 1, 5, 0,
                            0) + body)
        ack = nl.recv(4096)
        err = struct.unpack_from('=i', ack, 16)[0]
        if err:
            raise OSError(-err, 'NFLOG config')
    return nl


def listen(a):
    nl = nflog_bind(a.group)
    pk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                       socket.htons(0x0003))
    pk.bind((a.listen, 0))
    counts = {nl: 0, pk: 0}
    mp, conns, done = None, {}, []
    if a.mptcp:
        mp = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        mp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        mp.bind(('0.0.0.0', a.mptcp))
        mp.listen(4)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    end = time.monotonic() + a.time
    while not stop and time.monotonic() < end:
        try:
            ready, _, _ = select.select(list(counts) + list(conns) +
                                        ([mp] if mp else []), [], [], 0.2)
        except InterruptedError:
            continue
        for s in ready:
            if s is mp:
                c, _ = mp.accept()
                conns[c] = 0
                continue
            try:
                data = s.recv(65536)
            except OSError as e:
                if s not in conns:
                    continue
                data, err = None, errno.errorcode.get(e.errno, e.errno)
            if s in counts:
                counts[s] += 1
            elif data:
                conns[s] += len(data)
            else:
                done.append(f'{conns.pop(s)}/{err if data is None else "EOF"}')
                s.close()
    done += [f'{n}/open' for n in conns.values()]
    print(f'listen: {counts[nl]} nflog, {counts[pk]} packet, mptcp '
          f'{" ".join(done) or "none"}', flush=True)
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument('-l', dest='listen')
    p.add_argument('-g', dest='group', type=int, default=5)
    p.add_argument('-4', dest='addr', nargs=2)
    p.add_argument('-6', dest='addr6', nargs=2)
    p.add_argument('-s', dest='seed', type=int, default=1)
    p.add_argument('-n', dest='count', type=int, default=64)
    p.add_argument('-t', dest='time', type=float, default=60)
    p.add_argument('-p', dest='port', type=int)
    p.add_argument('-P', dest='pseed', type=int, default=0)
    p.add_argument('-m', dest='mptcp', type=int)
    a = p.parse_args()
    if a.listen:
        return listen(a)
    if not a.addr:
        p.error('-4 SRC DST is required')
    a.src, a.dst = a.addr
    a.src6, a.dst6 = a.addr6 if a.addr6 else (None, None)
    peer = Peer(a)
    for name in ('icmp_timestamp', 'icmp_echo', 'udp_closed', 'frag4',
                 'trailer', 'v6', 'vxlan'):
        peer.run(name, getattr(peer, name))
    if a.mptcp:
        peer.mptcp()
    return peer.tcp_stream() if a.port else 0


if __name__ == '__main__':
    sys.exit(main())
