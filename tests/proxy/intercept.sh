#!/bin/bash
# Interception on loopback, in a network namespace of its own: `netward
# proxy --intercept-port --dns-port` behind an nft redirect of what a
# "job" sends to 127.0.0.3 (the address it chose) on the origins' ports,
# as the hook's DNAT does for a job's veth. The origins listen on
# 127.0.0.2 only, so a reply proves the proxy connected to the name it
# checked, never to the address the client chose. Allowed and denied names
# over TLS (SNI) and HTTP (Host, each request of a kept-alive connection),
# TLS without SNI, a connection straight to the interception port, and the
# job's DNS over UDP and TCP. Prints TAP lines; cleans up what it starts.
# Needs root, nft, curl, dig, dnsmasq, openssl, python3. NW_PROXY_ARGS: more
# arguments for the proxy (--no-sandbox, to debug it).
set -u
if [ -z "${NETWARD_INTERCEPT_NS:-}" ]; then
	NETWARD_INTERCEPT_NS=1 exec unshare --net "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
netward=${NETWARD:-$here/../../build/netward}
tmp=$(mktemp -d /tmp/netward-intercept.XXXXXX)
. "$here/../lib/tap.sh"
. "$here/lib.sh"
ip link set lo up

dns_port=5300 plain=8080 tls=8443 pport=3128 iport=3129 jdns=5353

dnsmasq -k --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.53 \
	--port="$dns_port" --pid-file= --log-queries --log-facility="$tmp/dnsmasq.log" \
	--address=/allowed.test/127.0.0.2 --address=/other.test/127.0.0.2 \
	--address=/private.test/10.0.0.5 --address=/flood.test/127.0.0.2 2>"$tmp/dnsmasq.err" &
pids+=($!)
origins "$plain" "$tls"
cat >"$tmp/netward.json" <<JSON
{"allowed_modes": ["http"], "allow_private_destinations": ["127.0.0.2/32"],
 "dns_servers": ["127.0.0.53:$dns_port"], "connect_ports": [$tls],
 "http_ports": [$plain], "log": "$tmp/access.log"}
JSON
"$netward" --config "$tmp/netward.json" proxy --listen "127.0.0.1:$pport" \
	--intercept-port "$iport" --dns-port "$jdns" \
	--domains allowed.test,.wild.test,private.test --job-id job-icpt ${NW_PROXY_ARGS:-} \
	2>"$tmp/proxy.err" &
