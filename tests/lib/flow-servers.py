#!/usr/bin/env python3
"""Origins for the proxy's data-flow tests (tests/proxy/bulk.sh,
tests/integration/proxyflow.bats). One thread per connection.

  flow-servers.py early --bind ADDR --port N
      Answers each request before reading its body: reads the head, waits
      --delay seconds (default 1), answers "200 early" keeping the
      connection alive, then reads nothing more, with a 4 KiB receive
      buffer, until --hold seconds (default 20) have passed.
  flow-servers.py raw --bind ADDR --port N --log FILE
      Logs every byte each connection sends it (one "CONN PEER" line, then
      one "DATA repr" line per read) and answers every request head it
      finds with "200 raw".
  flow-servers.py bulk --bind ADDR --port N
      GET /bytes/SIZE?pace=P           SIZE bytes of the pattern (byte i is
                                       i % 251), Content-Length framed
      PUT or POST /sink?pace=P         reads the body (Content-Length or
                                       chunked) and answers
                                       "received SIZE SHA256"
      P (either way): fast (big writes/reads), slow (a 4 KiB socket buffer
      and 4 KiB at a time), bursty (1 MiB, then 50 ms of nothing).
      Requests on one connection are served in turn (keep-alive).
"""
import argparse
import hashlib
import socket
import sys
import threading
import time

PATTERN = bytes(range(251)) * 1045  # 262295 bytes, a whole number of periods


def pattern_at(off, n):
    """n bytes of the pattern starting at offset off."""
    start = off % 251
    out = bytearray()
    while len(out) < n:
        take = min(n - len(out), len(PATTERN) - start)
        out += PATTERN[start:start + take]
        start = 0
    return bytes(out)


def logline(path, text):
    with open(path, "a") as f:
        f.write(text + "\n")


def listen(bind, port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        # Set on the listener, inherited by each accepted socket before its
        # window is advertised.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((bind, port))
    s.listen(128)
    return s


def serve(s, handler, *args):
    while True:
        c, peer = s.accept()
        threading.Thread(target=handler, args=(c, peer) + args, daemon=True).start()


class Reader:
    """Buffered reads from a socket: lines, heads, exact counts."""

    def __init__(self, c, chunk=262144):
        self.c, self.buf, self.chunk = c, b"", chunk

    def more(self, n=None):
        d = self.c.recv(n or self.chunk)
        if not d:
            raise EOFError
        self.buf += d

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self.more()
        h, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return h.decode("latin-1")

    def line(self):
        while b"\r\n" not in self.buf:
            self.more()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def take(self, n, pace=None):
        """Up to n bytes (at least one), paced."""
        if not self.buf:
            if pace == "slow":
                self.more(4096)
            else:
                self.more()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d


def header(head, name):
    for ln in head.split("\r\n")[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return None


# ---- early ----

def early(c, peer, delay, hold):
    try:
        c.settimeout(hold + 5)
        r = Reader(c, 4096)
        r.head()
        time.sleep(delay)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nearly\n")
        time.sleep(hold)
    except (OSError, EOFError):
        pass
    c.close()


# ---- raw ----

def raw(c, peer, log):
    logline(log, "CONN %s:%d" % peer)
    seen = b""
    try:
        c.settimeout(30)
        while True:
            d = c.recv(65536)
            if not d:
                break
            logline(log, "DATA %r" % d)
            seen += d
            while b"\r\n\r\n" in seen:
                _, seen = seen.split(b"\r\n\r\n", 1)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nraw\n")
    except OSError:
        pass
    c.close()


# ---- bulk ----

def send_paced(c, n, pace):
    off = 0
    burst = 0
    while off < n:
        step = 4096 if pace == "slow" else 262144
        d = pattern_at(off, min(step, n - off))
        c.sendall(d)
        off += len(d)
        burst += len(d)
        if pace == "bursty" and burst >= 1 << 20:
            burst = 0
            time.sleep(0.05)


def read_body(r, head, pace):
    h = hashlib.sha256()
    total = 0
    burst = 0

    def eat(n):
        nonlocal total, burst
        while n > 0:
            d = r.take(min(n, 4096 if pace == "slow" else 262144), pace)
            h.update(d)
            total += len(d)
            burst += len(d)
            n -= len(d)
            if pace == "bursty" and burst >= 1 << 20:
                burst = 0
                time.sleep(0.05)

    if (header(head, "transfer-encoding") or "").lower() == "chunked":
        while True:
            size = int(r.line().split(b";")[0].strip(), 16)
            if size == 0:
                while r.line() != b"":
                    pass
                break
            eat(size)
            r.line()
    else:
        eat(int(header(head, "content-length") or "0"))
    return total, h.hexdigest()


def bulk(c, peer):
    try:
        c.settimeout(120)
        r = Reader(c)
        while True:
            head = r.head()
            method, target = head.split(" ", 2)[:2]
            path, _, query = target.partition("?")
            pace = dict(p.partition("=")[::2] for p in query.split("&") if p).get("pace", "fast")
            if pace == "slow":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            if method == "GET" and path.startswith("/bytes/"):
                n = int(path[len("/bytes/"):])
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                          b"Content-Length: %d\r\n\r\n" % n)
                send_paced(c, n, pace)
            elif method in ("PUT", "POST") and path == "/sink":
                if (header(head, "expect") or "").lower() == "100-continue":
                    c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                total, digest = read_body(r, head, pace)
                body = b"received %d %s\n" % (total, digest.encode())
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            else:
                c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                break
            if (header(head, "connection") or "").lower() == "close":
                break
    except (OSError, EOFError, ValueError):
        pass
    c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["early", "raw", "bulk"])
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log")
    ap.add_argument("--delay", type=float, default=1.0)
    ap.add_argument("--hold", type=float, default=20.0)
    a = ap.parse_args()
    if a.mode == "early":
        serve(listen(a.bind, a.port, 4096), early, a.delay, a.hold)
    elif a.mode == "raw":
        if not a.log:
            sys.exit("raw needs --log")
        serve(listen(a.bind, a.port), raw, a.log)
    else:
        serve(listen(a.bind, a.port), bulk)


if __name__ == "__main__":
    main()
