#!/usr/bin/env python3
"""Origin for tests/proxy/pool.sh: HTTP/1.x on ADDR:PORT that logs, one
line each to LOG, every connection that sends a request ("conn ID", IDs
from 1 in that order: a probe that only connects gets none), every request
("req ID METHOD PATH HOST"), when it sends unsolicited bytes ("junk ID")
and when it has closed a connection ("eof ID MS", MS since its last
response).
Keeps a connection for HTTP/1.1 and for HTTP/1.0 with Connection:
keep-alive, else closes it after the response. Every body says which
connection served it ("conn=ID"). Paths:
  /junk      0.2 s after the response, a whole response nobody asked for
             ("POISONED") on the idle connection, then the "junk" line
  /extra     the same bytes sent right behind the response
  /close     the connection is closed 0.2 s after the response
  /die-next  the next request on this connection is read whole, then the
             connection is closed without an answer
  /hold/N    answered once N requests for /hold/N are in (at most 10 s)
"""
import socket
import sys
import threading
import time

lock = threading.Lock()
next_id = [0]
barriers = {}


def log(line):
    with lock, open(sys.argv[3], "a") as f:
        f.write(line + "\n")


POISON = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nPOISONED\n"


def read_request(s, buf):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None, buf
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        fields[k.strip().lower()] = v.strip()
    n = int(fields.get("content-length", "0"))
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            return None, buf
        buf += d
    return (lines[0].split(" "), fields), buf[n:]


def serve(s):
    cid = None
    buf = b""
    die_next = False
    last = time.monotonic()
    try:
        while True:
            req, buf = read_request(s, buf)
            if req is None:
                break
            if cid is None:
                with lock:
                    next_id[0] += 1
                    cid = next_id[0]
                log("conn %d" % cid)
            (method, path, version), fields = req
            log("req %d %s %s %s" % (cid, method, path, fields.get("host", "-")))
            if die_next:
                break
            if path.startswith("/hold/"):
                with lock:
                    b = barriers.setdefault(path, threading.Barrier(int(path[6:])))
                try:
                    b.wait(10)
                except threading.BrokenBarrierError:
                    pass
            conn = fields.get("connection", "").lower()
            keep = (version == "HTTP/1.1" and conn != "close") or conn == "keep-alive"
            body = b"conn=%d\n" % cid
            resp = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (
                len(body), b"Keep-Alive: timeout=75\r\n" if keep else b"Connection: close\r\n",
                b"" if method == "HEAD" else body)
            if path == "/extra":
                resp += POISON
            s.sendall(resp)
            last = time.monotonic()
            if not keep:
                break
            if path == "/junk":
                time.sleep(0.2)
                s.sendall(POISON)
                log("junk %d" % cid)
            elif path == "/close":
                time.sleep(0.2)
                break
            elif path == "/die-next":
                die_next = True
    except OSError:
        pass
    s.close()  # before the line: a test that waits for it finds the FIN sent
    if cid is not None:
        log("eof %d %d" % (cid, (time.monotonic() - last) * 1000))


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((sys.argv[1], int(sys.argv[2])))
    srv.listen(64)
    while True:
        s, _ = srv.accept()
        threading.Thread(target=serve, args=(s,), daemon=True).start()


main()
