#!/bin/bash
# The job proxy under valgrind (memcheck) through a few thousand requests
# and tunnels on loopback: keep-alive (HTTP/1.0 and 1.1), denied names,
# private and NXDOMAIN answers, chunked bodies both ways, CONNECT tunnels
# carrying plain TCP or a ClientHello (allowed, denied, cut short), refused
# CONNECTs, clients that vanish mid-request; the job's DNS over UDP and TCP
# (allowed, refused and malformed queries, TCP clients that leave with a
# lookup in flight) and connections straight to the interception port.
# Then SIGTERM; valgrind must report no error and no definitely or
# indirectly lost byte. Prints TAP. Needs valgrind, ab, curl, dnsmasq,
# python3. seccomp and valgrind cannot share a process, hence
# `netward proxy --no-sandbox` (foreground debugging only).
# check evaluates its condition later, so the conditions are single-quoted.
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
netward=${NETWARD:-$root/build/netward}
# Whole run bounded; the load itself takes about a minute under valgrind.
budget=${NW_VALGRIND_BUDGET:-170}
tmp=$(mktemp -d /tmp/netward-valgrind.XXXXXX)
. "$here/../lib/tap.sh"
. "$root/tests/proxy/lib.sh"
skip_all() { echo "1..1"; echo "ok 1 - proxy under valgrind # skip $1"; exit 0; }

missing=()
for t in valgrind ab curl dnsmasq python3 timeout; do
	command -v "$t" >/dev/null || missing+=("$t")
done
[ ${#missing[@]} -eq 0 ] || skip_all "missing: ${missing[*]}"
[ -x "$netward" ] || skip_all "no $netward (make first)"

base=$((20000 + RANDOM % 20000))
dns_port=$base plain=$((base + 1)) echo_port=$((base + 2)) pport=$((base + 3))
iport=$((base + 4)) jdns=$((base + 5))

dnsmasq -k --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.53 \
	--port="$dns_port" --pid-file= --address=/allowed.test/127.0.0.2 \
	--address=/private.test/10.0.0.5 --address=/nx.test/ --address=/denied.test/127.0.0.9 \
	2>"$tmp/dnsmasq.log" &
pids+=("$!")
python3 "$root/tests/proxy/origin.py" 127.0.0.2 "$plain" 2>"$tmp/origin.log" &
pids+=("$!")
# The far end of the tunnels: echoes what it gets until the client closes.
python3 - 127.0.0.2 "$echo_port" 2>"$tmp/echo.log" <<'PY' &
import socketserver, sys
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)
socketserver.ThreadingTCPServer.daemon_threads = True
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer((sys.argv[1], int(sys.argv[2])), Echo).serve_forever()
PY
pids+=("$!")

cat >"$tmp/netward.json" <<JSON
{"allowed_modes": ["http"], "allow_private_destinations": ["127.0.0.0/8"],
 "dns_servers": ["127.0.0.53:$dns_port"], "connect_ports": [$echo_port],
 "http_ports": [$plain, $echo_port], "log": "$tmp/access.log",
 "deny_destinations": ["denied.test", ".nx.test:1"],
 "rate_limit_bps": 1000000000}
JSON
vlog=$tmp/valgrind.log
timeout -s KILL "$budget" valgrind --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
	--num-callers=30 --log-file="$vlog" \
	"$netward" --config "$tmp/netward.json" proxy --listen "127.0.0.1:$pport" \
	--domains allowed.test,private.test,nx.test,127.0.0.2 --job-id job-valgrind --no-sandbox \
	--intercept-port "$iport" --dns-port "$jdns" \
	2>"$tmp/proxy.err" &
proxy=$!
pids+=("$proxy")
if ! wait_port 127.0.0.2 "$plain" 10 || ! wait_port 127.0.0.2 "$echo_port" 10 ||
	! wait_port 127.0.0.1 "$pport" 60; then
	nok "proxy under valgrind starts" "$(cat "$tmp"/*.err "$tmp"/*.log 2>/dev/null)"
	echo "1..$n"
	exit 1
fi
ok "proxy under valgrind starts"

A="http://allowed.test:$plain"
px=(-s -x "http://127.0.0.1:$pport")
abx=(ab -q -X "127.0.0.1:$pport" -s 30)

# ab's figures: completed and failed requests, non-2xx answers.
ab_run() {
	local out
	out=$("${abx[@]}" "$@" 2>&1)
	printf '%s\n' "$(sed -n 's/^Complete requests: *//p' <<<"$out")" \
		"$(sed -n 's/^Failed requests: *//p' <<<"$out")" \
		"$(sed -n 's/^Non-2xx responses: *//p' <<<"$out")" | paste -sd' '
}

out=$(ab_run -n 1500 -c 8 -k "$A/")
check "1500 keep-alive HTTP/1.0 GETs (ab -k): all 200" '[ "$out" = "1500 0 " ]' "$out"
out=$(ab_run -n 500 -c 8 "$A/headers")
check "500 GETs, a connection each: all 200" '[ "$out" = "500 0 " ]' "$out"
out=$(ab_run -n 400 -c 8 -k "http://evil.test:$plain/")
check "400 denied names: all answered (403)" '[[ $out == "400 "*" 400" ]]' "$out"
out=$(ab_run -n 100 -c 4 "http://private.test:$plain/")
check "100 names resolving to a private address: all answered (403)" '[[ $out == "100 "*" 100" ]]' "$out"
out=$(ab_run -n 100 -c 4 "http://nx.test:$plain/")
check "100 NXDOMAIN names: all answered (502)" '[[ $out == "100 "*" 100" ]]' "$out"
# ab cannot read chunked bodies; curl fetches many URLs over one connection.
urls=()
for _ in $(seq 300); do urls+=("$A/chunked"); done
out=$(curl "${px[@]}" "${urls[@]}" | grep -c '^hello chunked world$')
check "300 chunked responses over one keep-alive connection" '[ "$out" = 300 ]' "$out"

head -c 300000 /dev/urandom >"$tmp/up.bin"
want="300000 $(sha256sum "$tmp/up.bin" | cut -c1-64)"
good=0
for _ in $(seq 20); do
	got=$(curl "${px[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/up.bin" "$A/upload")
	[ "$got" = "$want" ] && good=$((good + 1))
done
check "20 chunked uploads arrive whole" '[ "$good" = 20 ]' "good=$good"
out=$(curl "${px[@]}" -o /dev/null -w '%{size_download}' "$A/bytes/4000000")
check "a 4 MB download" '[ "$out" = 4000000 ]' "$out"

# Tunnels, refused CONNECTs and clients that leave early, from threads.
out=$(python3 - "$pport" "$echo_port" <<'PY'
import socket, ssl, sys, threading
pport, eport = int(sys.argv[1]), int(sys.argv[2])
lock = threading.Lock()
res = {"tunnel": 0, "refused": 0, "gone": 0, "bad": 0, "tls": 0, "tls_refused": 0}

from tlshello import hello

def recv_n(s, n):
    got = b""
    while len(got) < n:
        d = s.recv(65536)
        if not d:
            break
        got += d
    return got

def connect(target):
    s = socket.create_connection(("127.0.0.1", pport), timeout=30)
    s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target))
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(4096)
        if not d:
            break
        head += d
    return s, head