proxy=$!
pids+=("$proxy")
# The job's TCP to 127.0.0.3 on the origins' ports goes to the proxy.
nft -f - <<NFT
table ip icpt {
	chain out {
		type nat hook output priority -100;
		ip daddr 127.0.0.3 tcp dport { $plain, $tls } redirect to :$iport
	}
}
NFT
wait_port 127.0.0.2 "$plain" && wait_port 127.0.0.2 "$tls" && wait_port 127.0.0.1 "$pport" ||
	{
		echo "not ok 1 - test setup did not start"
		cat "$tmp"/*.err
		kill -0 "$proxy" 2>/dev/null || { wait "$proxy"; echo "# proxy: exited with $?"; }
		exit 1
	}

# curl as a program that ignores http_proxy, whose own lookup of NAME said
# 127.0.0.3: jcurl NAME CURL-ARGS...
jcurl() {
	local name=$1
	shift
	curl -s --noproxy '*' --max-time 10 --resolve "$name:$plain:127.0.0.3" \
		--resolve "$name:$tls:127.0.0.3" "$@"
}

out=$(jcurl allowed.test "http://allowed.test:$plain/" -w ' %{http_code}')
check "intercepted HTTP to an allowed name reaches its origin" '[ "$out" = "hello
 200" ]' "$out"

out=$(jcurl allowed.test "http://allowed.test:$plain/headers")
check "intercepted HTTP carries the job-id header" '[[ $out == *"X-Bacalhau-Job-ID: job-icpt"* ]]' "$out"

out=$(jcurl evil.test "http://evil.test:$plain/" -w ' %{http_code}')
check "intercepted HTTP to a denied name: 403 naming the rule" \
	'[[ $out == *"domain \"evil.test\" is not in this job'"'"'s allowlist"*403 ]]' "$out"

out=$(jcurl allowed.test -k "https://allowed.test:$tls/" -w ' %{http_code}')
check "intercepted TLS to an allowed name reaches its origin" '[ "$out" = "hello
 200" ]' "$out"

out=$(jcurl evil.test -k "https://evil.test:$tls/" -w ' %{http_code}' 2>&1)
check "intercepted TLS to a denied name is closed" '[[ $out == *" 000" ]]' "$out"

out=$(jcurl - -k "https://127.0.0.3:$tls/" -w ' %{http_code}' 2>&1)
check "intercepted TLS without a server name (an IP literal) is closed" '[[ $out == *" 000" ]]' "$out"

out=$(jcurl private.test "http://private.test:$plain/" -w ' %{http_code}')
check "the address rules hold for intercepted names" \
	'[[ $out == *"resolves to 10.0.0.5, a private address"*403 ]]' "$out"

# ClientHellos cut into 1-byte TCP segments, and split across two TLS
# records: the server name is read all the same.
out=$(python3 - "$tls" <<'PY'
import socket, ssl, sys, time
port = int(sys.argv[1])

from tlshello import hello

def two_records(h):
    body = h[5:]
    k = len(body) // 2
    rec = lambda b: h[:3] + len(b).to_bytes(2, "big") + b
    return rec(body[:k]) + rec(body[k:])

def attempt(name, cut):
    h = hello(name)
    s = socket.create_connection(("127.0.0.3", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if cut == "bytes":
        for b in h:
            s.send(bytes([b]))
            time.sleep(0.001)
    else:
        s.sendall(two_records(h))
    try:
        got = s.recv(5)
    except OSError:
        got = b""
    return "answered" if got[:1] == b"\x16" else "closed"

print(" ".join(attempt(n, c) for n in ("allowed.test", "evil.test") for c in ("bytes", "records")))
PY
)
check "split ClientHellos (1-byte segments, two records): allowed answered, denied closed" \
	'[ "$out" = "answered answered closed closed" ]' "$out"

# Two pipelined requests on one connection, the second to a denied Host.
out=$(python3 - "$plain" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.3", int(sys.argv[1])), timeout=10)
p = sys.argv[1]
s.sendall(("GET / HTTP/1.1\r\nHost: allowed.test:%s\r\n\r\n"
           "GET / HTTP/1.1\r\nHost: evil.test:%s\r\n\r\n" % (p, p)).encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.decode(errors="replace"))
PY
)
check "pipelined: the first request is served, the second's Host refused on its own" \
	'[[ $out == *"200 OK"*hello*"403 Forbidden"*evil.test* ]]' "$out"

out=$(jcurl - "http://127.0.0.1:$iport/" -w ' %{http_code}' -H 'Host: allowed.test')
check "a connection straight to the interception port is closed" '[ "$out" = " 000" ]' "$out"

printf 'SSH-2.0-x\r\n' | timeout 5 python3 -c '
import socket,sys
s=socket.create_connection(("127.0.0.3",'"$plain"'),timeout=5); s.sendall(sys.stdin.buffer.read())
print(s.recv(100)==b"" and "closed" or "answered")' >"$tmp/other" 2>&1
check "neither TLS nor HTTP is closed" 'grep -qx closed "$tmp/other"' "$(cat "$tmp/other")"

# The access log and the counters have every refusal with its reason.
sleep 1.2
log=$(cat "$tmp/access.log")
check "access log: each refusal with its reason, intercepted TLS as method TLS" \
	'[[ $log == *"method=TLS host=evil.test port=$tls decision=deny reason=\"netward: the TLS server name '"'"'evil.test'"'"' is not in this job"* &&
	   $log == *"method=TLS host=127.0.0.3 port=$tls decision=deny"*"names no server (SNI)"* &&
	   $log == *"straight to the interception port (127.0.0.1:$iport)"* &&
	   $log == *"intercepted to 127.0.0.3:$plain is neither TLS nor HTTP/1.x"* ]]' "$log"

# The job's DNS.
d=(dig +short +time=3 +tries=1 -p "$jdns" @127.0.0.1)
out=$("${d[@]}" allowed.test A)
check "DNS (UDP): an allowed name gets the proxy's checked answer" '[ "$out" = 127.0.0.2 ]' "$out"
out=$("${d[@]}" +tcp allowed.test A)
check "DNS (TCP): the same" '[ "$out" = 127.0.0.2 ]' "$out"
out=$(dig +time=3 +tries=1 -p "$jdns" @127.0.0.1 allowed.test A | grep -o 'IN	A	.*' ; dig +time=3 +tries=1 -p "$jdns" @127.0.0.1 allowed.test A | awk '/ANSWER SECTION/{getline; print $2}')
check "DNS: the TTL is capped" '[ "$(echo "$out" | tail -1)" -le 60 ]' "$out"
for t in AAAA HTTPS SVCB TXT ANY; do
	out=$(dig +time=3 +tries=1 -p "$jdns" @127.0.0.1 allowed.test "$t")
	check "DNS: $t for an allowed name is an empty NOERROR" \
		'[[ $out == *"status: NOERROR"* && $out == *"ANSWER: 0"* ]]' "$out"
done
for proto in +notcp +tcp; do
	out=$(dig $proto +time=3 +tries=1 -p "$jdns" @127.0.0.1 evil.test A)
	check "DNS ($proto): a name outside the list is NXDOMAIN" '[[ $out == *"status: NXDOMAIN"* ]]' "$out"
done
out=$(dig +time=3 +tries=1 -p "$jdns" @127.0.0.1 private.test A)
check "DNS: a name whose address the rules refuse gets an empty answer" \
	'[[ $out == *"status: NOERROR"* && $out == *"ANSWER: 0"* ]]' "$out"
out=$(python3 - "$jdns" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
# one question, a label running past the message
s.sendto(bytes.fromhex("abcd01000001000000000000") + b"\x20abc", ("127.0.0.1", int(sys.argv[1])))
r = s.recv(512)
print("id=%s rcode=%d" % (r[:2].hex(), r[3] & 15))
PY
)
check "DNS: a malformed query is FORMERR" '[ "$out" = "id=abcd rcode=1" ]' "$out"
# DNS over TCP is bounded: a connection past the cap (DNS_TCP_CONNS in
# hook/proxy_dns.c) is closed at once; those within it are answered.
cap=$(sed -n 's/^#define DNS_TCP_CONNS[[:space:]]*\([0-9]*\).*/\1/p' "$here/../../hook/proxy_dns.c")
out=$(python3 - "$jdns" "$cap" <<'PY'
import socket, struct, sys
port, cap = int(sys.argv[1]), int(sys.argv[2])
q = bytes.fromhex("beef01000001000000000000") + b"\x07allowed\x04test\x00\x00\x01\x00\x01"
frame = struct.pack(">H", len(q)) + q
conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(cap)]
extra = socket.create_connection(("127.0.0.1", port), timeout=10)
try:
    extra.sendall(frame)
    past = "closed" if extra.recv(512) == b"" else "answered"
except OSError:
    past = "closed"
conns[0].sendall(frame)
within = "answered" if len(conns[0].recv(512)) > 2 else "closed"
print(past, within)
PY
)
check "DNS (TCP): a connection past the cap of $cap is closed, one within it answered" \
	'[ "$out" = "closed answered" ]' "$out"

