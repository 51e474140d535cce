#!/usr/bin/env python3
"""DNS probes a job runs against its resolver (tests/integration/intercept_dns.bats
and bypass.bats), one line per query:

  dns-probe.py rand SERVER BASE N     N names <random hex>.BASE, each asked
      once, the type cycling A, TXT, AAAA, ANY, HTTPS and the transport UDP,
      TCP: RAND NAME TYPE PROTO rcode=R answers=N | RAND NAME TYPE PROTO noreply
  dns-probe.py bad SERVER             malformed queries over UDP and TCP:
      BAD LABEL PROTO rcode=R | BAD LABEL PROTO noreply
  dns-probe.py q SERVER NAME TYPE PROTO   one query: Q NAME TYPE PROTO rcode=R
      answers=N types=T,T ttls=S,S
  dns-probe.py flood SERVER BASE SECS  A queries over UDP for names
      f<three 60-hex labels>.BASE, as fast as they go for SECS seconds:
      FLOOD sent=N servfail=S other=O secs=T
"""
import os
import select
import socket
import struct
import sys
import time

TYPES = {"A": 1, "TXT": 16, "AAAA": 28, "ANY": 255, "HTTPS": 65, "SVCB": 64}


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def query(name, qtype, qid=None):
    qid = qid if qid is not None else struct.unpack("!H", os.urandom(2))[0]
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname(name) + struct.pack("!HH", qtype, 1)


def ask(server, msg, proto):
    try:
        if proto == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.sendto(msg, (server, 53))
            return s.recvfrom(65535)[0]
        s = socket.create_connection((server, 53), timeout=3)
        s.sendall(struct.pack("!H", len(msg)) + msg)
        f = s.makefile("rb")
        h = f.read(2)
        if len(h) < 2:
            return None
        return f.read(struct.unpack("!H", h)[0])
    except OSError:
        return None


def skip_name(r, off):
    while True:
        n = r[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1
        if n == 0:
            return off
        off += n


def parse(r):
    """(rcode, [(type, ttl)]) of a reply."""
    flags, qd, an = struct.unpack("!HHH", r[2:8])
    off = 12
    for _ in range(qd):
        off = skip_name(r, off) + 4
    rrs = []
    for _ in range(an):
        off = skip_name(r, off)
        t, _, ttl, ln = struct.unpack("!HHIH", r[off:off + 10])
        rrs.append((t, ttl))
        off += 10 + ln
    return flags & 0xF, rrs


def out(*a):
    print(*a, flush=True)


def rand(server, base, n):
    names = list(TYPES)[:5]
    for i in range(int(n)):
        name = "%s.%s" % (os.urandom(8).hex(), base)
        t = names[i % len(names)]
        proto = "udp" if i % 2 == 0 else "tcp"
        r = ask(server, query(name, TYPES[t]), proto)
        if r is None:
            out("RAND", name, t, proto, "noreply")
        else:
            rc, rrs = parse(r)
            out("RAND", name, t, proto, "rcode=%d" % rc, "answers=%d" % len(rrs))


def bad(server):
    good = query("www.test", 1, 0x4E57)
    cases = {
        # The question cut off in the middle of its name.
        "truncated": good[:16],
        # A name label running past the end of the message.
        "overrun": good[:12] + b"\x3fwww",
        # Two questions where the message holds one.
        "qdcount": good[:4] + b"\x00\x02" + good[6:],
        # A compression pointer in the question pointing at itself.
        "loop": good[:12] + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
    }
    for label, msg in cases.items():
        for proto in ("udp", "tcp"):
            r = ask(server, msg, proto)
            if r is None or len(r) < 4:
                out("BAD", label, proto, "noreply")
            else:
                out("BAD", label, proto, "rcode=%d" % (struct.unpack("!H", r[2:4])[0] & 0xF))


def one(server, name, t, proto):
    r = ask(server, query(name, TYPES[t]), proto)
    if r is None:
        out("Q", name, t, proto, "noreply")
        return
    rc, rrs = parse(r)
    out("Q", name, t, proto, "rcode=%d" % rc, "answers=%d" % len(rrs),
        "types=" + ",".join(str(x[0]) for x in rrs), "ttls=" + ",".join(str(x[1]) for x in rrs))


def flood(server, base, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    sent = servfail = other = 0
    start = time.monotonic()
    end = start + float(secs)
    while time.monotonic() < end:
        name = "f%s.%s.%s.%s" % (os.urandom(30).hex(), os.urandom(30).hex(),
                                 os.urandom(30).hex(), base)
        try:
            s.sendto(query(name, 1), (server, 53))
            sent += 1
        except (BlockingIOError, OSError):
            pass
        while True:
            try:
                r = s.recv(65535)
            except (BlockingIOError, OSError):
                break
            if len(r) >= 4 and r[3] & 0xF == 2:
                servfail += 1
            else:
                other += 1
        if sent % 64 == 0:
            select.select([s], [], [], 0.001)
    out("FLOOD", "sent=%d" % sent, "servfail=%d" % servfail, "other=%d" % other,
        "secs=%d" % int(time.monotonic() - start + 0.999))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"rand": rand, "bad": bad, "q": one, "flood": flood}[cmd](*args)


if __name__ == "__main__":
    main()
