#!/usr/bin/env bats
# Interception's wiring on the node, from real runc jobs: what the host's
# firewall does with an http job's traffic that ignores the proxy, and the
# resolver the job is given. The proxy's side (what it does with what it
# gets) is tested elsewhere; here, where each packet lands: redirected
# connections at the job's own proxy socket on proxy_port + 1, never at
# the address the job chose; the job's DNS at its proxy's port 53; QUIC
# and everything else refused at once.

load helpers
load http_helpers

nw_suite testnet unreachable

NW_INTERCEPT_PORT=3129

# hold HOST PORT: a direct TCP connection held open 4 s, then
# HOLD HOST:PORT open|closed ERRNO-NAME.
nw_hold_lib() {
	cat <<'EOF2'
hold() {
	python3 -c 'import socket, sys, time
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
    print("HOLD %s:%s open" % (sys.argv[1], sys.argv[2]), flush=True)
    time.sleep(4)
except OSError as e:
    print("HOLD %s:%s closed %s" % (sys.argv[1], sys.argv[2], type(e).__name__), flush=True)' "$1" "$2"
}
dnsq() {
	python3 -c 'import socket, struct, sys
q = struct.pack(">HHHHHH", 0x6e77, 0x0100, 1, 0, 0, 0) + b"\x03www\x04test\x00" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], 53))
try:
    s.send(q)
    s.recv(512)
    print("DNSQ %s answered" % sys.argv[1])
except socket.timeout:
    print("DNSQ %s timeout" % sys.argv[1])
except OSError as e:
    print("DNSQ %s refused %s" % (sys.argv[1], type(e).__name__))' "$1"
}
udp() {
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect((sys.argv[1], int(sys.argv[2])))
t = time.monotonic()
try:
    s.send(b"\x00" * 32)
    s.recv(512)
    print("UDP %s:%s answered" % (sys.argv[1], sys.argv[2]))
except socket.timeout:
    print("UDP %s:%s timeout" % (sys.argv[1], sys.argv[2]))
except OSError as e:
    print("UDP %s:%s refused %s %d ms" % (sys.argv[1], sys.argv[2], type(e).__name__,
          (time.monotonic() - t) * 1000))' "$1" "$2"
}
EOF2
}

# The job's connections the proxy's intercept socket holds, seen from the
# host: accepted (an established socket on the port) or waiting in its
# accept queue (the listener's Recv-Q).
intercept_sockets() {
	local est queued
	est=$(ss -Htn state established "( sport = :$NW_INTERCEPT_PORT )" | grep -c "$1" || true)
	queued=$(ss -Htln "( sport = :$NW_INTERCEPT_PORT )" | awk '{ n += $2 } END { print n + 0 }')
	echo $((est + queued))
}

