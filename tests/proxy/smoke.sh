#!/bin/bash
# End-to-end check of the job proxy on loopback: a dnsmasq answering the
# test names, plain and TLS origins (origin.py), and `netward proxy` between
# them and curl. Prints TAP lines; cleans up everything it starts.
# Needs root (the proxy drops to uid 65534), curl, dnsmasq, openssl, python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
netward=${NETWARD:-$here/../../build/netward}
tmp=$(mktemp -d /tmp/netward-smoke.XXXXXX)
. "$here/../lib/tap.sh"
. "$here/lib.sh"

base=$((20000 + RANDOM % 20000))
dns_port=$base plain=$((base + 1)) tls=$((base + 2)) pport=$((base + 3))

dnsmasq -k --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.53 \
	--port="$dns_port" --pid-file= --address=/allowed.test/127.0.0.2 \
	--address=/private.test/10.0.0.5 --address=/mixed.test/127.0.0.2 \
	--address=/mixed.test/10.1.2.3 --address=/nx.test/ \
	--host-record=cached.test,127.0.0.2,60 --host-record=brief.test,127.0.0.2,1 \
	2>"$tmp/dnsmasq.log" &
dns=$!
pids+=($dns)
origins "$plain" "$tls"
cat >"$tmp/netward.json" <<JSON
{"allowed_modes": ["http"], "allow_private_destinations": ["127.0.0.0/8"],
 "dns_servers": ["127.0.0.53:$dns_port"], "connect_ports": [$tls],
 "deny_destinations": ["127.0.0.2:$((base + 9))"], "log": "$tmp/access.log",
 "rate_limit_bps": 10000000}
JSON
"$netward" --config "$tmp/netward.json" proxy --listen "127.0.0.1:$pport" \
	--domains allowed.test,private.test,mixed.test,nx.test,cached.test,brief.test,127.0.0.2 \
	--job-id job-smoke \
	2>"$tmp/proxy.err" &