def work(i):
    kind = "bad"
    try:
        if i % 10 == 9:
            s, head = connect(b"allowed.test:%d" % (eport + 100))
            kind = "refused" if head.startswith(b"HTTP/1.1 403") else "bad"
        elif i % 10 == 7:
            # A ClientHello in the tunnel: for an allowed name it reaches
            # the echo server, for a denied one the tunnel is closed, and
            # one cut short is left behind.
            sub = (i // 10) % 3
            s, head = connect(b"allowed.test:%d" % eport)
            h = hello("evil.test" if sub == 1 else "allowed.test")
            if sub == 2:
                s.sendall(h[:50])
                kind = "gone"
            else:
                s.sendall(h)
                got = recv_n(s, len(h))
                if sub == 0:
                    kind = "tls" if got == h else "bad"
                else:
                    kind = "tls_refused" if got == b"" else "bad"
        elif i % 10 == 8:
            s = socket.create_connection(("127.0.0.1", pport), timeout=30)
            s.sendall(b"GET http://allowed.test/ HTTP/1.1\r\nHost: allo")
            kind = "gone"
        else:
            s, head = connect(b"allowed.test:%d" % eport)
            if head.startswith(b"HTTP/1.1 200"):
                msg = (b"tunnel %d " % i) * 200
                s.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    d = s.recv(65536)
                    if not d:
                        break
                    got += d
                kind = "tunnel" if got == msg else "bad"
        s.close()
    except OSError:
        pass
    with lock:
        res[kind] += 1

def worker(k):
    for i in range(k, 1200, 12):
        work(i)

ts = [threading.Thread(target=worker, args=(k,)) for k in range(12)]
for t in ts: t.start()
for t in ts: t.join()
print(res["tunnel"], res["refused"], res["gone"], res["bad"], res["tls"], res["tls_refused"])
PY
)
check "840 CONNECT tunnels echo their bytes, 120 refused, 160 clients vanish; 40 ClientHellos for an allowed name pass, 40 for a denied one are cut off" \
	'[ "$out" = "840 120 160 0 40 40" ]' "tunnel refused gone bad tls tls_refused: $out"