for i in 1 2 3; do "${d[@]}" "x$RANDOM$i.evil.test" A >/dev/null; done
"${d[@]}" "x$RANDOM.sub.allowed.test" A >/dev/null
sleep 0.3
q=$(cat "$tmp/dnsmasq.log")
check "DNS: names outside the list never reach the upstream server" \
	'[[ $q != *evil.test* && $q == *allowed.test* ]]' "$q"

# The job's DNS is held to the job's rate limit: a flood of random names
# under an allowed wildcard, to a proxy of its own limited to $rate
# bytes/s. Each query sent upstream costs its lookups' bytes
# ((name + DNS_LOOKUP_OVERHEAD) * DNS_LOOKUPS * DNS_SENDS per server,
# hook/proxy_dns.c; this proxy has one server) from the
# upstream bucket, which starts with its burst (bucket_burst_for: 16 KiB
# at least, at this rate); so over a flood of W seconds no more than
# (burst + rate * W) / cost queries reach the upstream server, however
# fast the machine. The rest get SERVFAIL at once, logged and counted.
src=$here/../../hook/proxy_dns.c
overhead=$(sed -n 's/^#define DNS_LOOKUP_OVERHEAD[[:space:]]*\([0-9]*\).*/\1/p' "$src")
lookups=$(sed -n 's/^#define DNS_LOOKUPS[[:space:]]*\([0-9]*\).*/\1/p' "$src")
sends=$(sed -n 's/^#define DNS_SENDS[[:space:]]*\([0-9]*\).*/\1/p' "$src")
locallines=$(sed -n 's/^#define DNS_LOCAL_LINES[[:space:]]*\([0-9]*\).*/\1/p' "$src")
rate=20000 burst=16384 fdns=5354 secs=2
cat >"$tmp/flood.json" <<JSON
{"allowed_modes": ["http"], "allow_private_destinations": ["127.0.0.2/32"],
 "dns_servers": ["127.0.0.53:$dns_port"], "rate_limit_bps": $((rate * 8)),
 "log": "$tmp/flood.log"}
JSON
"$netward" --config "$tmp/flood.json" proxy --listen "127.0.0.1:3130" --dns-port "$fdns" \
	--domains .flood.test --job-id job-flood ${NW_PROXY_ARGS:-} 2>"$tmp/flood.err" &
