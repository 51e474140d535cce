#!/usr/bin/env bats
# How bytes flow through an http job's proxy, from inside real runc
# containers: request bodies never outlive their request, and bulk
# transfers move at full speed, plain and through CONNECT, whatever the
# pace of either peer. The origins are tests/lib/flow-servers.py in the
# test internet's namespace; the job's client is tests/lib/flow-client.py.

load helpers
load http_helpers

PF_EARLY_PORT=8090 # www.test: answers before reading the body
PF_RAW_PORT=8091   # other.test: logs every byte it gets
PF_BULK_PORT=8092  # www.test: bulk downloads and uploads
PF_SRV=$TESTNET_DIR/proxyflow

pf_spawn() {
	local name=$1
	shift
	testnet_spawn "$PF_SRV/$name.out" "$PF_SRV/$name.pid" python3 "$NW_ROOT/tests/lib/flow-servers.py" "$@"
}

pf_alive() { pidfile_alive "$PF_SRV/$1.pid"; }

pf_servers_up() {
	mkdir -p "$PF_SRV"
	pf_alive early || pf_spawn early early --bind "$TESTNET_WWW" --port "$PF_EARLY_PORT" --delay 0.3 --hold 10
	pf_alive raw || pf_spawn raw raw --bind "$TESTNET_OTHER" --port "$PF_RAW_PORT" --log "$PF_SRV/raw.log"
	pf_alive bulk || pf_spawn bulk bulk --bind "$TESTNET_WWW" --port "$PF_BULK_PORT"
	local _ a
	for _ in $(seq 1 50); do
		a=0
		for hp in "$TESTNET_WWW:$PF_EARLY_PORT" "$TESTNET_OTHER:$PF_RAW_PORT" "$TESTNET_WWW:$PF_BULK_PORT"; do
			ip netns exec "$TESTNET_NS" bash -c "exec 3<>/dev/tcp/${hp%:*}/${hp#*:}" 2>/dev/null && a=$((a + 1))
		done
		[ "$a" = 3 ] && return 0
		sleep 0.1
	done
	echo "flow servers did not come up:" >&2
	tail -n 5 "$PF_SRV"/*.out >&2
	return 1
}

pf_servers_down() {
	local n pid
	for n in early raw bulk; do
		pid=$(cat "$PF_SRV/$n.pid" 2>/dev/null) || continue
		kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
	done
	rm -rf "$PF_SRV"
}

# pf_bundle ID SCRIPT: an http job for www.test and other.test with the
# flow client as the shell function `fc`.
pf_bundle() {
	local b
	b=$(http_bundle "$1" www.test,other.test "fc() { python3 /nwt/flow-client.py \"\$@\"; }
$2")
	install -m 0755 "$NW_ROOT/tests/lib/flow-client.py" "$b/rootfs/nwt/flow-client.py"
	printf '%s\n' "$b"
}

setup_file() {
	nw_setup_file
	nw_ensure_testnet
	pf_servers_up
}
teardown_file() {
	pf_servers_down
	nw_teardown_file
}
setup() {
	nw_ensure_testnet
	pf_servers_up
	: >"$PF_SRV/raw.log"
	nw_setup
	# Bulk tests measure the proxy, not the limiter.
	write_node_config "$NW_CONFIG" '.rate_limit_bps = 100000000000'
}
teardown() {
	nw_teardown
}

@test "proxyflow: a request body the origin did not read never reaches the next request's host" {
	local id b sizes
	# The origin answers 0.3 s after the head, reading nothing more with a
	# 4 KiB receive buffer; what does not fit the kernel's buffers stays
	# in the proxy's. The sizes step through that boundary (the proxy's
	# request buffer, PROXY_BUF in hook/proxy_int.h, is 48 KiB) so that in
	# some the body's forged tail is still in the proxy when the answer
	# is out and the client sends its next request, to other.test.
	sizes=$(seq 16384 8192 327680 | tr '\n' ' ')
	id=$(job_id leftover)
	b=$(pf_bundle "$id" '
		for n in '"$sizes"'; do
			echo "SIZE $n $(fc leftover '"$NW_GATEWAY"':3128 www.test:'"$PF_EARLY_PORT"' other.test:'"$PF_RAW_PORT"' $n | tr "\n" " ")"
		done')
	run run_job "$b" "$id"
	assert_success
	echo "# kept: $(grep -c 'SECOND HTTP/1.1 200' <<<"$output"), closed: $(grep -c 'SECOND closed' <<<"$output")" >&3
	# Every POST was answered by the early origin.
	[ "$(grep -c '^SIZE .* FIRST HTTP/1.1 200 OK' <<<"$output")" = "$(wc -w <<<"$sizes")" ] || {
		printf '%s\n' "$output" >&2
		false
	}
	# other.test saw only the job's own GETs, never a byte of a body.
	if grep -E 'smuggled|forged|AAAA' "$PF_SRV/raw.log" >/dev/null; then
		echo "a body's tail reached other.test:" >&2
		grep -E 'smuggled|forged|AAAA' "$PF_SRV/raw.log" | cut -c1-300 >&2
		false
	fi
	if grep '^DATA' "$PF_SRV/raw.log" | grep -v "^DATA b'GET /next HTTP/1.1" >/dev/null; then
		echo "other.test got something other than the job's GET:" >&2
		cut -c1-300 "$PF_SRV/raw.log" >&2
		false
	fi
	assert_clean "$id"
}

@test "proxyflow: large downloads and uploads move whole, plain and through CONNECT, fast and slow peers" {
	local id b big=$((128 << 20)) small=$((16 << 20)) o="www.test:$PF_BULK_PORT" p="$NW_GATEWAY:3128"
	write_node_config "$NW_CONFIG" '.rate_limit_bps = 100000000000 | .connect_ports = [443, '"$PF_BULK_PORT"']'
	id=$(job_id bulk)
	# Each read waits at most 30 s (--timeout): a transfer that stalls
	# fails there, however long the whole takes on this machine.
	b=$(pf_bundle "$id" '
		for via in "" --connect; do
			echo "CASE get big $via $(fc get '"$p $o $big"' $via --timeout 30)"
			echo "CASE put big $via $(fc put '"$p $o $big"' $via --timeout 30 | tr "\n" " ")"
			echo "CASE get slowclient $via $(fc get '"$p $o $small"' $via --pace slow --rcvbuf 4096 --timeout 30)"
			echo "CASE put slowclient $via $(fc put '"$p $o $small"' $via --pace slow --sndbuf 4096 --timeout 30 | tr "\n" " ")"
			echo "CASE get burstyorigin $via $(fc get '"$p $o $small"' $via --opace bursty --timeout 30)"
			echo "CASE put burstyorigin $via $(fc put '"$p $o $small"' $via --opace bursty --timeout 30 | tr "\n" " ")"
		done')
	NW_JOB_TIMEOUT=300 run run_job "$b" "$id"
	assert_success
	local n=0 line size sent
	while read -r line; do
		n=$((n + 1))
		case "$line" in
		"CASE get big "* | "CASE put big "*) size=$big ;;
		*) size=$small ;;
		esac
		case "$line" in
		"CASE get "*) [[ $line == *"GET $size ok" ]] ;;
		"CASE put "*)
			sent=$(sed -n 's/.*PUTSHA \([0-9a-f]*\).*/\1/p' <<<"$line")
			[ -n "$sent" ] && [[ $line == *"PUT received $size $sent "* ]]
			;;
		esac || {
			echo "a transfer did not arrive whole: $line" >&2
			printf '%s\n' "$output" >&2
			return 1
		}
	done < <(grep '^CASE ' <<<"$output")
	[ "$n" = 12 ] || {
		echo "expected 12 transfers, saw $n:" >&2
		printf '%s\n' "$output" >&2
		false
	}
	assert_clean "$id"
}
