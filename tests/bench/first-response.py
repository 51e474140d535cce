#!/usr/bin/env python3
"""Time from starting a proxy to its first proxied 200, in milliseconds.

    first-response.py PROXY_IP PORT CLIENT_CPU CMD...

Starts CMD, then connects to PROXY_IP:PORT as fast as it can (refused
connections are retried at once) and sends a plain GET for http://bench.test/
until one answers 200. Prints the milliseconds; stops CMD."""
import os
import signal
import socket
import subprocess
import sys
import time

ip, port, cpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cmd = sys.argv[4:]
os.sched_setaffinity(0, {cpu})
req = b"GET http://bench.test/ HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n"
t0 = time.perf_counter()
p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
ms = None
try:
    while time.perf_counter() - t0 < 20:
        if p.poll() is not None:
            sys.exit("proxy exited with status %d before answering" % p.returncode)
        s = socket.socket()
        try:
            s.connect((ip, port))
            s.sendall(req)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200"):
                ms = (time.perf_counter() - t0) * 1000
                break
        except OSError:
            time.sleep(0.0001)
        finally:
            s.close()
finally:
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
if ms is None:
    sys.exit("no 200 within 20 s")
print("%.2f" % ms)
