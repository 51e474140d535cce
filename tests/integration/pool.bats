#!/usr/bin/env bats
# The proxy's pool of idle origin connections, from inside a real runc
# container: a job whose clients open a connection per request still
# shares the proxy's connections to an origin, and each client is closed
# as it asked. The origin is tests/proxy/pool_origin.py in the test
# internet's namespace, logging every connection and request.

load helpers
load http_helpers

PL_PORT=8093 # www.test
PL_SRV=$TESTNET_DIR/pool

pl_up() {
	local _
	mkdir -p "$PL_SRV"
	: >"$PL_SRV/o.log"
	testnet_spawn "$PL_SRV/o.out" "$PL_SRV/o.pid" \
		python3 "$NW_ROOT/tests/proxy/pool_origin.py" "$TESTNET_WWW" "$PL_PORT" "$PL_SRV/o.log"
	for _ in $(seq 1 50); do
		ip netns exec "$TESTNET_NS" bash -c "exec 3<>/dev/tcp/$TESTNET_WWW/$PL_PORT" 2>/dev/null &&
			return 0
		sleep 0.1
	done
	echo "the pool origin did not come up:" >&2
	cat "$PL_SRV/o.out" >&2
	return 1
}

pl_down() {
	local pid
	pid=$(cat "$PL_SRV/o.pid" 2>/dev/null) && { kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; }
	rm -rf "$PL_SRV"
}

setup_file() { nw_setup_file; }
teardown_file() { nw_teardown_file; }
setup() {
	nw_ensure_testnet
	nw_setup
	pl_up
}
teardown() {
	pl_down
	nw_teardown
}

# pl_bundle ID SCRIPT: an http job for www.test with /nwt/each.py: each.py
# ADDR PORT ORIGIN N [direct] sends N HTTP/1.0 GETs for http://ORIGIN/, each
# on a new connection to ADDR:PORT (the proxy; with direct, the origin's
# own address, which the job's interception takes to the proxy) and read
# to its close, printing GOT and each answer on one line.
pl_bundle() {
	local b
	b=$(http_bundle "$1" www.test "$2")
	cat >"$b/rootfs/nwt/each.py" <<'PY'
import socket, sys
addr, port, origin, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
direct = sys.argv[5:] == ["direct"]
for i in range(n):
    s = socket.create_connection((addr, port), timeout=10)
    if direct:
        s.sendall(b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % origin.encode())
    else:
        s.sendall(b"GET http://%s/ HTTP/1.0\r\n\r\n" % origin.encode())
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    print("GOT", " ".join(got.decode(errors="replace").split()))
PY
	printf '%s\n' "$b"
}

# pl_one_origin_conn N: the job's output ($output) has N whole answers,
# each telling its client the connection closes, all from the origin's
# first connection, and the origin saw one connection carrying N requests.
pl_one_origin_conn() {
	[ "$(grep -c '^GOT HTTP/1.1 200 OK .*Connection: close .*conn=1$' <<<"$output")" = "$1" ] || {
		printf '%s\n' "$output" >&2
		return 1
	}
	[ "$(grep -c '^conn ' "$PL_SRV/o.log")" = 1 ] &&
		[ "$(grep -c '^req 1 GET / ' "$PL_SRV/o.log")" = "$1" ] || {
		cat "$PL_SRV/o.log" >&2
		return 1
	}
}

@test "pool: HTTP/1.0 requests from a job, each on its own connection, share one origin connection" {
	local id b
	id=$(job_id pool)
	b=$(pl_bundle "$id" 'python3 /nwt/each.py '"$NW_GATEWAY"' 3128 www.test:'"$PL_PORT"' 5')
	run run_job "$b" "$id"
	assert_success
	# Every answer whole, each client told its connection closes (and
	# closed: the reads above end only at EOF), all from one connection.
	pl_one_origin_conn 5
	assert_clean "$id"
}

@test "pool: intercepted requests take the same pool as requests to the proxy" {
	local id b
	id=$(job_id poolic)
	b=$(pl_bundle "$id" '
		python3 /nwt/each.py '"$TESTNET_WWW $PL_PORT"' www.test:'"$PL_PORT"' 3 direct
		python3 /nwt/each.py '"$NW_GATEWAY"' 3128 www.test:'"$PL_PORT"' 2')
	run run_job "$b" "$id"
	assert_success
	pl_one_origin_conn 5
	assert_clean "$id"
}
