#!/usr/bin/env bats
# The proxy's node policy from inside real runc containers: a port on an
# allow_private_destinations entry, deny_destinations names reached through
# a CNAME or through another name sharing their address, and a job that
# floods its own access log. Each test checks that the job left nothing
# behind.

load helpers
load http_helpers

nw_suite testnet unreachable

@test "proxypolicy: allow_private_destinations CIDR:port opens that port only" {
	local id b
	# The test internet is private (198.18.0.0/15); only port 80 of it is
	# listed here. www.test also listens on 8080.
	write_node_config "$NW_CONFIG" '.allow_private_destinations = ["198.18.0.0/15:80"]'
	id=$(job_id privport)
	b=$(http_bundle "$id" www.test '
		r http://www.test/
		r http://www.test:8080/')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_refused_request http://www.test:8080/ "allow_private_destinations does not include it on port 8080"
	run "$NETWARD" --config "$NW_CONFIG" check-config
	assert_success
	assert_output_has '"198.18.0.0/15:80"'
	assert_clean "$id"
}

@test "proxypolicy: a job flooding its access log stays under the cap; status says lines were dropped" {
	local id b cap=16384 log st pid repeat_ms i
	repeat_ms=$(hook_const ACCESSLOG_REPEAT_MS)
	[ -n "$repeat_ms" ]
	write_node_config "$NW_CONFIG" ".job_log_max_bytes = $cap"
	id=$(job_id logflood)
	# 1000 identical denied requests (folded into a count), then 400
	# denied ones each to its own name (past the cap), then a request the
	# proxy must still serve.
	b=$(http_bundle "$id" www.test '
		python3 - <<PY
import socket
def ask(host):
    s = socket.create_connection(("'"$NW_GATEWAY"'", 3128), timeout=5)
    s.sendall(("GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n" % (host, host)).encode())
    got = s.recv(65536)
    s.close()
    return got.split(b" ")[1] if got.startswith(b"HTTP/") else b"none"
codes = {}
for i in range(1000):
    c = ask("same.evil.test"); codes[c] = codes.get(c, 0) + 1
for i in range(400):
    c = ask("d%d.evil.test" % i); codes[c] = codes.get(c, 0) + 1
print("CODES", sorted(codes.items()))
PY
		r http://www.test/
		echo FLOODED
		exec sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/flood.out"
	wait_for_text "$NW_TMP/flood.out" FLOODED 60
	cat "$NW_TMP/flood.out" >&2
	grep -qF "CODES [(b'403', 1400)]" "$NW_TMP/flood.out"
	# The proxy lived through it and still serves.
	grep -q '^RESULT http://www.test/ 200 ' "$NW_TMP/flood.out"
	pid=$(job_state_field "$id" proxy_pid)
	kill -0 "$pid"
	log=$NW_STATE/jobs/$id/access.log
	[ "$(stat -c %s "$log")" -le "$cap" ] || {
		echo "access log is $(stat -c %s "$log") bytes, over the cap of $cap" >&2
		false
	}
	grep -qF 'host=same.evil.test' "$log"
	[ "$(grep -cF 'host=same.evil.test' "$log")" -lt 5 ]
	grep -qF 'note="the line before repeated' "$log"
	grep -qF "reached its cap of $cap bytes" "$log"
	# The counters reach stats.json on the proxy's tick (at most a second).
	for i in $(seq 1 $((repeat_ms / 100 + 30))); do
		st=$("$NETWARD" --config "$NW_CONFIG" status --json </dev/null |
			jq -c --arg id "$id" '.[] | select(.id == $id)')
		jq -e '.access_log_lines_dropped > 0' <<<"$st" >/dev/null && break
		sleep 0.1
	done
	echo "status: $st" >&2
	jq -e '.access_log_lines_dropped > 100 and .requests_denied >= 1400' <<<"$st"
	run "$NETWARD" --config "$NW_CONFIG" status </dev/null
	assert_success
	assert_output_has "access log full"
	assert_output_has "lines dropped"
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
}

# apicname.test is a CNAME to api.test and apitwin.test another name with
# api.test's address, both in the test internet's DNS (tests/lib/testnet.sh).
@test "proxypolicy: a deny_destinations name is refused through a CNAME and through a name sharing its address" {
	local id b
	write_node_config "$NW_CONFIG" '.deny_destinations = ["api.test"]'
	id=$(job_id denyalias)
	b=$(http_bundle "$id" apicname.test,apitwin.test,www.test '
		r http://apicname.test/
		r https://apicname.test/
		r http://apitwin.test/
		r https://apitwin.test/
		r http://www.test/')
	run run_job "$b" "$id"
	assert_success
	assert_refused_request http://apicname.test/ "apicname.test is an alias (CNAME) of api.test, which is in deny_destinations"
	assert_refused_tunnel https://apicname.test/ "alias (CNAME) of api.test"
	assert_refused_request http://apitwin.test/ "apitwin.test resolves to $TESTNET_API, an address of api.test, which is in deny_destinations"
	assert_refused_tunnel https://apitwin.test/ "an address of api.test"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "proxypolicy: a deny_destinations name:port refuses its address on that port only" {
	local id b
	write_node_config "$NW_CONFIG" '.deny_destinations = ["api.test:6443"] | .connect_ports = [443, 6443]'
	id=$(job_id denyaliasport)
	b=$(http_bundle "$id" apitwin.test '
		r https://apitwin.test:6443/ -k
		r http://apitwin.test/')
	run run_job "$b" "$id"
	assert_success
	assert_refused_tunnel https://apitwin.test:6443/ "an address of api.test"
	assert_line_has "RESULT http://apitwin.test/ 200 " "hello from api.test"
	assert_clean "$id"
}

# The node's log file has no cap of netward's; under a file size limit the
# proxy must lose lines, never its life (SIGXFSZ would kill it).
@test "proxypolicy: the proxy outlives a log file at RLIMIT_FSIZE" {
	local port limit=8192 i code pid
	port=$(free_port)
	write_node_config "$NW_CONFIG" --arg log "$NW_TMP/node.log" '.log = $log'
	prlimit --fsize="$limit" "$NETWARD" --config "$NW_CONFIG" proxy --listen "127.0.0.1:$port" \
		--domains www.test --job-id job-fsize --no-sandbox 2>"$NW_TMP/proxy.err" 3>&- &
	pid=$!
	echo "$pid" >>"$NW_TMP/pids"
	for i in $(seq 1 50); do
		curl -s -o /dev/null -m 1 -x "http://127.0.0.1:$port" http://x.invalid/ && break
		sleep 0.1
	done
	# Each denied request writes a line of about 200 bytes: far past 8 KiB.
	for i in $(seq 1 200); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -x "http://127.0.0.1:$port" "http://d$i.evil.test/")
		[ "$code" = 403 ] || {
			echo "request $i got $code; proxy: $(cat "$NW_TMP/proxy.err")" >&2
			false
		}
	done
	kill -0 "$pid"
	[ "$(stat -c %s "$NW_TMP/node.log")" -le "$limit" ]
	code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -x "http://127.0.0.1:$port" http://www.test/)
	[ "$code" = 200 ]
	kill "$pid"
}
