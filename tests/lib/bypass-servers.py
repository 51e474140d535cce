#!/usr/bin/env python3
"""Small servers for tests/integration/bypass.bats, each logging what it saw
so that a test can assert an attack never arrived.

  bypass-servers.py dns --bind ADDR --records FILE [--log FILE]
      A DNS responder (UDP and TCP, A and AAAA) for names the test internet's
      dnsmasq does not know. FILE holds lines "NAME TYPE ADDR[,ADDR...] [TTL]"
      (TTL 1 when absent); a TYPE of "A-ALT" answers the addresses in turn, one per A query, TTL 0
      (DNS rebinding). Unknown names: NXDOMAIN.
  bypass-servers.py echo --bind ADDR --port N --log FILE
      An HTTP origin that answers every request with its request line and
      headers as received, and logs them (one "REQ ..." line, then "HDR ..."
      lines, and "TRL ..." for each trailer field of a chunked body).
      Requests pipelined behind the first are logged too.
  bypass-servers.py sink --bind ADDR --port N --log FILE [--udp]
      Logs "CONN PEER" for each TCP connection (or "DGRAM PEER DATA" for each
      UDP datagram) and answers "sink\\n".
"""
import argparse
import socket
import socketserver
import struct
import sys
import threading


def logline(path, text):
    if not path:
        return
    with open(path, "a") as f:
        f.write(text + "\n")


# ---- DNS ----

class Zone:
    def __init__(self, path):
        self.rec = {}
        self.ttl = {}
        self.turn = {}
        self.lock = threading.Lock()
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) not in (3, 4) or parts[0].startswith("#"):
                    continue
                name, typ, addrs = parts[:3]
                self.rec[(name.lower().rstrip("."), typ)] = addrs.split(",")
                if len(parts) == 4:
                    self.ttl[name.lower().rstrip(".")] = int(parts[3])

    def known(self, name):
        return any(k[0] == name for k in self.rec)

    def answer(self, name, qtype):
        with self.lock:
            if qtype == 1:
                alt = self.rec.get((name, "A-ALT"))
                if alt:
                    i = self.turn.get(name, 0)
                    self.turn[name] = i + 1
                    return [alt[i % len(alt)]], 0
                return self.rec.get((name, "A"), []), self.ttl.get(name, 1)
            if qtype == 28:
                return self.rec.get((name, "AAAA"), []), self.ttl.get(name, 1)
        return [], 1


def parse_qname(msg, off):
    labels = []
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels), off


def dns_reply(zone, msg, logpath):
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        return None
    name, off = parse_qname(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    lname = name.lower()
    addrs, ttl = zone.answer(lname, qtype)
    rcode = 0 if (addrs or zone.known(lname)) else 3
    logline(logpath, "QUERY %s %d -> %s" % (lname, qtype, ",".join(addrs) or "rcode %d" % rcode))
    answers = b""
    for a in addrs:
        if qtype == 1:
            rdata = socket.inet_pton(socket.AF_INET, a)
        else:
            rdata = socket.inet_pton(socket.AF_INET6, a)
        answers += struct.pack("!HHHIH", 0xC00C, qtype, 1, ttl, len(rdata)) + rdata
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode
    hdr = struct.pack("!HHHHHH", qid, rflags, 1, len(addrs), 0, 0)
    return hdr + question + answers


def serve_dns(args):
    zone = Zone(args.records)

    class UDP(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            r = dns_reply(zone, data, args.log)
            if r:
                sock.sendto(r, self.client_address)

    class TCP(socketserver.BaseRequestHandler):
        def handle(self):
            f = self.request.makefile("rb")
            while True:
                h = f.read(2)
                if len(h) < 2:
                    return
                data = f.read(struct.unpack("!H", h)[0])
                r = dns_reply(zone, data, args.log)
                if not r:
                    return
                self.request.sendall(struct.pack("!H", len(r)) + r)

    class TS(socketserver.ThreadingMixIn, socketserver.TCPServer):
        allow_reuse_address = True
        daemon_threads = True

    class US(socketserver.ThreadingMixIn, socketserver.UDPServer):
        allow_reuse_address = True
        daemon_threads = True

    t = TS((args.bind, 53), TCP)
    u = US((args.bind, 53), UDP)
    threading.Thread(target=t.serve_forever, daemon=True).start()
    u.serve_forever()


# ---- echo origin ----

def serve_echo(args):
    class H(socketserver.StreamRequestHandler):
        def handle(self):
            peer = self.client_address[0]
            while True:
                line = self.rfile.readline(65536)
                if not line:
                    return
                reqline = line.decode("latin-1").rstrip("\r\n")
                if reqline == "":
                    continue
                logline(args.log, "REQ %s %s" % (peer, reqline))
                hdrs = []
                clen = 0
                chunked = False
                while True:
                    h = self.rfile.readline(65536)
                    if not h or h in (b"\r\n", b"\n"):
                        break
                    t = h.decode("latin-1").rstrip("\r\n")
                    hdrs.append(t)
                    logline(args.log, "HDR %s" % t)
                    k, _, v = t.partition(":")
                    if k.strip().lower() == "content-length":
                        clen = int(v.strip() or "0")
                    if k.strip().lower() == "transfer-encoding" and "chunked" in v.lower():
                        chunked = True
                if chunked:
                    while True:
                        n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if n == 0:
                            while True:
                                t = self.rfile.readline(65536)
                                if t in (b"\r\n", b"\n", b""):
                                    break
                                logline(args.log, "TRL %s" % t.decode("latin-1").rstrip("\r\n"))
                            break
                        self.rfile.read(n)
                        self.rfile.readline()
                elif clen:
                    self.rfile.read(clen)
                body = ("ECHO %s\n" % reqline + "".join("ECHOHDR %s\n" % x for x in hdrs)).encode()
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
                self.wfile.flush()

    class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
        allow_reuse_address = True
        daemon_threads = True

    S((args.bind, args.port), H).serve_forever()


# ---- sink ----

def serve_sink(args):
    fam = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    if args.udp:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args.bind, args.port))
        while True:
            data, peer = s.recvfrom(65536)
            logline(args.log, "DGRAM %s %r" % (peer[0], data[:80]))
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((args.bind, args.port))
    s.listen(64)
    while True:
        c, peer = s.accept()
        logline(args.log, "CONN %s" % peer[0])
        try:
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nsink\n")
        except OSError:
            pass
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["dns", "echo", "sink"])
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--records")
    ap.add_argument("--log")
    ap.add_argument("--udp", action="store_true")
    args = ap.parse_args()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    {"dns": serve_dns, "echo": serve_echo, "sink": serve_sink}[args.what](args)


if __name__ == "__main__":
    main()