proxy=$!
pids+=($proxy)
wait_port 127.0.0.2 "$plain" && wait_port 127.0.0.2 "$tls" && wait_port 127.0.0.1 "$pport" ||
	{ echo "not ok 1 - test internet did not start"; cat "$tmp"/*.err "$tmp"/*.log; exit 1; }

px=(-s -x "http://127.0.0.1:$pport")
A="http://allowed.test:$plain"

out=$(curl "${px[@]}" "$A/" -w ' %{http_code}')
check "allowed GET" '[ "$out" = "hello
 200" ]' "$out"

out=$(curl "${px[@]}" -D "$tmp/h" "http://evil.test:$plain/" -w ' %{http_code}')
check "denied domain: 403 naming the rule" \
	'[[ $out == *"netward: domain \"evil.test\" is not in this job'"'"'s allowlist"*403 ]]' "$out"
check "denied domain: X-Netward-Reason and Connection: close" \
	'grep -q "^X-Netward-Reason: netward: domain" "$tmp/h" && grep -q "^Connection: close" "$tmp/h"'

out=$(curl "${px[@]}" "http://private.test:$plain/" -w ' %{http_code}')
check "private address refused after DNS" '[[ $out == *"resolves to 10.0.0.5, a private address"*403 ]]' "$out"
out=$(curl "${px[@]}" "http://mixed.test:$plain/" -w ' %{http_code}')
check "a name mixing allowed and private answers is refused" '[[ $out == *"10.1.2.3"*403 ]]' "$out"
out=$(curl "${px[@]}" "http://127.0.0.2:$((base + 9))/" -w ' %{http_code}')
check "deny_destinations with port" '[[ $out == *"is in deny_destinations"*403 ]]' "$out"
out=$(curl "${px[@]}" "http://nx.test:$plain/" -w ' %{http_code}')
check "NXDOMAIN is 502 and says so" '[[ $out == *NXDOMAIN*502 ]]' "$out"

out=$(curl "${px[@]}" "$A/headers" -H 'X-Bacalhau-Job-ID: forged' -H 'Proxy-Authorization: x')
check "job-id header set, client copy and hop-by-hop headers dropped, Via added" \
	'[[ $out == *"X-Bacalhau-Job-ID: job-smoke"* && $out != *forged* && $out != *Proxy-Auth* && $out == *"Via: 1.1 netward"* && $out == "GET /headers HTTP/1.1"* ]]' "$out"

out=$(curl "${px[@]}" -k "https://allowed.test:$tls/" -w ' %{http_code}')
check "CONNECT and https through the tunnel" '[ "$out" = "hello
 200" ]' "$out"
out=$(curl "${px[@]}" -k "https://allowed.test:$((base + 8))/" -w '%{http_connect}')
check "CONNECT to a port outside connect_ports is 403" '[[ $out == *403 ]]' "$out"

head -c 1500000 /dev/urandom >"$tmp/up.bin"
want="1500000 $(sha256sum "$tmp/up.bin" | cut -c1-64)"
out=$(curl "${px[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/up.bin" "$A/upload")
check "chunked upload arrives whole" '[ "$out" = "$want" ]' "$out"
out=$(curl "${px[@]}" "$A/chunked")
check "chunked response passes through" '[ "$out" = "hello chunked world" ]' "$out"

out=$(curl "${px[@]}" -v "$A/" "$A/headers" 2>&1)
check "keep-alive: the second request reuses the connection" \
	'[[ $out == *"Re-using existing connection"* ]]' "$(echo "$out" | grep -i conn)"

# raw REQUEST...: sends each request on one connection and prints each
# answer once it is whole (its head and Content-Length bytes, or up to the
# close), so no answer is cut by how fast the machine is.
raw() {
	python3 - "$pport" "$@" <<'PY'
import re, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
def whole(b):
    end = b.find(b"\r\n\r\n")
    if end < 0:
        return False
    m = re.search(rb"(?im)^content-length: *(\d+)", b[:end])
    return m is not None and len(b) >= end + 4 + int(m.group(1))
for req in sys.argv[2:]:
    s.sendall(req.encode().decode("unicode_escape").encode("latin-1"))
    got = b""
    try:
        while not whole(got):
            d = s.recv(65536)
            if not d:
                break
            got += d
    except OSError as e:
        got += ("ERR %s" % e).encode()
    sys.stdout.write(got.decode("latin-1"))
PY
}
req10="GET $A/ HTTP/1.0\\r\\nConnection: keep-alive\\r\\n\\r\\n"
out=$(raw "$req10" "$req10")
check "HTTP/1.0 keep-alive is honoured" \
	'[ "$(grep -c "Connection: keep-alive" <<<"$out")" = 2 ] && [ "$(grep -c ^hello <<<"$out")" = 2 ]' "$out"

# raw_check NAME GLOB REQUEST: the proxy's answer to REQUEST matches GLOB.
raw_check() {
	local glob=$2
	out=$(raw "$3")
	check "$1" '[[ $out == $glob ]]' "$out"
}
raw_check "origin-form request: 400 explaining the proxy" 'HTTP/1.1 400*this is a proxy*' \
	'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
raw_check "bare LF: 400" 'HTTP/1.1 400*bare LF*' "GET $A/ HTTP/1.1\\nHost: allowed.test:$plain\\n\\n"
raw_check "duplicate Content-Length: 400" 'HTTP/1.1 400*' \
	"GET $A/ HTTP/1.1\\r\\nHost: allowed.test:$plain\\r\\nContent-Length: 1\\r\\nContent-Length: 2\\r\\n\\r\\n"
raw_check "Host disagreeing with the URI: 400" 'HTTP/1.1 400*disagrees*' \
	"GET http://evil.test:$plain/ HTTP/1.1\\r\\nHost: allowed.test:$plain\\r\\n\\r\\n"
raw_check "request line over 8 KiB: 414 before the newline" 'HTTP/1.1 414*' \
	"GET $A/$(printf 'a%.0s' $(seq 9000)) HTTP/1.1\\r\\n"
raw_check "more than 100 headers: 431" 'HTTP/1.1 431*' \
	"GET $A/ HTTP/1.1\\r\\nHost: allowed.test:$plain\\r\\n$(printf 'X-A: b\\r\\n%.0s' $(seq 101))\\r\\n"
raw_check "HTTP/2 preface: 405" 'HTTP/1.1 405*' 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'

# The bucket (hook/bucket.c) starts full with a tenth of a second's worth
# (bucket_burst_for) and refills at rate_limit_bps / 8 bytes a second: N
# bytes take (N - burst) / rate seconds, never less. Above that, 10% for
# the transfer itself and curl's start.
rate=$((10000000 / 8)) burst=$((10000000 / 8 / 10))
rate_ok() { # BYTES MS: MS is no less than BYTES need and not 10% more
	local want=$(( ($1 - burst) * 1000 / rate ))
	[ "$2" -ge "$want" ] && [ "$2" -le $((want + want / 10)) ]
}
t0=$(date +%s%N)
size=$(curl "${px[@]}" -o /dev/null "$A/bytes/5000000" -w '%{size_download}')
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "rate limit down: 5 MB within 10% of the limit (took ${ms} ms)" \
	'[ "$size" = 5000000 ] && rate_ok 5000000 "$ms"'
head -c 5000000 /dev/zero >"$tmp/z.bin"
t0=$(date +%s%N)
curl "${px[@]}" -o /dev/null -H 'Expect:' --data-binary @"$tmp/z.bin" "$A/upload"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "rate limit up: 5 MB within 10% of the limit (took ${ms} ms)" 'rate_ok 5000000 "$ms"'
t0=$(date +%s%N)
cpids=()
for _ in 1 2 3 4 5 6 7 8; do
	curl "${px[@]}" -o /dev/null "$A/bytes/625000" &
	cpids+=($!)
done
wait "${cpids[@]}"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "rate limit shared by 8 connections (took ${ms} ms)" 'rate_ok 5000000 "$ms"'

# DNS answers are kept for their TTL: with the DNS server stopped, a name
# asked within its TTL still works; one whose TTL has passed is asked again.
curl "${px[@]}" -o /dev/null "http://cached.test:$plain/"
curl "${px[@]}" -o /dev/null "http://brief.test:$plain/"
kill -STOP "$dns"
# -m: twice the proxy's own DNS limit (T_DNS, 5 s, hook/proxy_int.h), so
# the proxy answers well before curl gives up.
out=$(curl "${px[@]}" -m 10 "http://cached.test:$plain/" -w ' %{http_code}')
check "a DNS answer is reused within its TTL (DNS server stopped)" '[ "$out" = "hello
 200" ]' "$out"
sleep 1.5 # past brief.test's 1 s TTL
out=$(curl "${px[@]}" -m 10 "http://brief.test:$plain/" -w ' %{http_code}')
check "a DNS answer past its TTL is asked for again (DNS server stopped: 504)" \
	'[[ $out == *"timed out"*504 ]]' "$out"
kill -CONT "$dns"

check "access log: allow and deny lines with the reason" \
	'grep -q "job=job-smoke .*method=GET host=allowed.test port=$plain decision=allow" "$tmp/access.log" &&
	 grep -q "host=evil.test .*decision=deny reason=\"netward: domain" "$tmp/access.log"'

kill -TERM "$proxy"
wait "$proxy"; rc=$?
check "SIGTERM: clean exit 0 (still alive under seccomp until then)" '[ "$rc" = 0 ]' "rc=$rc $(cat "$tmp/proxy.err")"

echo "1..$n"
[ "$failed" -eq 0 ]