@test "redirect: a direct connection on an http port lands at the job's proxy, not at its destination" {
	local id b pid addr n
	id=$(job_id direct)
	b=$(http_bundle "$id" www.test "$(nw_hold_lib)
		hold $TESTNET_WWW 80 &
		hold $TESTNET_WWW 8443 &
		wait
		hold $TESTNET_WWW 22
		hold $NW_GATEWAY $NW_INTERCEPT_PORT
		echo RESOLV \$(tr '\n' ' ' </etc/resolv.conf)")
	patch_bundle "$b"
	runc_run "$b" "$id" >"$BATS_TEST_TMPDIR/out" &
	pid=$!
	# While the job holds them: both at its proxy's intercept socket.
	for _ in $(seq 30); do
		addr=$(job_state_field "$id" addr 2>/dev/null || true)
		[ -n "$addr" ] && [ "$(intercept_sockets "$addr")" -ge 2 ] && break
		sleep 0.1
	done
	n=$(intercept_sockets "$addr")
	wait "$pid"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	echo "$output" >&2
	[ "$n" -ge 2 ]
	assert_output_has "HOLD $TESTNET_WWW:80 open"
	assert_output_has "HOLD $TESTNET_WWW:8443 open"
	# Not an http port: refused at once, not left to time out.
	assert_output_has "HOLD $TESTNET_WWW:22 closed ConnectionRefusedError"
	# The intercept port itself takes only what the firewall redirected.
	assert_output_has "HOLD $NW_GATEWAY:$NW_INTERCEPT_PORT closed ConnectionRefusedError"
	assert_output_has "RESOLV # netward:"
	assert_output_has "nameserver $NW_GATEWAY options"
	assert_clean "$id"
	# The guard's allowances for the job went with it, the marked one too.
	if ip xfrm policy | grep -qF "src $addr/32"; then
		ip xfrm policy >&2
		false
	fi
}

# The proxy's UDP socket on port 53 of the job's veth has had the job's
# query: answered, or waiting in its receive queue.
dns_socket_queue() {
	ss -Huln "( sport = :53 )" | grep -F "%$1:" | awk '{ n += $2 } END { print n + 0 }'
}

@test "redirect: the job's DNS reaches its proxy on the gateway; QUIC and other resolvers are refused at once, and counted" {
	local id b
	id=$(job_id dns)
	b=$(http_bundle "$id" www.test "$(nw_hold_lib)
		dnsq $NW_GATEWAY
		hold $NW_GATEWAY 53
		dnsq $TESTNET_DNS
		udp $TESTNET_WWW 443
		echo QUEUE-CHECK
		sleep 3")
	patch_bundle "$b"
	runc_run "$b" "$id" >"$BATS_TEST_TMPDIR/out" &
	local pid=$! ifn q=0
	wait_for_text "$BATS_TEST_TMPDIR/out" QUEUE-CHECK 20
	ifn=$(job_state_field "$id" host_if)
	q=$(dns_socket_queue "$ifn")
	wait "$pid"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	echo "$output" >&2
	# At the proxy's socket: answered, or queued there.
	grep -qx "DNSQ $NW_GATEWAY answered" <<<"$output" || [ "$q" -gt 0 ]
	assert_output_has "HOLD $NW_GATEWAY:53 open"
	# Any other resolver, and UDP to port 443: an ICMP error, not silence.
	assert_output_has "DNSQ $TESTNET_DNS refused"
	assert_output_has "UDP $TESTNET_WWW:443 refused"
	grep -E "job ended: mode=http .* blocked_recent=[^ ]*$TESTNET_WWW:443/udp" "$NW_LOG"
	grep -E "job ended: mode=http .* blocked_recent=[^ ]*$TESTNET_DNS:53/udp" "$NW_LOG"
	assert_clean "$id"
}

@test "redirect: with intercept off, nothing is redirected and the job gets no resolver" {
	local id b
	write_node_config "$NW_CONFIG" '.intercept = false'
	id=$(job_id off)
	b=$(http_bundle "$id" www.test "$(nw_hold_lib)
		hold $TESTNET_WWW 80
		dnsq $NW_GATEWAY
		echo RESOLV \$(tr '\n' ' ' </etc/resolv.conf 2>/dev/null)
		echo LISTEN-CHECK
		sleep 2")
	patch_bundle "$b"
	bundle_has_resolv=$(jq '[.mounts[]? | select(.destination == "/etc/resolv.conf")] | length' "$b/config.json")
	runc_run "$b" "$id" >"$BATS_TEST_TMPDIR/out" &
	local pid=$! listeners
	wait_for_text "$BATS_TEST_TMPDIR/out" LISTEN-CHECK 20
	listeners=$(ss -Htuln "( sport = :$NW_INTERCEPT_PORT or sport = :53 )" | grep -c "%$(job_state_field "$id" host_if):" || true)
	wait "$pid"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	echo "$output" >&2
	[ "$bundle_has_resolv" = 0 ]
	[ "$listeners" = 0 ]
	assert_output_has "HOLD $TESTNET_WWW:80 closed ConnectionRefusedError"
	assert_output_has "DNSQ $NW_GATEWAY refused"
	assert_output_lacks "RESOLV # netward"
	assert_clean "$id"
}

@test "redirect: precreate gives the container a resolv.conf of its own, the same at every start" {
	local b out1 out2 src other
	b=$(http_bundle "$(job_id pre)" www.test 'true')
	out1=$("$NETWARD" --config "$NW_CONFIG" precreate <"$b/config.json")
	out2=$("$NETWARD" --config "$NW_CONFIG" precreate <"$b/config.json")
	src=$(jq -r '[.mounts[] | select(.destination == "/etc/resolv.conf")] | if length == 1 then .[0].source else "count \(length)" end' <<<"$out1")
	[ "$src" = "$(jq -r '.mounts[] | select(.destination == "/etc/resolv.conf") | .source' <<<"$out2")" ]
	[[ $src == /run/netward-resolv/*.conf ]]
	grep -qx "nameserver $NW_GATEWAY" "$src"
	[ "$(stat -c %a "$src")" = 644 ]
	# Another container (another root) gets another file.
	jq '.root.path = "/nonexistent/other-rootfs"' "$b/config.json" >"$BATS_TEST_TMPDIR/other.json"
	out2=$("$NETWARD" --config "$NW_CONFIG" precreate <"$BATS_TEST_TMPDIR/other.json")
	other=$(jq -r '.mounts[] | select(.destination == "/etc/resolv.conf") | .source' <<<"$out2")
	rm -f "$src" "$other"
	[ "$src" != "$other" ]
}

@test "redirect: a program that ignores the proxy reaches its domain through the redirect, by the gateway's DNS" {
	local id b
	id=$(job_id e2e)
	b=$(http_bundle "$id" www.test '
		r http://www.test/ --noproxy "*" --max-time 10
		r https://www.test/ --noproxy "*" --max-time 10
		r http://other.test/ --noproxy "*" --max-time 10')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	# Not on the list: the gateway's DNS does not know it.
	assert_line_has "RESULT http://other.test/ 000" ""
	assert_output_lacks "hello from other.test"
	assert_clean "$id"
}
