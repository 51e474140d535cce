# shellcheck shell=bash
# shellcheck disable=SC2154
# For bypass.bats (and faults.bats): the attacker's side. Loaded after
# helpers.bash and http_helpers.bash.
#
# Servers of this suite, all inside the test internet's namespace and all
# logging what reached them, so that a test can show an attack never arrived:
#   - a DNS responder on $BP_DNS (198.18.0.3, an address this suite adds to
#     the test internet and removes) for names the shared dnsmasq does not
#     know: CGNAT, documentation, IPv6 special ranges, an alias of api.test,
#     and rebind.test, whose A answer alternates 198.18.0.10 / 127.0.0.1
#     with TTL 0;
#   - an echo origin on www.test:$BP_ECHO_PORT answering each request with
#     the request line and headers it got (and logging them);
#   - a TCP sink on www.test:$BP_SINK_PORT and a UDP sink on the same port,
#     logging every connection and datagram.

BP_LIB=$NW_ROOT/tests/lib
BP_DNS=198.18.0.3
BP_ECHO_PORT=8082
BP_SINK_PORT=9999
BP_SRV=$TESTNET_DIR/bypass
# The test internet's side of its veth (testnet.sh env does not export it).
BP_NS_IF=nwt-inet

bp_in_ns() { ip netns exec "$TESTNET_NS" "$@"; }

bp_records() {
	cat <<-EOF
		www.test A $TESTNET_WWW
		other.test A $TESTNET_OTHER
		api.test A $TESTNET_API
		apialias.test A $TESTNET_API
		cgnat.test A 100.64.0.1
		docs.test A 192.0.2.1
		zero.test A 0.0.0.0
		hostself.test A $TESTNET_HOST_ADDR
		bcast.test A 255.255.255.255
		ula.test AAAA fd00::1
		mapped.test AAAA ::ffff:127.0.0.1
		mappedpriv.test AAAA ::ffff:10.99.0.1
		v6loop.test AAAA ::1
		v6ll.test AAAA fe80::1
		mix6.test A $TESTNET_WWW
		mix6.test AAAA ::1
		rebind.test A-ALT $TESTNET_WWW,127.0.0.1
		longttl.test A $TESTNET_WWW 86400
	EOF
}

# Starts one server in the test internet's namespace, detached from bats
# (no inherited descriptor: bats waits on fd 3).
bp_spawn() {
	local name=$1
	shift
	testnet_spawn "$BP_SRV/$name.out" "$BP_SRV/$name.pid" python3 "$BP_LIB/bypass-servers.py" "$@"
}

bp_alive() { pidfile_alive "$BP_SRV/$1.pid"; }

