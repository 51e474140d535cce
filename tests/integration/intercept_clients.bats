#!/usr/bin/env bats
# Programs that ignore http_proxy, from inside real runc containers: every
# proxy variable unset, names resolved through the job's own resolver (the
# gateway), connections made straight to the address. netward intercepts
# them: Node.js (https.get, fetch), Python urllib with no proxy handler,
# curl --noproxy '*', wget --no-proxy, openssl s_client and hand-made
# ClientHellos reach the job's domains and nothing else, judged on the TLS
# server name or the HTTP Host, and the proxy connects to the name it
# checked, never to the address the job chose. The test internet's
# certificate names www.test and other.test alike, and each nginx answers
# with its own page ("hello from www.test" / "hello from other.test"), so
# the body shows which server a connection really reached.

load helpers
load http_helpers
load intercept_helpers

nw_suite testnet unreachable

# The test internet's DNS log size now, to read only what came after.
dns_mark() { stat -c %s "$TESTNET_DIR/log/dnsmasq.log"; }
dns_since() { tail -c +"$(($1 + 1))" "$TESTNET_DIR/log/dnsmasq.log"; }

@test "intercept: Node.js https.get and fetch, Python urllib, curl and wget with no proxy reach an allowed name; a name not allowed fails at once" {
	ic_need node wget
	local id b u mark
	mark=$(dns_mark)
	id=$(job_id clients)
	b=$(ic_bundle "$id" www.test '
		sed "s/^/RESOLV /" /etc/resolv.conf
		echo "PROXYVARS $(env | grep -ci "_proxy=")"
		for u in https://www.test/ https://other.test/ http://www.test/ http://other.test/; do
			nget $u; nfetch $u; pyd $u; cn $u; wg $u
		done')
	run run_job "$b" "$id"
	assert_success
	# The job was given the gateway as its resolver, and no proxy.
	assert_output_has "RESOLV nameserver $NW_GATEWAY"
	assert_output_has "PROXYVARS 0"
	for u in https://www.test/ http://www.test/; do
		assert_line_has "NGET $u 200 " "hello from www.test"
		assert_line_has "NFETCH $u 200 " "hello from www.test"
		assert_line_has "PYD $u 200 " "hello from www.test"
		assert_line_has "CN $u 200 " "hello from www.test"
		assert_line_has "WG $u rc=0 " "hello from www.test"
	done
	for u in https://other.test/ http://other.test/; do
		ic_assert_resolve_fail "NGET $u "
		ic_assert_resolve_fail "NFETCH $u "
		ic_assert_resolve_fail "PYD $u "
		ic_assert_resolve_fail "CN $u "
		ic_assert_resolve_fail "WG $u "
	done
	assert_output_lacks "hello from other.test"
	# Each allowed fetch went through the job's proxy (10 of them), which
	# logged it; the name not allowed was never asked of the test DNS.
	[ "$(ic_count 'host=www.test ' 'decision=allow')" -ge 10 ]
	dns_since "$mark" | grep -F 'www.test' >&2
	if dns_since "$mark" | grep -F 'other.test'; then
		echo "a query for other.test reached the test internet's DNS" >&2
		false
	fi
	assert_clean "$id"
}

@test "intercept: the proxy connects to the name it checked, never to the address the job chose (/etc/hosts swapped)" {
	ic_need node
	local id b
	id=$(job_id hosts)
	b=$(ic_bundle "$id" www.test '
		nget https://www.test/; nfetch https://www.test/; pyd http://www.test/
		cn https://www.test/; cn http://www.test/
		nget https://other.test/; cn https://other.test/
		cn http://other.test/; pyd http://other.test/
		cn http://www.test/ -H "Host: other.test"')
	# The job's own idea of the addresses: www.test on other.test's, and
	# the other way round.
	printf '127.0.0.1\tlocalhost\n%s\twww.test\n%s\tother.test\n' "$TESTNET_OTHER" "$TESTNET_WWW" \
		>"$b/rootfs/etc/hosts"
	run run_job "$b" "$id"
	assert_success
	assert_line_has "NGET https://www.test/ 200 " "hello from www.test"
	assert_line_has "NFETCH https://www.test/ 200 " "hello from www.test"
	assert_line_has "PYD http://www.test/ 200 " "hello from www.test"
	assert_line_has "CN https://www.test/ 200 " "hello from www.test"
	assert_line_has "CN http://www.test/ 200 " "hello from www.test"
	# other.test by its server name: the tunnel is closed before a byte
	# reaches any server (curl: 35 SSL connect error, or 56 receive error).
	assert_line_has "NGET https://other.test/ ERR " ""
	grep -qE "^CN https://other.test/ 000 .* rc=(35|56) " <<<"$output"
	# by its Host: 403 with the reason.
	assert_line_has "CN http://other.test/ 403 " "netward: "
	assert_line_has "CN http://other.test/ 403 " "other.test"
	assert_line_has "PYD http://other.test/ 403 " "netward: "
	assert_line_has "CN http://www.test/ 403 " "other.test"
	assert_output_lacks "hello from other.test"
	nw_logged "host=other.test " "decision=deny"
	nw_logged "host=www.test " "decision=allow"
	assert_clean "$id"
}

@test "intercept: TLS to an IP literal (no server name) is refused, logged and counted; plain HTTP to one gets 403" {
	ic_need node
	local id b
	id=$(job_id iplit)
	b=$(ic_bundle "$id" "www.test,$TESTNET_WWW" '
		cn https://'"$TESTNET_WWW"'/
		nget https://'"$TESTNET_WWW"'/
		out=$(timeout 15 openssl s_client -quiet -noservername -CAfile /etc/netward-test-ca.pem \
			-connect '"$TESTNET_WWW"':443 </dev/null 2>&1)
		echo "SCLIENT noname rc=$? $(printf "%s" "$out" | tr "\r\n" "  ")"
		cn http://'"$TESTNET_OTHER"'/
		echo DONE
		exec sleep 300')
	run_until_done "$b" "$id"
	# Even with the address itself on the job's list: TLS with no name
	# has nothing to judge.
	grep -qE "^CN https://$TESTNET_WWW/ 000 .* rc=(35|56) " <<<"$output"
	assert_line_has "NGET https://$TESTNET_WWW/ ERR " ""
	assert_line_has "SCLIENT noname rc=1" ""
	assert_line_has "CN http://$TESTNET_OTHER/ 403 " "netward: "
	assert_output_lacks "hello from"
	ic_wait_log "$id" "decision=deny" 4
	wait_stats "$id" '.requests_denied >= 4'
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
}

@test "intercept: openssl s_client -servername allowed and denied; ClientHellos cut into 1-byte segments and two TLS records" {
	local id b m
	id=$(job_id sni)
	b=$(ic_bundle "$id" www.test '
		for n in www.test other.test; do
			out=$(printf "GET / HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n" |
				timeout 15 openssl s_client -quiet -verify_return_error \
				-CAfile /etc/netward-test-ca.pem -connect '"$TESTNET_WWW"':443 -servername $n 2>&1)
			echo "SCLIENT $n rc=$? $(printf "%s" "$out" | tr "\r\n" "  ")"
		done
		for m in whole bytes records; do
			hello '"$TESTNET_WWW"' 443 www.test $m
			hello '"$TESTNET_WWW"' 443 other.test $m
		done
		# An allowed name sent to another server: the proxy goes to the name.
		hello '"$TESTNET_OTHER"' 443 www.test whole
		# TLS to an allowed name on a port in http_ports only (8080).
		hello '"$TESTNET_WWW"' 8080 www.test whole')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "SCLIENT www.test rc=0" "hello from www.test"
	assert_line_has "SCLIENT other.test rc=1" ""
	for m in whole bytes records; do
		assert_line_has "HELLO www.test $TESTNET_WWW:443 $m ok" "hello from www.test"
		assert_line_has "HELLO other.test $TESTNET_WWW:443 $m closed" ""
	done
	assert_line_has "HELLO www.test $TESTNET_OTHER:443 whole ok" "hello from www.test"
	# Forwarded, nginx's plain port would have answered in HTTP (an SSL
	# error here); the proxy closed it: 8080 is not in connect_ports.
	assert_line_has "HELLO www.test $TESTNET_WWW:8080 whole closed" ""
	assert_output_lacks "hello from other.test"
	[ "$(ic_count 'host=other.test ' 'decision=deny')" -ge 4 ]
	nw_logged "host=www.test " "port=8080" "decision=deny"
	assert_clean "$id"
}

@test "intercept: requests on one connection are each judged on their own Host, pipelined or one after another" {
	local id b
	id=$(job_id pipeline)
	b=$(ic_bundle "$id" www.test 'python3 /nwt/pipe.py '"$TESTNET_WWW")
	cat >"$b/rootfs/nwt/pipe.py" <<'PY'
import socket, sys
ip = sys.argv[1]
def response(f):
    """One response from the stream: (status, body), or None at EOF."""
    line = f.readline()
    if not line:
        return None
    n = 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode().partition(":")
        if k.strip().lower() == "content-length":
            n = int(v)
    return line.split()[1].decode(), " ".join(f.read(n).decode(errors="replace").split())
def req(host, close=False):
    return ("GET / HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (host, "Connection: close\r\n" if close else "")).encode()
def talk(label, batches):
    s = socket.create_connection((ip, 80), timeout=10)
    f = s.makefile("rb")
    got = []
    try:
        for batch in batches:
            s.sendall(b"".join(batch))
            for _ in batch:
                r = response(f)
                if r is None:
                    break
                got.append("%s %s" % r)
    except OSError as e:
        got.append("ERR %s" % e)
    print("PIPE", label, " | ".join(got), flush=True)
# Three requests in one write; then two, the second sent after the first's answer.
talk("pipelined", [[req("www.test"), req("other.test"), req("www.test", True)]])
talk("sequential", [[req("www.test")], [req("other.test", True)]])
PY
	run run_job "$b" "$id"
	assert_success
	assert_line_has "PIPE pipelined 200 " "hello from www.test"
	assert_line_has "PIPE pipelined " "| 403 "
	assert_line_has "PIPE sequential 200 " "hello from www.test"
	assert_line_has "PIPE sequential " "| 403 "
	assert_output_lacks "hello from other.test"
	[ "$(ic_count 'host=other.test ' 'decision=deny')" -ge 2 ]
	assert_clean "$id"
}

@test "intercept: UDP to port 443 (QUIC) is refused with an ICMP error within 100 ms" {
	local id b line h
	id=$(job_id quic)
	b=$(ic_bundle "$id" www.test '
		udpq '"$TESTNET_WWW"' 443
		udpq www.test 443
		cn https://www.test/')
	run run_job "$b" "$id"
	assert_success
	# The time is from the datagram's send to the error's arrival on the
	# socket (the probe waits 5 s for it); the client falls back to TCP.
	for h in "$TESTNET_WWW" www.test; do
		line=$(grep "^UDPQ $h:443 " <<<"$output") || {
			echo "no probe line for $h" >&2
			printf '%s\n' "$output" >&2
			false
		}
		echo "$line" >&2
		awk '{ exit !(($3 == "OSError/113" || $3 == "ConnectionRefusedError/111") && $4 < 0.1) }' <<<"$line"
	done
	assert_line_has "CN https://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "intercept: the proxy waits T_PEEK for the first bytes: a silent connection and a ClientHello cut short are closed then, not before" {
	local id b t_peek tick lo hi line secs w
	t_peek=$(hook_const T_PEEK)
	tick=$(hook_const PROXY_TICK_MS)
	[ -n "$t_peek" ] && [ -n "$tick" ]
	id=$(job_id peek)
	b=$(ic_bundle "$id" www.test 'python3 /nwt/peek.py '"$TESTNET_WWW"' '"$((t_peek / 1000 * 3))")
	cat >"$b/rootfs/nwt/peek.py" <<'PY'
import socket, ssl, sys, threading, time
ip, wait = sys.argv[1], float(sys.argv[2])
def hello():
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ssl.create_default_context().wrap_bio(inc, out, server_hostname="www.test")
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()
def probe(label, first):
    s = socket.create_connection((ip, 443), timeout=wait)
    t = time.monotonic()
    if first:
        s.sendall(first)
    try:
        r = "closed" if s.recv(100) == b"" else "answered"
    except ConnectionResetError:
        r = "closed"
    except socket.timeout:
        r = "open"
    print("PEEK %s %s %.2f" % (label, r, time.monotonic() - t), flush=True)
ts = [threading.Thread(target=probe, args=a) for a in (("silent", b""), ("cut", hello()[:60]))]
for t in ts:
    t.start()
for t in ts:
    t.join()
PY
	run run_job "$b" "$id"
	assert_success
	# Not before T_PEEK (the client's clock starts before the proxy's), and
	# within a tick and a fifth more (timeouts are checked once a tick).
	lo=$(awk -v t="$t_peek" 'BEGIN { printf "%.2f", t / 1000 }')
	hi=$(awk -v t="$t_peek" -v k="$tick" 'BEGIN { printf "%.2f", (t + k) * 1.2 / 1000 }')
	for w in silent cut; do
		line=$(grep "^PEEK $w " <<<"$output") || {
			printf '%s\n' "$output" >&2
			false
		}
		secs=$(awk '{ print $4 }' <<<"$line")
		echo "$line (between $lo and $hi s)" >&2
		[[ $line == "PEEK $w closed "* ]]
		awk -v s="$secs" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(s >= lo && s <= hi) }'
	done
	# The cut ClientHello is refused and logged with the reason; the
	# silent connection asked for nothing.
	nw_logged "did not arrive within $t_peek ms" "decision=deny"
	assert_clean "$id"
}

# Bytes/s of a transfer line "WHAT BYTES SECONDS".
rate_of() { awk -v w="$1" '$1 == w && $2 > 0 { printf "%d", $2 / $3 }' <<<"$output"; }

@test "intercept: the rate limit holds for intercepted connections, shared with the explicit path" {
	local id b want=1000000 got both
	write_node_config "$NW_CONFIG" '.rate_limit_bps = 8000000'
	id=$(job_id rate)
	b=$(ic_bundle "$id" www.test '
		curl --noproxy "*" -sS -m 40 -o /dev/null -w "ALONE %{size_download} %{time_total}\n" http://www.test/big
		t0=$(now_ms)
		curl --noproxy "*" -sS -m 40 -o /dev/null -w "I %{size_download}\n" http://www.test/big >/tmp/i &
		curl -x '"$NW_PROXY_URL"' -sS -m 40 -o /dev/null -w "E %{size_download}\n" http://www.test/big >/tmp/e &
		wait
		t1=$(now_ms)
		cat /tmp/i /tmp/e
		echo "BOTH $(( $(cut -d" " -f2 /tmp/i) + $(cut -d" " -f2 /tmp/e) )) $(( t1 - t0 ))"')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "ALONE $TESTNET_BIG_SIZE "
	assert_output_has "I $TESTNET_BIG_SIZE"
	assert_output_has "E $TESTNET_BIG_SIZE"
	got=$(rate_of ALONE)
	both=$(awk '$1 == "BOTH" && $3 > 0 { printf "%d", $2 / ($3 / 1000) }' <<<"$output")
	echo "# intercepted alone ${got:-?} B/s, with an explicit download beside it ${both:-?} B/s, limit $want B/s" >&3
	awk -v got="$got" -v want="$want" 'BEGIN { exit !(got <= want * 1.05 && got >= want * 0.5) }'
	# One bucket per job and direction: two connections, one of each
	# path, share it.
	awk -v got="$both" -v want="$want" 'BEGIN { exit !(got <= want * 1.05 && got >= want * 0.5) }'
	assert_clean "$id"
}

@test "intercept: off (node key intercept false): nothing is intercepted, the job's resolver is not the gateway, the proxy still serves" {
	local id b
	write_node_config "$NW_CONFIG" '.intercept = false'
	id=$(job_id off)
	b=$(ic_bundle "$id" www.test '
		sed "s/^/RESOLV /" /etc/resolv.conf
		cn http://'"$TESTNET_WWW"'/ -H "Host: www.test"
		cn https://www.test/ --resolve www.test:443:'"$TESTNET_WWW"'
		python3 /nwt/attack.py dns '"$NW_GATEWAY"' www.test udp 2>/dev/null || true
		r http://www.test/ -x '"$NW_PROXY_URL"'
		r https://www.test/ -x '"$NW_PROXY_URL"'')
	install -m 0755 "$NW_ROOT/tests/lib/bypass-attack.py" "$b/rootfs/nwt/attack.py"
	run run_job "$b" "$id"
	assert_success
	assert_output_lacks "RESOLV nameserver $NW_GATEWAY"
	# Refused by the firewall at once (7: could not connect), not served.
	assert_line_has "CN http://$TESTNET_WWW/ 000 " "rc=7 "
	assert_line_has "CN https://www.test/ 000 " "rc=7 "
	assert_output_has "DNS $NW_GATEWAY www.test udp fail"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}
