#!/usr/bin/env python3
"""The client side of the proxy's data-flow tests, on raw sockets so that
its buffers and pace are the test's to choose. PROXY is HOST:PORT.

  flow-client.py get PROXY HOST:PORT SIZE [--pace P] [--opace P] [--rcvbuf N] [--connect]
      GET /bytes/SIZE from the bulk origin; checks every byte against the
      pattern (byte i is i % 251): "GET SIZE ok" | "GET GOT/SIZE bad ..."
  flow-client.py put PROXY HOST:PORT SIZE [--pace P] [--opace P] [--sndbuf N] [--connect]
      PUTs SIZE pattern bytes to /sink; prints the origin's answer
      ("PUT received SIZE SHA256") and "PUTSHA SHA256" of what was sent
  flow-client.py leftover PROXY EARLY_HOST:PORT RAW_HOST:PORT SIZE
      On one connection: a POST of SIZE bytes to the early origin whose
      body ends in a forged request to the raw origin, then, if the
      connection is kept, a GET to the raw origin.
      "FIRST STATUS-LINE", then "SECOND STATUS-LINE" | "SECOND closed"

P: fast, slow (4 KiB at a time), bursty (1 MiB, then 50 ms of nothing);
--pace is the client's own, --opace the origin's (?pace= on the request).
--connect goes through a CONNECT tunnel (plain HTTP inside).
"""
import argparse
import hashlib
import socket
import sys
import time

PATTERN = bytes(range(251)) * 1045


def pattern_at(off, n):
    start = off % 251
    out = bytearray()
    while len(out) < n:
        take = min(n - len(out), len(PATTERN) - start)
        out += PATTERN[start:start + take]
        start = 0
    return bytes(out)


def hostport(s):
    h, _, p = s.rpartition(":")
    return h, int(p)


def read_head(c, buf=b""):
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            raise EOFError("closed after %d bytes of head" % len(buf))
        buf += d
    h, rest = buf.split(b"\r\n\r\n", 1)
    return h.decode("latin-1"), rest


def content_length(head):
    for ln in head.split("\r\n")[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == "content-length":
            return int(v)
    return None


def open_conn(a, origin, rcvbuf=None, sndbuf=None):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if sndbuf:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    c.settimeout(a.timeout)
    c.connect(hostport(a.proxy))
    prefix = "http://%s" % origin
    if a.connect:
        c.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (origin.encode(), origin.encode()))
        head, rest = read_head(c)
        if not head.startswith("HTTP/1.1 200"):
            sys.exit("CONNECT refused: " + head.split("\r\n")[0])
        assert rest == b""
        prefix = ""
    return c, prefix


def pause(pace, moved):
    if pace == "bursty" and moved >= 1 << 20:
        time.sleep(0.05)
        return 0
    return moved


def get(a):
    c, prefix = open_conn(a, a.origin, rcvbuf=a.rcvbuf)
    n = a.size
    c.sendall(b"GET %s/bytes/%d?pace=%s HTTP/1.1\r\nHost: %s\r\n\r\n" %
              (prefix.encode(), n, a.opace.encode(), a.origin.encode()))
    head, rest = read_head(c)
    if content_length(head) != n:
        print("GET 0/%d bad head %r" % (n, head.split("\r\n")[0]))
        return 1
    got, burst, bad = 0, 0, None
    step = 4096 if a.pace == "slow" else 262144
    d = rest
    while True:
        if d:
            if bad is None and d != pattern_at(got, len(d)):
                bad = got
            got += len(d)
            burst = pause(a.pace, burst + len(d))
        if got >= n:
            break
        d = c.recv(min(step, n - got))
        if not d:
            break
    if got == n and bad is None:
        print("GET %d ok" % n)
        return 0
    print("GET %d/%d bad%s" % (got, n, "" if bad is None else " from byte %d" % bad))
    return 1


def put(a):
    c, prefix = open_conn(a, a.origin, sndbuf=a.sndbuf)
    n = a.size
    c.sendall(b"PUT %s/sink?pace=%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" %
              (prefix.encode(), a.opace.encode(), a.origin.encode(), n))
    h = hashlib.sha256()
    off, burst = 0, 0
    step = 4096 if a.pace == "slow" else 262144
    while off < n:
        d = pattern_at(off, min(step, n - off))
        c.sendall(d)
        h.update(d)
        off += len(d)
        burst = pause(a.pace, burst + len(d))
    head, rest = read_head(c)
    want = content_length(head) or 0
    while len(rest) < want:
        d = c.recv(65536)
        if not d:
            break
        rest += d
    print("PUT %s" % rest.decode("latin-1").strip())
    print("PUTSHA %s" % h.hexdigest())
    return 0


def leftover(a):
    c, _ = open_conn(a, a.early)
    rh, rp = hostport(a.raw)
    forged = (b"\r\n\r\nGET http://%s/smuggled HTTP/1.1\r\nHost: %s\r\n"
              b"X-Bacalhau-Job-ID: forged\r\n\r\n" % (a.raw.encode(), a.raw.encode()))
    body = b"A" * (a.size - len(forged)) + forged
    c.sendall(b"POST http://%s/ HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" %
              (a.early.encode(), a.early.encode(), len(body)) + body)
    head, rest = read_head(c)
    want = content_length(head) or 0
    while len(rest) < want:
        rest += c.recv(65536)
    print("FIRST %s" % head.split("\r\n")[0])
    sys.stdout.flush()
    try:
        c.sendall(b"GET http://%s/next HTTP/1.1\r\nHost: %s\r\n\r\n" % (a.raw.encode(), a.raw.encode()))
        head, _ = read_head(c)
        print("SECOND %s" % head.split("\r\n")[0])
    except (OSError, EOFError):
        print("SECOND closed")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["get", "put", "leftover"])
    ap.add_argument("proxy")
    ap.add_argument("origin")
    ap.add_argument("rest", nargs="+")
    ap.add_argument("--pace", default="fast", choices=["fast", "slow", "bursty"])
    ap.add_argument("--opace", default="fast", choices=["fast", "slow", "bursty"])
    ap.add_argument("--rcvbuf", type=int)
    ap.add_argument("--sndbuf", type=int)
    ap.add_argument("--connect", action="store_true")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    if a.mode == "leftover":
        a.early, a.raw, a.size = a.origin, a.rest[0], int(a.rest[1])
        return leftover(a)
    a.size = int(a.rest[0])
    return get(a) if a.mode == "get" else put(a)


if __name__ == "__main__":
    sys.exit(main())