# Brings the suite's servers up (again, when the test internet was rebuilt
# under us, which takes them down).
bp_servers_up() {
	mkdir -p "$BP_SRV"
	if ! bp_in_ns ip -4 addr show dev "$BP_NS_IF" 2>/dev/null | grep -qF " $BP_DNS/"; then
		bp_in_ns ip addr add "$BP_DNS/32" dev "$BP_NS_IF"
	fi
	bp_records >"$BP_SRV/records"
	bp_alive dns || bp_spawn dns dns --bind "$BP_DNS" --records "$BP_SRV/records" --log "$BP_SRV/dns.log"
	bp_alive echo || bp_spawn echo echo --bind "$TESTNET_WWW" --port "$BP_ECHO_PORT" --log "$BP_SRV/echo.log"
	bp_alive sink || bp_spawn sink sink --bind "$TESTNET_WWW" --port "$BP_SINK_PORT" --log "$BP_SRV/sink.log"
	bp_alive usink || bp_spawn usink sink --udp --bind "$TESTNET_WWW" --port "$BP_SINK_PORT" --log "$BP_SRV/usink.log"
	local _
	for _ in $(seq 1 50); do
		if curl --noproxy '*' -fsS -m 1 -o /dev/null "http://$TESTNET_WWW:$BP_ECHO_PORT/" 2>/dev/null &&
			busybox nslookup apialias.test "$BP_DNS" 2>/dev/null | grep -qF "$TESTNET_API" &&
			curl --noproxy '*' -sS -m 1 -o /dev/null "http://$TESTNET_WWW:$BP_SINK_PORT/" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "bypass servers did not come up:" >&2
	tail -n 5 "$BP_SRV"/*.out >&2
	return 1
}

bp_servers_down() {
	local n pid
	for n in dns echo sink usink; do
		pid=$(cat "$BP_SRV/$n.pid" 2>/dev/null) || continue
		kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
	done
	# The namespace may be gone already (the suite's own testnet down).
	bp_in_ns ip addr del "$BP_DNS/32" dev "$BP_NS_IF" 2>/dev/null || true
	rm -rf "$BP_SRV"
}

# Before each test: the servers' logs start empty, so what a test finds
# there is that test's.
bp_reset_logs() {
	local f
	for f in dns echo sink usink; do : >"$BP_SRV/$f.log"; done
}

# bp_bundle ID DOMAINS SCRIPT: http_bundle plus the attack tool as
# /nwt/attack.py and the shell function `a` calling it.
bp_bundle() {
	local id=$1 domains=$2 script=$3 b
	b=$(http_bundle "$id" "$domains" "a() { python3 /nwt/attack.py \"\$@\"; }
$script")
	install -m 0755 "$BP_LIB/bypass-attack.py" "$b/rootfs/nwt/attack.py"
	printf '%s\n' "$b"
}

# bp_caps BUNDLE CAP...: gives the job's process these capabilities.
bp_caps() {
	local b=$1 caps
	shift
	caps=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	bundle_jq "$b" --argjson c "$caps" '.process.capabilities |= with_entries(
		if .key == "inheritable" then . else .value = ((.value // []) + $c | unique) end)'
}

# bp_node_dns: the node config asks this suite's DNS responder.
bp_node_dns() {
	write_node_config "$NW_CONFIG" --arg d "$BP_DNS" '.dns_servers = [$d]'" ${1:+| $1}"
}

# bp_assert_untouched NAME...: these servers' logs are empty since the
# test began: not one connection, datagram or query reached them.
bp_assert_untouched() {
	bp_logs_empty "$BP_SRV" "the" server "$@"
}

# bp_logs_empty DIR WHOSE WHAT NAME...: DIR/NAME.log is empty for each NAME;
# says which one the attack reached otherwise.
bp_logs_empty() {
	local dir=$1 whose=$2 what=$3 n bad=0
	shift 3
	for n in "$@"; do
		if [ -s "$dir/$n.log" ]; then
			echo "the attack reached $whose $n $what:" >&2
			cat "$dir/$n.log" >&2
			bad=1
		fi
	done
	return "$bad"
}

# bp_mark: remembers how far the test internet's own logs (nginx's access
# log, dnsmasq's query log) go, so bp_assert_no_job_source reads only what
# this test added.
bp_mark() {
	local f
	for f in nginx/access.log log/dnsmasq.log; do
		stat -c %s "$TESTNET_DIR/$f" 2>/dev/null || echo 0
	done >"$NW_TMP/bp-mark"
}

# bp_assert_no_job_source: since bp_mark, no line of those logs names an
# address of the job pool: nothing came from a job but through its proxy
# (whose connections come from the host's address).
bp_assert_no_job_source() {
	local f n bad=0
	local -a marks
	mapfile -t marks <"$NW_TMP/bp-mark"
	n=0
	for f in nginx/access.log log/dnsmasq.log; do
		if tail -c +"$((marks[n] + 1))" "$TESTNET_DIR/$f" 2>/dev/null | grep -qF -- "$NW_SUBNET_PREFIX"; then
			echo "a job address reached the test internet directly ($f):" >&2
			tail -c +"$((marks[n] + 1))" "$TESTNET_DIR/$f" | grep -F -- "$NW_SUBNET_PREFIX" >&2
			bad=1
		fi
		n=$((n + 1))
	done
	return "$bad"
}

# bp_send_refused LABEL CODE TEXT: the raw request LABEL got status CODE and
# TEXT in its body or X-Netward-Reason.
bp_send_refused() {
	local label=$1 code=$2 text=$3
	assert_line_has "SEND $label STATUS $code" ""
	if ! grep -E "^(BODY|REASON) $label " <<<"$output" | grep -qF -- "$text"; then
		echo "request $label: no '$text' in its body or reason:" >&2
		grep -E "^(SEND|BODY|REASON) $label " <<<"$output" >&2
		return 1
	fi
}

# bp_host_sink NAME BIND PORT [--udp]: a logging sink on the host itself
# (not in the test internet), for host services a job must not reach; its
# log is $NW_TMP/NAME.log, empty until something arrives. Teardown stops it.
bp_host_sink() {
	local name=$1 bind=$2 port=$3 proto=t _
	shift 3
	[ "${1:-}" = --udp ] && proto=u
	: >"$NW_TMP/$name.log"
	python3 "$BP_LIB/bypass-servers.py" sink --bind "$bind" --port "$port" \
		--log "$NW_TMP/$name.log" "$@" </dev/null >"$NW_TMP/$name.out" 2>&1 3>&- &
	echo "$!" >>"$NW_TMP/pids"
	for _ in $(seq 1 50); do
		ss -Hn"${proto}"l "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "host sink $name on $bind:$port did not start:" >&2
	cat "$NW_TMP/$name.out" >&2
	return 1
}

# bp_assert_host_untouched NAME...: those host sinks saw nothing.
bp_assert_host_untouched() {
	bp_logs_empty "$NW_TMP" "the host's" listener "$@"
}
