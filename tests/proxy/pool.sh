#!/bin/bash
# The proxy's pool of idle origin connections, against the standalone
# `netward proxy` and an origin that logs each connection and request
# (pool_origin.py): clients that close after each request still share
# origin connections, only for the same name, port and address, and
# nothing an origin sends to an idle connection reaches a client; a
# request that fails on a reused connection is sent again only when that
# is safe. Prints TAP lines; cleans up everything it starts.
# Needs root (the proxy drops to uid 65534), dnsmasq, python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
netward=${NETWARD:-$here/../../build/netward}
tmp=$(mktemp -d /tmp/netward-pool.XXXXXX)
. "$here/../lib/tap.sh"
. "$here/lib.sh"

# The pool's bounds, from the code (hook/proxy_int.h).
const() { awk -v n="$1" '$1 == "#define" && $2 == n {print $3}' "$here/../../hook/proxy_int.h"; }
idle_ms=$(const T_POOL_IDLE) per_origin=$(const POOL_PER_ORIGIN) tick_ms=$(const PROXY_TICK_MS)

base=$((20000 + RANDOM % 20000))
dns_port=$base o1=$((base + 1)) o2=$((base + 2)) pport=$((base + 3))
dnsmasq -k --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.53 \
	--port="$dns_port" --pid-file= --address=/allowed.test/127.0.0.2 \
	--address=/other.test/127.0.0.2 --address=/denied.test/127.0.0.2 \
	2>"$tmp/dnsmasq.log" &
pids+=($!)
python3 "$here/pool_origin.py" 127.0.0.2 "$o1" "$tmp/o1.log" 2>"$tmp/o1.err" &
pids+=($!)
python3 "$here/pool_origin.py" 127.0.0.2 "$o2" "$tmp/o2.log" 2>"$tmp/o2.err" &
pids+=($!)
cat >"$tmp/netward.json" <<JSON
{"allowed_modes": ["http"], "allow_private_destinations": ["127.0.0.0/8"],
 "dns_servers": ["127.0.0.53:$dns_port"], "connect_ports": [$o1], "log": "$tmp/access.log"}
JSON
"$netward" --config "$tmp/netward.json" proxy --listen "127.0.0.1:$pport" \
	--domains allowed.test,other.test --job-id job-pool \
	2>"$tmp/proxy.err" &
