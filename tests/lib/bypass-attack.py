#!/usr/bin/env python3
"""The attacker's toolbox for tests/integration/bypass.bats, run inside a job
(installed there as /nwt/attack.py). Every probe prints one line the host
greps for; none of them decides whether the attack "should" work.

  tcp HOST PORT [SRC]         TCP HOST:PORT [from SRC] open|closed (ERRNO)
  ll6 IFACE GWIP              the gateway's EUI-64 link-local IPv6 address
  udp HOST PORT [TEXT]        UDP HOST:PORT sent|error ... (and reply|noreply)
  dns SERVER NAME udp|tcp     DNS SERVER NAME PROTO answered ADDRS|fail WHY
  send LABEL HOST PORT DATA   raw bytes (Python escapes: \\r\\n) to HOST:PORT;
                              SEND LABEL STATUS CODE, REASON LABEL TEXT,
                              BODY LABEL TEXT
  packet IFACE GWIP DST SRC PORT  an Ethernet frame (AF_PACKET) carrying an
                              IPv4/UDP datagram SRC -> DST:PORT, sent to the
                              gateway's MAC: PACKET DST SRC sent|error
  rawip DST SRC PORT          the same datagram through SOCK_RAW with
                              IP_HDRINCL: RAWIP DST SRC sent|error
  flood HOST PORT N           N connections at once; FLOOD open=.. refused503=..
                              silent=.. closed=..
  slowloris HOST PORT MAX     one header byte a second until the proxy closes:
                              SLOW closed after S s [status CODE] | SLOW open
  noread HOST PORT URL SECS   asks for URL and reads nothing for SECS seconds
"""
import errno
import os
import select
import socket
import struct
import sys
import time


def out(*a):
    print(*a)
    sys.stdout.flush()


def tcp(host, port, src=None):
    what = "%s:%s" % (host, port) + (" from %s" % src if src else "")
    try:
        s = socket.create_connection((host, int(port)), timeout=3,
                                     source_address=(src, 0) if src else None)
        s.close()
        out("TCP %s open" % what)
    except OSError as e:
        out("TCP %s closed (%s)" % (what, errno.errorcode.get(e.errno, e)))


def ll6(iface, gw):
    """The gateway's EUI-64 link-local address, from its MAC."""
    mac = bytearray(gateway_mac(iface, gw))
    mac[0] ^= 2
    b = bytes(mac[:3]) + b"\xff\xfe" + bytes(mac[3:])
    out(socket.inet_ntop(socket.AF_INET6, b"\xfe\x80" + b"\x00" * 6 + b))


def udp(host, port, text="nwt-udp-probe"):
    try:
        ai = socket.getaddrinfo(host, int(port), 0, socket.SOCK_DGRAM)[0]
        s = socket.socket(ai[0], socket.SOCK_DGRAM)
        s.settimeout(2)
        s.sendto(text.encode(), ai[4])
        try:
            s.recvfrom(512)
            out("UDP %s:%s sent reply" % (host, port))
        except OSError:
            out("UDP %s:%s sent noreply" % (host, port))
    except OSError as e:
        out("UDP %s:%s error %s" % (host, port, e))


def dns_query(name, qid=0x4e57):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack("!HH", 1, 1)


def dns(server, name, proto):
    q = dns_query(name)
    try:
        if proto == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.sendto(q, (server, 53))
            r, _ = s.recvfrom(4096)
        else:
            s = socket.create_connection((server, 53), timeout=3)
            s.sendall(struct.pack("!H", len(q)) + q)
            r = s.recv(4096)[2:]
        n = struct.unpack("!H", r[6:8])[0]
        out("DNS %s %s %s answered %d records" % (server, name, proto, n))
    except OSError as e:
        out("DNS %s %s %s fail %s" % (server, name, proto, e))


