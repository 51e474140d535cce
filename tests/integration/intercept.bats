#!/usr/bin/env bats
# The server name inside explicit CONNECT tunnels, from inside real runc
# containers: a tunnel to an allowed host that carries a ClientHello for a
# name the job's list does not cover is closed, logged and counted, however
# the ClientHello is cut (whole, 1-byte TCP segments, two TLS records).
# The test internet's certificate names www.test and other.test alike, and
# www.test's nginx is the default server on its address, so without the
# check the denied name's handshake would complete.

load helpers
load http_helpers

nw_suite testnet unreachable

# The job side: tls NAME MODE opens a CONNECT tunnel to www.test:443, sends
# a ClientHello for NAME (MODE whole, bytes: one byte per TCP segment,
# records: the handshake in two TLS records), and prints
# TLS NAME MODE ok BODY | TLS NAME MODE closed | TLS NAME MODE ERR TEXT.
tls_py() {
	nw_tls_cut_py
	cat <<'PY'
import socket, ssl, sys, time
gw, ca, name, mode = sys.argv[1:5]
def run():
    s = socket.create_connection((gw, 3128), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"CONNECT www.test:443 HTTP/1.1\r\nHost: www.test:443\r\n\r\n")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        b = s.recv(1)
        if not b:
            return "closed"
        head += b
    if not head.startswith(b"HTTP/1.1 200"):
        return "ERR " + head.split(b"\r\n")[0].decode()
    return tls_cut(s, ca, name, mode, "www.test")
try:
    r = run()
except Exception as e:
    r = "ERR " + " ".join(str(e).split())
print("TLS", name, mode, r)
PY
}

tls_bundle() {
	local id=$1 domains=$2 script=$3 b
	b=$(http_bundle "$id" "$domains" "$script")
	tls_py >"$b/rootfs/nwt/tls.py"
	printf '%s\n' "$b"
}

@test "intercept: a CONNECT tunnel to an allowed host carrying a denied server name is closed, however the ClientHello is cut" {
	local id b log i m
	id=$(job_id sni)
	b=$(tls_bundle "$id" www.test '
		for m in whole bytes records; do
			python3 /nwt/tls.py '"$NW_GATEWAY"' /etc/netward-test-ca.pem www.test $m
			python3 /nwt/tls.py '"$NW_GATEWAY"' /etc/netward-test-ca.pem other.test $m
		done
		echo FETCHED
		exec sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/sni.out"
	wait_for_text "$NW_TMP/sni.out" FETCHED 60
	output=$(cat "$NW_TMP/sni.out")
	echo "$output" >&2
	for m in whole bytes records; do
		assert_line_has "TLS www.test $m ok" "hello from www.test"
		assert_line_has "TLS other.test $m closed" ""
	done
	log=$NW_STATE/jobs/$id/access.log
	for i in $(seq 1 50); do
		[ "$(grep -c 'TLS server name' "$log")" -ge 3 ] && break
		sleep 0.1
	done
	cat "$log" >&2
	[ "$(grep -F 'decision=deny' "$log" | grep -F 'method=CONNECT' |
		grep -cF "the TLS server name 'other.test' is not in this job")" -eq 3 ]
	[ "$(grep -F 'decision=allow' "$log" | grep -cF 'host=www.test')" -ge 3 ]
	wait_stats "$id" '.requests_denied >= 3'
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
}

@test "intercept: a tunnel whose first bytes are not TLS, or a plain curl through the proxy, still works" {
	local id b
	id=$(job_id notls)
	b=$(http_bundle "$id" www.test '
		r https://www.test/
		r https://other.test/
		python3 - <<PY
import socket
s = socket.create_connection(("'"$NW_GATEWAY"'", 3128), timeout=10)
s.sendall(b"CONNECT www.test:80 HTTP/1.1\r\nHost: www.test:80\r\n\r\n")
head = b""
while not head.endswith(b"\r\n\r\n"):
    head += s.recv(1)
s.sendall(b"GET / HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n")
got = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
print("PLAIN", head.split(b"\r\n")[0].decode(), got.split(b"\r\n\r\n", 1)[-1].decode().strip())
PY')
	write_node_config "$NW_CONFIG" '.connect_ports = [443, 80]'
	run run_job "$b" "$id"
	assert_success
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_refused_tunnel https://other.test/ "allowlist"
	assert_line_has "PLAIN HTTP/1.1 200" "hello from www.test"
	assert_clean "$id"
}

@test "intercept: openssl s_client through the proxy: an allowed server name completes, a denied one is cut off" {
	local id b
	id=$(job_id sclient)
	b=$(http_bundle "$id" www.test '
		for n in www.test other.test; do
			out=$(printf "GET / HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n" |
				timeout 15 openssl s_client -quiet -verify_return_error \
				-CAfile /etc/netward-test-ca.pem -proxy '"$NW_GATEWAY"':3128 \
				-connect www.test:443 -servername $n 2>&1)
			echo "SCLIENT $n rc=$? $(printf "%s" "$out" | tr "\r\n" "  ")"
		done')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "SCLIENT www.test rc=0" "hello from www.test"
	assert_line_has "SCLIENT other.test rc=1" ""
	[ -z "$(grep '^SCLIENT other.test' <<<"$output" | grep -F 'hello from')" ]
	assert_clean "$id"
}
