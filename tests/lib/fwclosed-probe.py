#!/usr/bin/env python3
"""Probes a job runs, inside its namespace, over and over until told to
stop, for tests/integration/fwclosed.bats. Each round tries every target
once and appends one line per target to OUT:

  REACHED TARGET WHY   something answered (a connection, a refusal, a reply)
  closed TARGET WHY    nothing did (timeout, unreachable, prohibited)

then "ROUND N". A TCP refusal counts as reached: something on the path
answered for the address (so does a UDP port-unreachable). Targets: tcp:HOST:PORT, udp:HOST:PORT (a DNS
query for www.test; reached when anything comes back). A target ending in
":open" has a listener: only a connection counts as reached, as a refusal
there is netward's firewall answering for what it blocks. Such a target
is an HTTP server, and a connection counts only when that server answers:
an http job's connections on its http ports are redirected to its own
proxy (interception), which is no reach, so an answer naming netward, or
none, is not one.

  fwclosed-probe.py OUT STOPFILE TARGET...
"""
import errno
import os
import socket
import struct
import sys
import time

TIMEOUT = 0.3


ANSWER_TIMEOUT = 1.0


def answered(s):
    """Whether the HTTP server behind s answers itself."""
    s.settimeout(ANSWER_TIMEOUT)
    try:
        s.sendall(b"HEAD / HTTP/1.0\r\nHost: probe\r\n\r\n")
        got = s.recv(4096)
    except OSError:
        return False, "no answer"
    if not got:
        return False, "closed at once"
    if b"netward" in got.lower():
        return False, "the job's proxy"
    return True, "open"


def tcp(host, port, listener=False):
    s = socket.socket()
    s.settimeout(TIMEOUT)
    try:
        s.connect((host, int(port)))
        if listener:
            return answered(s)
        return True, "open"
    except ConnectionRefusedError:
        return True, "refused"
    except OSError as e:
        return False, errno.errorcode.get(e.errno, str(e)) if e.errno else "timeout"
    finally:
        s.close()


def udp(host, port):
    q = struct.pack(">HHHHHH", 0x4e57, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p for p in (b"www", b"test")) + b"\0"
    q += struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.sendto(q, (host, int(port)))
        s.recv(512)
        return True, "reply"
    except ConnectionRefusedError:
        return True, "refused"
    except OSError as e:
        return False, errno.errorcode.get(e.errno, str(e)) if e.errno else "timeout"
    finally:
        s.close()


def main():
    out, stop, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
    n = 0
    with open(out, "a", buffering=1) as f:
        while not os.path.exists(stop):
            for t in targets:
                kind, host, port, *flag = t.split(":")
                if kind == "tcp":
                    ok, why = tcp(host, port, flag == ["open"])
                else:
                    ok, why = udp(host, port)
                if flag == ["open"] and why == "refused":
                    ok = False
                f.write("%s %s %s %.3f\n" % ("REACHED" if ok else "closed", t, why, time.time()))
            n += 1
            f.write("ROUND %d\n" % n)
            time.sleep(0.05)


if __name__ == "__main__":
    main()