proxy=$!
pids+=($proxy)
wait_port 127.0.0.2 "$o1" && wait_port 127.0.0.2 "$o2" && wait_port 127.0.0.1 "$pport" ||
	{ echo "not ok 1 - test internet did not start"; cat "$tmp"/*.err; exit 1; }

# req REQUEST...: each REQUEST (escapes as in printf) on a connection of
# its own to the proxy, read to the proxy's close; prints the answers.
req() {
	python3 - "$pport" "$@" <<'PY'
import socket, sys
for r in sys.argv[2:]:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.settimeout(10)
    s.sendall(r.encode().decode("unicode_escape").encode("latin-1"))
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except OSError as e:
        got += ("ERR %s" % e).encode()
    sys.stdout.write(got.decode("latin-1"))
    s.close()
PY
}
conns() { grep -c '^conn ' "$tmp/$1.log"; }
reqs() { grep -c "^req .* $2" "$tmp/$1.log"; }
# wait_log FILE REGEX [SECONDS]: until FILE has a line matching REGEX.
wait_log() {
	local i
	for ((i = 0; i < ${3:-5} * 20; i++)); do
		grep -qE "$2" "$tmp/$1" && return 0
		sleep 0.05
	done
	return 1
}
get10() { printf 'GET http://%s%s HTTP/1.0\\r\\n\\r\\n' "$1" "$2"; }
A=allowed.test:$o1

out=$(req "$(get10 "$A" /)" "$(get10 "$A" /)" "$(get10 "$A" /)" "$(get10 "$A" /)" "$(get10 "$A" /)")
check "5 HTTP/1.0 requests, each on its own client connection: 5 answers, one origin connection" \
	'[ "$(grep -c "^conn=1$" <<<"$out")" = 5 ] && [ "$(conns o1)" = 1 ] && [ "$(reqs o1 "GET / $A")" = 5 ]' \
	"$out$(cat "$tmp/o1.log")"
check "each answer tells the client Connection: close, the origin's keep-alive headers not passed" \
	'[ "$(grep -c "^Connection: close" <<<"$out")" = 5 ] && ! grep -qi "^keep-alive:" <<<"$out"' "$out"
check "one access line per request" \
	'[ "$(grep -c "method=GET host=allowed.test port=$o1 decision=allow" "$tmp/access.log")" = 5 ]' \
	"$(cat "$tmp/access.log")"

out=$(req "GET http://$A/ HTTP/1.1\\r\\nHost: $A\\r\\nConnection: close\\r\\n\\r\\n")
check "an HTTP/1.1 client's Connection: close: closed, the origin connection kept" \
	'[[ $out == *"Connection: close"*conn=1* ]] && [ "$(conns o1)" = 1 ]' "$out"

out=$(req "$(get10 "other.test:$o1" /)")
check "another name at the same address and port: a connection of its own" \
	'[[ $out == *conn=2* ]] && [ "$(conns o1)" = 2 ]' "$out"
out=$(req "$(get10 "$A" /)" "$(get10 "other.test:$o1" /)")
check "each name then reuses its own" \
	'[[ $out == *conn=1*conn=2* ]] && [ "$(conns o1)" = 2 ]' "$out"
out=$(req "$(get10 "allowed.test:$o2" /)")
check "another port: a connection of its own, the request never sent on another port's" \
	'[[ $out == *conn=1* ]] && [ "$(conns o2)" = 1 ] && [ "$(reqs o1 ":$o2")" = 0 ]' "$out"

before=$(grep -c '^req ' "$tmp/o1.log")
out=$(req "$(get10 "denied.test:$o1" /)")
check "a name outside the list is refused though its address has idle connections" \
	'[[ $out == "HTTP/1.1 403"* ]] && [ "$(grep -c "^req " "$tmp/o1.log")" = "$before" ]' "$out"

out=$(req "$(get10 "$A" /close)")
wait_log o1.log '^eof 1 '
out=$(req "$(get10 "$A" /)")
check "a pooled connection the origin closed is not used; the request succeeds on a new one" \
	'[[ $out == "HTTP/1.1 200"*conn=3* ]] && [ "$(conns o1)" = 3 ]' "$out"

out=$(req "$(get10 "$A" /junk)")
wait_log o1.log '^junk 3$'
out=$(req "$(get10 "$A" /)")
check "bytes on an idle pooled connection: it is dropped, and the bytes reach no client" \
	'[[ $out == "HTTP/1.1 200"*conn=4* && $out != *POISONED* ]] && [ "$(conns o1)" = 4 ]' "$out"

out=$(req "$(get10 "$A" /extra)" "$(get10 "$A" /)")
check "bytes right behind a response: that connection is not kept, they reach no client" \
	'[[ $out == *conn=4*conn=5* && $out != *POISONED* ]] && [ "$(conns o1)" = 5 ]' "$out"

lines=$(wc -l <"$tmp/access.log")
out=$(req "$(get10 "$A" /die-next)" "$(get10 "$A" /again)")
check "a GET that a reused connection drops unanswered is sent again on a new one" \
	'[[ $out == *conn=5*"HTTP/1.1 200"*conn=6* ]] && [ "$(reqs o1 "GET /again")" = 2 ]' \
	"$out$(grep -v '^req .* / ' "$tmp/o1.log")"
check "... and logged once, as the 200 it got" \
	'[ "$(tail -n 2 "$tmp/access.log" | grep -c "method=GET host=allowed.test port=$o1 decision=allow reason=\"-\" status=200")" = 2 ] &&
	 [ "$(wc -l <"$tmp/access.log")" = $((lines + 2)) ]' "$(tail -n 3 "$tmp/access.log")"

out=$(req "POST http://$A/post HTTP/1.0\\r\\nContent-Length: 4\\r\\n\\r\\nbody" "$(get10 "$A" /)")
check "a connection whose request had a body serves no other client" \
	'[[ $out == *conn=6*conn=7* ]]' "$out"

out=$(req "$(get10 "$A" /die-next)" \
	"POST http://$A/post HTTP/1.0\\r\\nContent-Length: 4\\r\\n\\r\\nbody")
check "a POST that a reused connection drops unanswered is not sent again: 502" \
	'[[ $out == *conn=7*"HTTP/1.1 502"* ]] && [ "$(reqs o1 "POST /post")" = 2 ]' \
	"$out$(grep -v '^req .* / ' "$tmp/o1.log")"

# Bounds: twice POOL_PER_ORIGIN requests at once (the origin answers none
# before all have arrived) leave POOL_PER_ORIGIN connections idle, so the
# next as many at once open the other POOL_PER_ORIGIN anew.
wave() {
	python3 - "$pport" "$A" "$((2 * per_origin))" <<'PY'
import socket, sys, threading
port, host, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    socks.append(s)
for s in socks:
    s.sendall(b"GET http://%s/hold/%d HTTP/1.0\r\n\r\n" % (host.encode(), n))
ok = 0
for s in socks:
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    ok += got.startswith(b"HTTP/1.1 200")
print(ok)
PY
}
c0=$(conns o1)
w1=$(wave)
c1=$(conns o1)
w2=$(wave)
c2=$(conns o1)
check "pool bounded: at most $per_origin idle connections per origin kept" \
	'[ "$w1" = $((2 * per_origin)) ] && [ "$w2" = $((2 * per_origin)) ] && [ $((c2 - c1)) = "$per_origin" ]' \
	"w1=$w1 w2=$w2 conns $c0 $c1 $c2"

# A CONNECT tunnel's origin connection is the tunnel's alone: closed with
# it, long before T_POOL_IDLE, and never taken by a request.
c0=$(conns o1)
out=$(python3 - "$pport" "$A" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
host = sys.argv[2].encode()
s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (host, host))
got = b""
while b"\r\n\r\n" not in got:
    got += s.recv(65536)
s.sendall(b"GET /in-tunnel HTTP/1.1\r\nHost: %s\r\n\r\n" % host)
while b"conn=" not in got:
    got += s.recv(65536)
s.close()
print(" ".join(got.decode("latin-1").split()))
PY
)
t=$((c0 + 1))
wait_log o1.log "^eof $t "
ms=$(awk -v t="$t" '$1 == "eof" && $2 == t {print $3}' "$tmp/o1.log")
out2=$(req "$(get10 "$A" /)")
check "a CONNECT tunnel's origin connection closes with the tunnel, not pooled" \
	'[[ $out == *"200 Connection established"*"conn=$t"* ]] && [ -n "$ms" ] && [ "$ms" -lt "$idle_ms" ] && [[ $out2 == *"HTTP/1.1 200"* && $out2 != *"conn=$t"* ]]' \
	"$out / $out2 / eof after ${ms:-never} ms"

# Idle timeout: the proxy lets go of an idle connection no sooner than
# T_POOL_IDLE after its response, and within a few ticks after.
: >"$tmp/o2.log"
out=$(req "$(get10 "allowed.test:$o2" /)")
wait_log o2.log '^eof ' $(((idle_ms + 20 * tick_ms) / 1000 + 1))
ms=$(awk '$1 == "eof" {print $3}' "$tmp/o2.log")
check "an idle connection is closed after T_POOL_IDLE ($idle_ms ms) (after ${ms:-never} ms)" \
	'[ -n "$ms" ] && [ "$ms" -ge "$idle_ms" ]' "$(cat "$tmp/o2.log")"

kill -TERM "$proxy"
wait "$proxy"; rc=$?
check "SIGTERM: clean exit 0 with idle connections pooled" '[ "$rc" = 0 ]' "rc=$rc $(cat "$tmp/proxy.err")"

echo "1..$n"
[ "$failed" -eq 0 ]