def send(label, host, port, data):
    payload = data.encode().decode("unicode_escape").encode("latin-1")
    got = b""
    try:
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(payload)
        s.settimeout(5)
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            got += d
            if len(got) > 1 << 20:
                break
    except OSError as e:
        out("SEND %s ERR %s" % (label, e))
    text = got.decode("latin-1")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    code = lines[0].split(" ")[1] if lines[0].startswith("HTTP/") else "none"
    out("SEND %s STATUS %s" % (label, code))
    for h in lines[1:]:
        if h.lower().startswith("x-netward-reason:"):
            out("REASON %s %s" % (label, h.split(":", 1)[1].strip()))
    # Every response in the stream: a smuggled second answer shows here.
    out("RESPONSES %s %d" % (label, text.count("HTTP/1.")))
    out("BODY %s %s" % (label, " ".join(body[:600].split())))


def csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_udp(dst, src, port, text=b"nwt-spoof-probe"):
    udp_len = 8 + len(text)
    u = struct.pack("!HHHH", 40000, int(port), udp_len, 0) + text
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0x4242, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + u


def gateway_mac(iface, gw):
    # A connection attempt to the gateway fills the neighbour table.
    try:
        socket.create_connection((gw, 3128), timeout=2).close()
    except OSError:
        pass
    with open("/proc/net/arp") as f:
        for line in f.readlines()[1:]:
            p = line.split()
            if p[0] == gw and p[5] == iface:
                return bytes.fromhex(p[3].replace(":", ""))
    return b"\xff" * 6


def packet(iface, gw, dst, src, port):
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        mine = s.getsockname()[4]
        frame = gateway_mac(iface, gw) + mine + b"\x08\x00" + ip_udp(dst, src, port)
        for _ in range(3):
            s.send(frame)
        out("PACKET %s %s sent" % (dst, src))
    except OSError as e:
        out("PACKET %s %s error %s" % (dst, src, e))


def rawip(dst, src, port):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        for _ in range(3):
            s.sendto(ip_udp(dst, src, port), (dst, 0))
        out("RAWIP %s %s sent" % (dst, src))
    except OSError as e:
        out("RAWIP %s %s error %s" % (dst, src, e))


def flood(host, port, n):
    socks = []
    for _ in range(int(n)):
        try:
            s = socket.create_connection((host, int(port)), timeout=3)
            socks.append(s)
        except OSError:
            break
    time.sleep(1.5)
    r503 = silent = closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            d = s.recv(4096)
        except BlockingIOError:
            silent += 1
            continue
        except OSError:
            closed += 1
            continue
        if d.startswith(b"HTTP/1.1 503"):
            r503 += 1
        elif not d:
            closed += 1
        else:
            silent += 1
    out("FLOOD open=%d refused503=%d silent=%d closed=%d" % (len(socks), r503, silent, closed))
    for s in socks:
        s.close()


def slowloris(host, port, maxsecs):
    req = b"GET http://www.test/ HTTP/1.1\r\nHost: www.test\r\nX-Slow: " + b"a" * 200
    s = socket.create_connection((host, int(port)), timeout=3)
    t0 = time.time()
    i = 0
    while time.time() - t0 < float(maxsecs):
        try:
            s.send(req[i % len(req):i % len(req) + 1])
        except OSError:
            out("SLOW closed after %d s (send failed)" % (time.time() - t0))
            return
        i += 1
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            code = d.split(b" ")[1].decode() if d.startswith(b"HTTP/") else "none"
            out("SLOW closed after %d s status %s" % (time.time() - t0, code))
            return
    out("SLOW open after %d s" % (time.time() - t0))


def noread(host, port, url, secs):
    s = socket.create_connection((host, int(port)), timeout=3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: www.test\r\n\r\n" % url.encode())
    out("NOREAD sent")
    time.sleep(float(secs))
    s.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"tcp": tcp, "ll6": ll6, "udp": udp, "dns": dns, "send": send, "packet": packet,
          "rawip": rawip, "flood": flood, "slowloris": slowloris, "noread": noread}[cmd]
    fn(*args)


if __name__ == "__main__":
    os.environ.pop("http_proxy", None)
    main()