# The job's DNS, and connections straight to the interception port (they
# were not redirected: refused). Answers are counted by rcode.
out=$(python3 - "$jdns" "$iport" <<'PY'
import socket, struct, sys, threading
port, iport = int(sys.argv[1]), int(sys.argv[2])
names = [b"allowed.test", b"private.test", b"nx.test", b"evil.test", b"x.evil.test"]

def query(qid, name, qtype):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split(b"."):
        q += bytes([len(label)]) + label
    return q + b"\0" + struct.pack(">HH", qtype, 1)

res = {}
lock = threading.Lock()
def count(r):
    k = "rcode%d" % (r[3] & 15) if len(r) >= 4 else "short"
    res[k] = res.get(k, 0) + 1

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(20)
sent = 0
for i in range(300):
    m = query(i, names[i % 5], (1, 28, 65, 16)[i % 4]) if i % 10 else b"\x12\x34\x01\x00\x00\x01" + b"\0" * 6 + b"\x05ab"
    u.sendto(m, ("127.0.0.1", port))
    sent += 1
    count(u.recv(512))

def tcp(k):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        msgs = b"".join(struct.pack(">H", len(m)) + m
                        for m in (query(k * 10 + j, names[(k + j) % 5], 1) for j in range(5)))
        if k % 4 == 3:
            s.sendall(msgs[:40])  # leaves with a lookup in flight
            s.close()
            return
        s.sendall(msgs)
        got, answers = b"", 0
        while answers < 5:
            d = s.recv(4096)
            if not d:
                break
            got += d
            while len(got) >= 2 and len(got) >= 2 + struct.unpack(">H", got[:2])[0]:
                got = got[2 + struct.unpack(">H", got[:2])[0]:]
                answers += 1
        with lock:
            res["tcp"] = res.get("tcp", 0) + (answers == 5)
        s.close()
    except OSError:
        pass

# Fewer at once than the proxy's cap on DNS connections (16).
def tcp_worker(w):
    for k in range(w, 32, 8):
        tcp(k)
ts = [threading.Thread(target=tcp_worker, args=(w,)) for w in range(8)]
for t in ts: t.start()
for t in ts: t.join()
for _ in range(20):
    try:
        s = socket.create_connection(("127.0.0.1", iport), timeout=20)
        s.sendall(b"GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
        s.recv(100)
        s.close()
    except OSError:
        pass
print(" ".join("%s=%d" % kv for kv in sorted(res.items())))
PY
)
check "300 DNS queries over UDP all answered (NOERROR, FORMERR, NXDOMAIN); 24 TCP clients get their 5 answers each, 8 leave early" \
	'[ "$out" = "rcode0=135 rcode1=30 rcode3=135 tcp=24" ]' "$out"

requests=$(wc -l <"$tmp/access.log" 2>/dev/null || echo 0)
check "the access log has a line per request and tunnel ($requests)" '[ "$requests" -ge 4000 ]'

kill -TERM "$proxy"
wait "$proxy"
rc=$?
check "SIGTERM: the proxy exits 0 under valgrind (exit $rc; 99 = errors, 137 = out of time)" \
	'[ "$rc" = 0 ]' "$(tail -n 40 "$vlog" 2>/dev/null; cat "$tmp/proxy.err")"
check "valgrind: ERROR SUMMARY: 0 errors" 'grep -q "ERROR SUMMARY: 0 errors" "$vlog"' \
	"$(grep -A30 -m3 -E "^==[0-9]+== (Invalid|Conditional|Syscall|Mismatched|[0-9,]+ bytes in)" "$vlog")"
check "valgrind: nothing definitely or indirectly lost" \
	'! grep -Eq "(definitely|indirectly) lost: [1-9]" "$vlog" && grep -q "LEAK SUMMARY\|All heap blocks were freed" "$vlog"' \
	"$(grep -A25 -E "(definitely|indirectly) lost in" "$vlog" | head -80)"

echo "1..$n"
[ "$failed" -eq 0 ]