pids+=($!)
wait_port 127.0.0.1 3130
flood_py=$(cat <<'PY'
import os, random, select, socket, string, sys, time
port, secs, base = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
def name():
    lab = lambda: "".join(random.choice(string.ascii_lowercase) for _ in range(60))
    return "f%s.%s.%s.%s" % (lab(), lab(), lab(), base)
sent = servfail = answered = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    q = os.urandom(2) + bytes.fromhex("01000001000000000000")
    q += b"".join(bytes([len(l)]) + l.encode() for l in name().split(".")) + b"\0\0\1\0\1"
    try:
        s.sendto(q, ("127.0.0.1", port)); sent += 1
    except BlockingIOError:
        pass
    while True:
        try:
            r = s.recv(4096)
        except BlockingIOError:
            break
        if r[3] & 15 == 2: servfail += 1
        else: answered += 1
    if sent % 64 == 0:
        select.select([s], [], [], 0.001)
print(sent, servfail, answered, time.monotonic() - end + secs)
PY
)
out=$(python3 -c "$flood_py" "$fdns" "$secs" flood.test)
sleep 1.5 # the lookups in flight end, the log is written
read -r sent servfail answered took <<<"$out"
len=$((3 * 61 + 11)) # the flood's names: f + three 60-letter labels + .flood.test
cost=$(((len + overhead) * lookups * sends))
# Two seconds more than the flood lasted (whole seconds): lookups let out as it ended.
bound=$(((burst + rate * (${took%.*} + 2)) / cost))
up=$(grep -c 'query\[A\] f[a-z]*\.[a-z]*\.[a-z]*\.flood\.test' "$tmp/dnsmasq.log")
echo "# DNS flood: $up queries reached the upstream server, $servfail answered SERVFAIL, $answered otherwise"
check "DNS flood: $sent queries in ${took}s; at most $bound reach the upstream server (rate $rate B/s, $cost B each)" \
	'[ "$up" -ge 1 ] && [ "$up" -le "$bound" ] && [ "$servfail" -ge 1 ]' \
	"upstream=$up servfail=$servfail answered=$answered"
flog=$(cat "$tmp/flood.log")
check "DNS flood: every outcome logged, method DNS, refusals with their reason" \
	'[[ $flog == *"method=DNS host=f"*".flood.test port=53 decision=allow reason=\"answered\" status=0"* &&
	   $flog == *"method=DNS host=f"*".flood.test port=53 decision=deny reason=\"netward: DNS "*"over"*"limit"* ]]' \
	"$(head -c 2000 "$tmp/flood.log")"
# Past a bound of queries per second (any kind) derived from the same
# rate, queries are dropped with one line a second: the log gets no line
# per query of the flood.
qps=$((rate / (overhead * lookups * sends))) qburst=$((burst / (overhead * lookups * sends)))
lines=$(grep -c 'method=DNS' "$tmp/flood.log")
lbound=$((qburst + (qps + 1) * (${took%.*} + 2)))
check "DNS flood: at most $lbound log lines for $sent queries, the dropped ones noted" \
	'[ "$lines" -le "$lbound" ] && grep -q "over their limit ($qps per second, from its rate limit): [0-9]* dropped" "$tmp/flood.log"' \
	"lines=$lines"
# Queries answered here (names outside the list) write DNS_LOCAL_LINES
# lines a second at most; the rest are counted and summed up in one line
# the next second, so a flood of them costs the node's log next to nothing.
out=$(python3 -c "$flood_py" "$fdns" "$secs" evil.test)
sleep 1.5
read -r lsent _ _ ltook <<<"$out"
llines=$(grep -c 'method=DNS host=f[a-z]*\.[a-z]*\.[a-z]*\.evil\.test ' "$tmp/flood.log")
llbound=$((locallines * (${ltook%.*} + 2)))
check "DNS flood outside the list: $lsent queries, at most $llbound lines naming them, the rest summed up" \
	'[ "$llines" -ge 1 ] && [ "$llines" -le "$llbound" ] && grep -q "more DNS queries answered here .* were counted but not logged" "$tmp/flood.log"' \
	"lines=$llines"
log=$(cat "$tmp/access.log")
check "DNS: a name outside the list is logged as denied" \
	'[[ $log == *"method=DNS host=evil.test port=53 decision=deny reason=\"netward: the name is not in this job'"'"'s allowlist (NXDOMAIN)\" status=3"* ]]' \
	"$(grep method=DNS "$tmp/access.log" | head -5)"

nft delete table ip icpt
if [ "$failed" -ne 0 ]; then
	sed 's/^/# proxy: /' "$tmp/proxy.err"
	kill -0 "$proxy" 2>/dev/null || { wait "$proxy"; echo "# proxy: exited with $?"; }
fi
echo "1..$n"
[ "$failed" -eq 0 ]
