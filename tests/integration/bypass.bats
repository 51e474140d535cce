#!/usr/bin/env bats
# Attacks on netward's http mode from inside real runc containers: a job
# that tries to get out other than through its proxy, to fool the proxy's
# policy, to desynchronise or exhaust it, or to reach what no job may reach;
# and forged source addresses from a full job, the one mode that routes.
# Each case asserts that the attack failed, that whatever it aimed at never
# saw it (the servers of bypass_helpers.bash and the test internet's own logs
# record every arrival), and, where the proxy decided, that the decision was
# logged. Firewall drops are not logged by netward: for those, the target's
# silence is the evidence.

load helpers
load http_helpers
load bypass_helpers
load intercept_helpers

setup_file() {
	nw_setup_file
	nw_ensure_testnet
	bp_servers_up
}
teardown_file() {
	bp_servers_down
	nw_teardown_file
}
setup() {
	nw_ensure_testnet
	bp_servers_up
	bp_reset_logs
	nw_setup
	bp_mark
}
teardown() {
	nw_teardown
	nw_unreachable_cleanup
	if [ -f "$NW_TMP/routes6" ]; then
		while read -r r; do ip -6 route del unreachable "$r" 2>/dev/null || true; done <"$NW_TMP/routes6"
	fi
}

MYADDR='me=$(ip -4 -o addr show eth0 | awk "{print \$4}" | cut -d/ -f1); echo "ME $me"'

# bp_refused_any CODES LABEL...: each raw request LABEL got one of the
# statuses CODES (an ERE alternation, 403|502) with netward's text in its
# body.
bp_refused_any() {
	local codes=$1 l
	shift
	for l in "$@"; do
		if ! grep -qE "^SEND $l STATUS ($codes)$" <<<"$output"; then
			echo "request $l was not refused:" >&2
			grep -E "^(SEND|BODY|REASON) $l " <<<"$output" >&2
			return 1
		fi
		assert_line_has "BODY $l " "netward: " || return 1
	done
}

# bp_direct_probes: the job's direct tries both interception settings make,
# each in the background (the caller waits): TCP to the test internet's web
# ports and the sink, UDP to the sinks, DNS to every resolver by UDP and TCP.
bp_direct_probes() {
	echo '
		a tcp '"$TESTNET_WWW"' 80 &
		a tcp '"$TESTNET_WWW"' 443 &
		a tcp '"$TESTNET_WWW $BP_SINK_PORT"' &
		a tcp '"$TESTNET_OTHER"' 80 &
		a tcp '"$TESTNET_FAR"' 80 &
		a udp '"$TESTNET_WWW $BP_SINK_PORT"' &
		a udp '"$TESTNET_FAR $BP_SINK_PORT"' &
		a dns '"$TESTNET_DNS"' www.test udp &
		a dns '"$TESTNET_DNS"' www.test tcp &
		a dns '"$BP_DNS"' www.test udp &
		a dns '"$NW_GATEWAY"' www.test udp &
		a dns '"$NW_GATEWAY"' www.test tcp &
'
}

@test "bypass: interception off: no direct TCP, UDP or DNS to the test internet or the gateway" {
	local id b
	write_node_config "$NW_CONFIG" '.intercept = false'
	id=$(job_id direct)
	b=$(bp_bundle "$id" www.test "$(bp_direct_probes)"'
		wait
		r http://www.test/')
	run run_job "$b" "$id"
	assert_success
	local t
	for t in "$TESTNET_WWW:80" "$TESTNET_WWW:443" "$TESTNET_WWW:$BP_SINK_PORT" "$TESTNET_OTHER:80" "$TESTNET_FAR:80"; do
		assert_output_has "TCP $t closed"
	done
	assert_output_has "UDP $TESTNET_WWW:$BP_SINK_PORT sent noreply"
	assert_output_has "UDP $TESTNET_FAR:$BP_SINK_PORT sent noreply"
	for t in "$TESTNET_DNS www.test udp" "$TESTNET_DNS www.test tcp" "$BP_DNS www.test udp" \
		"$NW_GATEWAY www.test udp" "$NW_GATEWAY www.test tcp"; do
		assert_output_has "DNS $t fail"
	done
	assert_output_lacks " answered "
	# Nothing arrived anywhere: sinks, resolvers, nginx.
	bp_assert_untouched sink usink dns
	bp_assert_no_job_source
	# The job had its proxy all along, and the proxy logged its request.
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	nw_logged "host=www.test" "decision=allow"
	assert_clean "$id"
}

@test "bypass: interception on: direct TCP on the allowed ports lands on the proxy, never on its target; no UDP; DNS only from the gateway" {
	local id b t
	id=$(job_id directon)
	b=$(bp_bundle "$id" www.test "$(bp_direct_probes)"'
		a tcp '"$TESTNET_DNS"' 53 &
		a dns '"$NW_GATEWAY"' other.test udp &
		wait
		r http://www.test/')
	run run_job "$b" "$id"
	assert_success
	# Port 53 is in neither http_ports nor connect_ports: refused.
	assert_output_has "TCP $TESTNET_DNS:53 closed"
	assert_output_has "UDP $TESTNET_WWW:$BP_SINK_PORT sent noreply"
	assert_output_has "UDP $TESTNET_FAR:$BP_SINK_PORT sent noreply"
	for t in "$TESTNET_DNS www.test udp" "$TESTNET_DNS www.test tcp" "$BP_DNS www.test udp"; do
		assert_output_has "DNS $t fail"
	done
	# The gateway's DNS answers the listed name, and only that.
	assert_output_has "DNS $NW_GATEWAY www.test udp answered 1 records"
	assert_output_has "DNS $NW_GATEWAY www.test tcp answered 1 records"
	assert_output_has "DNS $NW_GATEWAY other.test udp answered 0 records"
	# The TCP connections were taken by the proxy, which had nothing to
	# judge and forwarded nothing: the sink, the resolvers and nginx saw
	# no job.
	bp_assert_untouched sink usink dns
	bp_assert_no_job_source
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	nw_logged "host=www.test" "decision=allow"
	assert_clean "$id"
}

@test "bypass: what interception opens: the intercept port itself, other hosts' addresses, the node's, loops to the proxy, non-HTTP bytes" {
	local id b port
	port=$(free_port)
	bp_host_sink hostsvc 0.0.0.0 "$port"
	id=$(job_id interopen)
	b=$(bp_bundle "$id" www.test '
		. /nwt/ic.sh
		# The intercept listener, asked directly (no redirect behind it).
		a send direct1 '"$NW_GATEWAY $NW_INTERCEPT_PORT"' "GET / HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n"
		a send direct2 '"$NW_GATEWAY $NW_INTERCEPT_PORT"' "GET / HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n"
		a send direct3 '"$NW_GATEWAY $NW_INTERCEPT_PORT"' "GET http://other.test/ HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n"
		# An allowed name sent to another server, and to the node itself:
		# the proxy connects to the name, never to that address.
		a send elsewhere '"$TESTNET_OTHER"' 80 "GET / HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n"
		hello '"$TESTNET_OTHER"' 443 www.test whole
		a send nodeaddr '"$TESTNET_HOST_ADDR $port"' "GET / HTTP/1.1\r\nHost: www.test:'"$port"'\r\nConnection: close\r\n\r\n"
		hello '"$TESTNET_HOST_ADDR $port"' www.test whole
		# A denied name sent to the address and port of an allowed server.
		a send denied '"$TESTNET_WWW $BP_SINK_PORT"' "GET / HTTP/1.1\r\nHost: other.test:'"$BP_SINK_PORT"'\r\nConnection: close\r\n\r\n"
		# Loops back to the proxy and the node, each on the port its Host
		# names (a Host port unlike the port connected to is refused first).
		a send loop1 '"$TESTNET_WWW"' 3128 "GET / HTTP/1.1\r\nHost: '"$NW_GATEWAY"':3128\r\nConnection: close\r\n\r\n"
		a send loop2 '"$TESTNET_WWW $NW_INTERCEPT_PORT"' "GET / HTTP/1.1\r\nHost: '"$NW_GATEWAY:$NW_INTERCEPT_PORT"'\r\nConnection: close\r\n\r\n"
		a send loop3 '"$TESTNET_WWW $port"' "GET / HTTP/1.1\r\nHost: localhost:'"$port"'\r\nConnection: close\r\n\r\n"
		a send loop4 '"$TESTNET_WWW $port"' "GET / HTTP/1.1\r\nHost: 127.0.0.1:'"$port"'\r\nConnection: close\r\n\r\n"
		a send loop5 '"$TESTNET_WWW"' 80 "GET / HTTP/1.1\r\nHost: '"$NW_GATEWAY"':80\r\nConnection: close\r\n\r\n"
		# Neither TLS nor HTTP.
		a send junk '"$TESTNET_WWW $BP_SINK_PORT"' "SSH-2.0-OpenSSH_9.2\r\n"
		r http://www.test/')
	ic_install "$b/rootfs"
	run run_job "$b" "$id"
	assert_success
	# The intercept port serves only connections redirected to it.
	local l
	for l in direct1 direct2 direct3; do
		if grep -qE "^SEND $l STATUS 200$" <<<"$output"; then
			echo "the intercept port served a connection made to it directly ($l)" >&2
			grep -E "^(SEND|BODY) $l " <<<"$output" >&2
			false
		fi
	done
	assert_line_has "SEND elsewhere STATUS 200" ""
	assert_line_has "BODY elsewhere " "hello from www.test"
	assert_line_has "HELLO www.test $TESTNET_OTHER:443 whole ok" "hello from www.test"
	# www.test has nothing on that port: 502 from the proxy, and the
	# node's own service saw nothing.
	grep -qE "^SEND nodeaddr STATUS (502|504)$" <<<"$output"
	assert_line_has "HELLO www.test $TESTNET_HOST_ADDR:$port whole closed" ""
	bp_assert_host_untouched hostsvc
	bp_send_refused denied 403 other.test
	bp_refused_any '403|502' loop1 loop2 loop3 loop4 loop5
	# Closed unanswered (or, read as a malformed request, 400): never
	# passed on.
	grep -qE "^SEND junk STATUS (none|400)$" <<<"$output"
	assert_output_lacks "hello from other.test"
	bp_assert_untouched sink usink
	bp_assert_no_job_source
	nw_logged "host=other.test" "decision=deny"
	nw_logged "host=$NW_GATEWAY" "decision=deny"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "bypass: DNS tunnelling through the gateway: names outside the list never leave the node, whatever their type or transport" {
	local id b tok n
	# The node asks this suite's DNS responder, which logs every query.
	bp_node_dns
	id=$(job_id dnstunnel)
	b=$(bp_bundle "$id" www.test,longttl.test '
		python3 /nwt/dns-probe.py rand '"$NW_GATEWAY"' exfil.test 60
		python3 /nwt/dns-probe.py rand '"$NW_GATEWAY"' other.test 30
		python3 /nwt/dns-probe.py rand '"$NW_GATEWAY"' www.test 30
		python3 /nwt/dns-probe.py q '"$NW_GATEWAY"' www.test A udp
		python3 /nwt/dns-probe.py q '"$NW_GATEWAY"' longttl.test A udp')
	install -m 0755 "$NW_ROOT/tests/lib/dns-probe.py" "$b/rootfs/nwt/dns-probe.py"
	run run_job "$b" "$id"
	assert_success
	n=$(grep -cE '^RAND [0-9a-f]{16}\.(exfil|other|www)\.test [A-Z]+ (udp|tcp) rcode=3 answers=0$' <<<"$output")
	[ "$n" -eq 120 ] || {
		echo "expected 120 NXDOMAIN answers, got $n" >&2
		grep '^RAND' <<<"$output" | grep -v rcode=3 >&2
		false
	}
	# The listed name was asked of the node's resolver: its log works.
	assert_output_has "Q www.test A udp rcode=0 answers=1"
	grep -q "QUERY www.test 1" "$BP_SRV/dns.log"
	# A day's TTL upstream reaches the job capped (the proxy keeps an
	# answer 300 s at most: CACHE_TTL_MAX in hook/resolve.c).
	local cap ttl
	cap=$(sed -n 's/^#define CACHE_TTL_MAX[[:space:]]*\([0-9]*\).*/\1/p' "$NW_ROOT/hook/resolve.c")
	ttl=$(sed -n 's/^Q longttl.test A udp rcode=0 answers=1 types=1 ttls=\([0-9]*\)$/\1/p' <<<"$output")
	grep -q "QUERY longttl.test 1" "$BP_SRV/dns.log"
	[ -n "$cap" ] && [ -n "$ttl" ] && [ "$ttl" -gt 0 ] && [ "$ttl" -le "$cap" ] || {
		echo "longttl.test (TTL 86400 upstream) reached the job with TTL '${ttl:-none}', cap ${cap:-?}" >&2
		grep '^Q longttl' <<<"$output" >&2
		false
	}
	for tok in $(sed -n 's/^RAND \([0-9a-f]\{16\}\)\..*/\1/p' <<<"$output"); do
		if grep -F "$tok" "$BP_SRV/dns.log"; then
			echo "a tunnelled query left the node" >&2
			false
		fi
	done
	bp_assert_no_job_source
	assert_clean "$id"
}

@test "bypass: ping, raw and packet sockets (CAP_NET_RAW), own and spoofed sources" {
	local id b
	id=$(job_id raw)
	b=$(bp_bundle "$id" www.test "$MYADDR"'
		for d in '"$TESTNET_WWW $NW_GATEWAY $TESTNET_DNS"'; do
			if /busybox ping -c 1 -W 2 $d >/dev/null 2>&1; then echo "PING $d ok"; else echo "PING $d fail"; fi
		done
		a packet eth0 '"$NW_GATEWAY $TESTNET_WWW"' $me '"$BP_SINK_PORT"'
		a packet eth0 '"$NW_GATEWAY $TESTNET_WWW"' 198.18.0.50 '"$BP_SINK_PORT"'
		a packet eth0 '"$NW_GATEWAY $TESTNET_WWW"' '"$NW_GATEWAY $BP_SINK_PORT"'
		a packet eth0 '"$NW_GATEWAY $TESTNET_WWW"' 10.213.0.77 '"$BP_SINK_PORT"'
		a rawip '"$TESTNET_WWW"' $me '"$BP_SINK_PORT"'
		a rawip '"$TESTNET_WWW"' 198.18.0.50 '"$BP_SINK_PORT"'
		sleep 1
		r http://www.test/')
	patch_bundle "$b"
	bp_caps "$b" CAP_NET_RAW
	run runc_run "$b" "$id"
	assert_success
	local d
	for d in "$TESTNET_WWW" "$NW_GATEWAY" "$TESTNET_DNS"; do
		assert_output_has "PING $d fail"
	done
	# The sockets existed and sent: what stopped them was the wiring.
	assert_output_has "PACKET $TESTNET_WWW 198.18.0.50 sent"
	assert_output_lacks "PACKET $TESTNET_WWW 198.18.0.50 error"
	assert_output_has "RAWIP $TESTNET_WWW 198.18.0.50 sent"
	assert_output_lacks "ping: permission denied"
	bp_assert_untouched usink sink
	bp_assert_no_job_source
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	nw_logged "host=www.test" "decision=allow"
	assert_clean "$id"
}

@test "bypass: a full job's forged sources never leave the node: another job's, an unused one, one outside the subnet" {
	local v a bv ba va
	v=$(job_id spoofv)
	a=$(job_id spoofa)
	bv=$(bp_bundle "$v" www.test "$MYADDR"'
		exec sleep 60')
	patch_bundle "$bv"
	run_detached "$bv" "$v" "$NW_TMP/v.out"
	wait_for_text "$NW_TMP/v.out" "ME "
	va=$(sed -n 's/^ME //p' "$NW_TMP/v.out")
	[[ "$va" == "$NW_SUBNET_PREFIX"* ]]
	ba=$(bp_bundle "$a" www.test "$MYADDR"'
		a udp '"$TESTNET_WWW $BP_SINK_PORT"'
		a rawip '"$TESTNET_WWW $va $BP_SINK_PORT"'
		a rawip '"$TESTNET_WWW ${NW_SUBNET_PREFIX}250.251 $BP_SINK_PORT"'
		a rawip '"$TESTNET_WWW"' 198.18.0.50 '"$BP_SINK_PORT"'
		sleep 1')
	bundle_annotate "$ba" io.netward.network full
	bundle_jq "$ba" 'del(.annotations["io.netward.domains"])'
	patch_bundle "$ba"
	bp_caps "$ba" CAP_NET_RAW
	run runc_run "$ba" "$a"
	assert_success
	assert_output_has "RAWIP $TESTNET_WWW $va sent"
	assert_output_has "RAWIP $TESTNET_WWW ${NW_SUBNET_PREFIX}250.251 sent"
	assert_output_has "RAWIP $TESTNET_WWW 198.18.0.50 sent"
	# The job's own datagram got out (masqueraded): the path was open...
	if ! grep -q "nwt-udp-probe" "$BP_SRV/usink.log"; then
		echo "the full job's own datagram never arrived:" >&2
		cat "$BP_SRV/usink.log" >&2
		false
	fi
	# ...and no forged one went with it.
	if grep "nwt-spoof-probe" "$BP_SRV/usink.log" >&2; then
		echo "a datagram with a forged source reached the test internet" >&2
		false
	fi
	kill_job "$v"
	runc delete --force "$v"
	eventually_clean "$v" 10
	assert_clean "$a"
}

@test "bypass: CAP_NET_ADMIN inside: new addresses, routes, nft flush ruleset, then again" {
	local id b
	id=$(job_id admin)
	b=$(bp_bundle "$id" www.test "$MYADDR"'
		ip addr add 198.18.0.50/32 dev eth0 && echo "ADDR 198.18.0.50 added"
		ip addr add 10.213.250.250/32 dev eth0 && echo "ADDR 10.213.250.250 added"
		ip route replace 198.18.0.0/15 dev eth0 && echo "ROUTE onlink added"
		ip route replace default dev eth0 && echo "ROUTE default onlink"
		nft flush ruleset && echo "NFT flushed"
		ip link set eth0 promisc on && echo "PROMISC on"
		for src in "" $me 198.18.0.50 10.213.250.250; do
			a tcp '"$TESTNET_WWW $BP_SINK_PORT"' $src &
			a tcp '"$TESTNET_WWW"' 80 $src &
			a tcp '"$TESTNET_DNS"' 53 $src &
			a tcp '"$NW_GATEWAY"' 22 $src &
		done
		a udp '"$TESTNET_WWW $BP_SINK_PORT"' &
		a dns '"$TESTNET_DNS"' www.test udp &
		wait
		# Take the gateway address itself, then talk to the test internet.
		ip addr add '"$NW_GATEWAY"'/32 dev eth0 && echo "ADDR gateway added"
		a tcp '"$TESTNET_WWW $BP_SINK_PORT"' '"$NW_GATEWAY"'
		ip addr del '"$NW_GATEWAY"'/32 dev eth0
		r http://www.test/')
	patch_bundle "$b"
	bp_caps "$b" CAP_NET_ADMIN CAP_NET_RAW
	run runc_run "$b" "$id"
	assert_success
	# The changes took effect in the job's namespace...
	assert_output_has "ADDR 198.18.0.50 added"
	assert_output_has "ADDR 10.213.250.250 added"
	assert_output_has "NFT flushed"
	# ...and bought nothing: no forged or borrowed source connects, and
	# what the job's own address connects to on the allowed ports lands
	# on its proxy (the sink below saw nothing).
	if grep -E "^TCP .* from (198\.18\.0\.50|10\.213\.250\.250|${NW_GATEWAY//./\\.}) open" <<<"$output" ||
		grep -E "^TCP ($TESTNET_DNS:53|$NW_GATEWAY:22)( from [0-9.]+)? open" <<<"$output"; then
		echo "a connection got through" >&2
		false
	fi
	assert_output_has "UDP $TESTNET_WWW:$BP_SINK_PORT sent noreply"
	assert_output_has "DNS $TESTNET_DNS www.test udp fail"
	bp_assert_untouched sink usink
	bp_assert_no_job_source
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	nw_logged "host=www.test" "decision=allow"
	assert_clean "$id"
}

@test "bypass: IPv6 re-enabled inside (CAP_NET_ADMIN) reaches nothing: ff02::1, link-local, global" {
	local id b port
	[ -e /proc/net/if_inet6 ] || skip "this host has no IPv6 (nothing to re-enable)"
	port=$(free_port)
	bp_host_sink v6sink :: "$port"
	bp_host_sink v6usink :: "$port" --udp
	# Should the job's packets ever be routed, a global-looking destination
	# must die on this host, never leave it.
	if ip -6 route add unreachable 2001:db8:1::/64 2>/dev/null; then
		echo 2001:db8:1::/64 >>"$NW_TMP/routes6"
	fi
	id=$(job_id ipv6)
	b=$(bp_bundle "$id" www.test '
		echo "V6 before $(cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6 2>&1)"
		sysctl -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
			net.ipv6.conf.eth0.disable_ipv6=0 >/dev/null 2>&1
		echo "V6 after $(cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6 2>&1)"
		ip -6 addr add 2001:db8:1::2/64 dev eth0 nodad && echo "V6ADDR added"
		ip -6 route add default dev eth0 2>/dev/null
		sleep 2
		ip -6 addr show dev eth0 | sed "s/^/V6SHOW /"
		ll=$(a ll6 eth0 '"$NW_GATEWAY"')
		echo "GWLL $ll"
		# The job answers its own multicast ping: only other hosts count.
		mine=$(ip -6 -o addr show dev eth0 | awk "{print \$4}" | cut -d/ -f1 | tr "\n" "|")
		/busybox ping -6 -c 2 -W 2 ff02::1%eth0 2>&1 | sed -n "s/.*bytes from \([0-9a-f:]*[0-9a-f]\).*/\1/p" |
			grep -vxE "${mine%|}" | sed "s/^/PING6 ff02::1 answered by /"
		echo "PING6 ff02::1 done"
		if /busybox ping -6 -c 1 -W 2 "$ll%eth0" >/dev/null 2>&1; then
			echo "PING6 gateway answered"; else echo "PING6 gateway silent"; fi
		a tcp "$ll%eth0" '"$port"' &
		a udp "ff02::1%eth0" '"$port"' &
		a udp "$ll%eth0" '"$port"' &
		a tcp 2001:db8:1::1 '"$port"' &
		a tcp "fe80::1%eth0" '"$port"' &
		wait
		r http://www.test/')
	patch_bundle "$b"
	bp_caps "$b" CAP_NET_ADMIN CAP_NET_RAW
	bundle_jq "$b" '.linux.readonlyPaths -= ["/proc/sys"]'
	run runc_run "$b" "$id"
	assert_success
	# eth0 was born without IPv6 (the namespace's default), and the
	# attack is real: IPv6 came back on inside.
	assert_output_has "V6 before 1"
	assert_output_has "V6 after 0"
	assert_output_has "V6ADDR added"
	assert_output_has "PING6 ff02::1 done"
	assert_output_lacks "PING6 ff02::1 answered"
	assert_output_has "PING6 gateway silent"
	assert_output_lacks " open"
	assert_output_lacks "sent reply"
	bp_assert_host_untouched v6sink v6usink
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	nw_logged "host=www.test" "decision=allow"
	assert_clean "$id"
}

@test "bypass: host services: other gateway ports, the host's addresses, loopback, directly and via the proxy" {
	local id b port lport
	port=$(free_port)
	lport=$(free_port)
	bp_host_sink any 0.0.0.0 "$port"
	bp_host_sink anyu 0.0.0.0 "$port" --udp
	bp_host_sink loop 127.0.0.1 "$lport"
	# The listeners answer the host itself.
	curl --noproxy '*' -fsS -m 2 -o /dev/null "http://$TESTNET_HOST_ADDR:$port/"
	curl --noproxy '*' -fsS -m 2 -o /dev/null "http://127.0.0.1:$lport/"
	: >"$NW_TMP/any.log"
	: >"$NW_TMP/loop.log"
	id=$(job_id hostsvc)
	# The job lists the host's own test-internet address and a name for
	# it: the proxy must not connect to the node itself.
	b=$(bp_bundle "$id" "www.test,$TESTNET_HOST_ADDR,127.0.0.1,localhost,hostself.test" '
		# no_proxy names loopback: make curl ask the proxy all the same.
		VIA="-x '"$NW_PROXY_URL"' --noproxy ,"
		a tcp '"$NW_GATEWAY $port"' &
		a udp '"$NW_GATEWAY $port"' &
		a tcp '"$NW_GATEWAY"' 22 &
		a tcp '"$TESTNET_HOST_ADDR $port"' &
		a tcp 127.0.0.1 '"$lport"' &
		r http://'"$NW_GATEWAY:$port"'/
		r http://'"$TESTNET_HOST_ADDR:$port"'/
		r http://127.0.0.1:'"$lport"'/ $VIA
		r http://localhost:'"$lport"'/ $VIA
		r http://127.1:'"$lport"'/ $VIA
		r http://0.0.0.0:'"$lport"'/ $VIA
		r "http://[::1]:'"$lport"'/" $VIA
		r "http://[::ffff:127.0.0.1]:'"$lport"'/" $VIA
		r http://hostself.test:'"$port"'/
		wait
		r http://www.test/')
	# hostself.test is a name of this suite's DNS.
	bp_node_dns
	run run_job "$b" "$id"
	assert_success
	assert_output_has "TCP $NW_GATEWAY:$port closed"
	assert_output_has "TCP $NW_GATEWAY:22 closed"
	# The node's test-internet address is not the gateway: a connection
	# there on an http port lands on the proxy (which connects to names
	# only), never on the host's listener (checked below).
	assert_output_has "TCP 127.0.0.1:$lport closed"
	assert_output_has "UDP $NW_GATEWAY:$port sent noreply"
	local u
	# localhost is not a name the proxy looks up in /etc/hosts: the node's
	# DNS does not know it (502), or the proxy refuses it (403).
	grep -qE "^RESULT http://localhost:$lport/ (403|502) netward: " <<<"$output"
	for u in "http://$NW_GATEWAY:$port/" "http://127.0.0.1:$lport/" \
		"http://127.1:$lport/" "http://0.0.0.0:$lport/" \
		"http://[::1]:$lport/" "http://[::ffff:127.0.0.1]:$lport/"; do
		assert_line_has "RESULT $u 403 " "netward: "
	done
	bp_assert_host_untouched loop
	nw_logged "host=127.0.0.1" "port=$lport" "decision=deny"
	nw_logged "host=localhost" "reason=\"netward: "
	# 127.1 and ::ffff:127.0.0.1 are logged as the address they spell.
	[ "$(grep -F "host=127.0.0.1 " "$NW_LOG" | grep -cF "decision=deny")" -ge 3 ]
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
	# Last, as they are a finding at the time of writing: the node's own
	# address (here its test-internet address, inside the test config's
	# allow_private_destinations; on a real node its public address, which
	# is globally reachable) is a host service too, by IP literal or by a
	# name that resolves to it.
	assert_line_has "RESULT http://$TESTNET_HOST_ADDR:$port/ 403 " "netward: "
	assert_line_has "RESULT http://hostself.test:$port/ 403 " "netward: "
	assert_output_lacks "sink"
	bp_assert_host_untouched any anyu
	nw_logged "host=$TESTNET_HOST_ADDR" "decision=deny"
	nw_logged "host=hostself.test" "decision=deny"
}

@test "bypass: another job's address and proxy, directly and through the proxy" {
	local a b ba bb addr_a shared
	shared=$NW_TMP/shared
	mkdir -p "$shared"
	a=$(job_id victim)
	b=$(job_id attacker)
	ba=$(bp_bundle "$a" other.test "$MYADDR"'
		python3 /nwt/srv.py sink --bind 0.0.0.0 --port 8000 --log /shared/a-got &
		i=0
		while [ ! -e /shared/b-done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done')
	cp "$BP_LIB/bypass-servers.py" "$ba/rootfs/nwt/srv.py"
	bundle_share "$ba" "$shared"
	patch_bundle "$ba"
	run_detached "$ba" "$a" "$NW_TMP/a.out"
	wait_for_text "$NW_TMP/a.out" "ME "
	addr_a=$(sed -n 's/^ME //p' "$NW_TMP/a.out")
	[[ "$addr_a" == "$NW_SUBNET_PREFIX"* ]]
	bb=$(bp_bundle "$b" www.test '
		a tcp '"$addr_a"' 8000 &
		a tcp '"$addr_a"' 3128 &
		a udp '"$addr_a"' 8000 &
		wait
		r http://'"$addr_a"':8000/
		r http://other.test/ -x http://'"$addr_a"':3128
		r http://www.test/
		touch /shared/b-done')
	bundle_share "$bb" "$shared"
	run run_job "$bb" "$b"
	touch "$shared/b-done"
	assert_success
	# Another job's address is not the gateway: these connections land on
	# the attacker's own proxy, never on job A (its listener's log below).
	assert_output_has "UDP $addr_a:8000 sent noreply"
	assert_refused_request "http://$addr_a:8000/" "$addr_a"
	# Job A's proxy asked directly: intercepted into B's own proxy, which
	# refuses other.test.
	grep -qE "^RESULT http://other.test/ (000|403) " <<<"$output"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	nw_logged "host=$addr_a" "decision=deny"
	if [ -s "$shared/a-got" ]; then
		echo "job A's listener saw job B:" >&2
		cat "$shared/a-got" >&2
		false
	fi
	assert_clean "$b"
	kill_job "$a"
	runc delete --force "$a"
	eventually_clean "$a" 10
}

# The proxy's address for raw requests.
P="$NW_GATEWAY 3128"

@test "bypass: domain confusion: look-alikes, suffixes, dots, case, IP literal spellings, userinfo, encodings" {
	local id b
	id=$(job_id confusion)
	b=$(bp_bundle "$id" www.test,example.test '
		a send evil '"$P"' "GET http://evilexample.test/ HTTP/1.1\r\nHost: evilexample.test\r\nConnection: close\r\n\r\n"
		a send evilwww '"$P"' "GET http://evilwww.test/ HTTP/1.1\r\nHost: evilwww.test\r\nConnection: close\r\n\r\n"
		a send suffix '"$P"' "GET http://www.test.evil.test/ HTTP/1.1\r\nHost: www.test.evil.test\r\nConnection: close\r\n\r\n"
		a send prefix '"$P"' "GET http://other.test.www.test/ HTTP/1.1\r\nHost: other.test.www.test\r\nConnection: close\r\n\r\n"
		a send dot '"$P"' "GET http://www.test./ HTTP/1.1\r\nHost: www.test.\r\nConnection: close\r\n\r\n"
		a send twodots '"$P"' "GET http://www.test../ HTTP/1.1\r\nHost: www.test..\r\nConnection: close\r\n\r\n"
		a send emptylabel '"$P"' "GET http://www..test/ HTTP/1.1\r\nHost: www..test\r\nConnection: close\r\n\r\n"
		a send case '"$P"' "GET http://WWW.TeSt/ HTTP/1.1\r\nHost: WWW.TeSt\r\nConnection: close\r\n\r\n"
		a send ip '"$P"' "GET http://198.18.0.10/ HTTP/1.1\r\nHost: 198.18.0.10\r\nConnection: close\r\n\r\n"
		a send ip6map '"$P"' "GET http://[::ffff:198.18.0.10]/ HTTP/1.1\r\nHost: [::ffff:198.18.0.10]\r\nConnection: close\r\n\r\n"
		a send decimal '"$P"' "GET http://3323068426/ HTTP/1.1\r\nHost: 3323068426\r\nConnection: close\r\n\r\n"
		a send octal '"$P"' "GET http://0306.022.0.012/ HTTP/1.1\r\nHost: 0306.022.0.012\r\nConnection: close\r\n\r\n"
		a send hex '"$P"' "GET http://0xc6.0x12.0.0xa/ HTTP/1.1\r\nHost: 0xc6.0x12.0.0xa\r\nConnection: close\r\n\r\n"
		a send short '"$P"' "GET http://198.18.10/ HTTP/1.1\r\nHost: 198.18.10\r\nConnection: close\r\n\r\n"
		a send userinfo1 '"$P"' "GET http://www.test@other.test/ HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n"
		a send userinfo2 '"$P"' "GET http://other.test@www.test/ HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n"
		a send userinfo3 '"$P"' "GET http://www.test:80@other.test/ HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n"
		a send pct '"$P"' "GET http://ww%77.test/ HTTP/1.1\r\nHost: ww%77.test\r\nConnection: close\r\n\r\n"
		a send pctdot '"$P"' "GET http://www%2etest/ HTTP/1.1\r\nHost: www%2etest\r\nConnection: close\r\n\r\n"
		a send backslash '"$P"' "GET http://other.test\\\\www.test/ HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n"
		a send hostdiff '"$P"' "GET http://www.test/ HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n"
		a send hosttwo '"$P"' "GET http://www.test/ HTTP/1.1\r\nHost: www.test\r\nHost: other.test\r\nConnection: close\r\n\r\n"
		a send origin '"$P"' "GET / HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n"
		a send nul '"$P"' "GET http://other.test\x00.www.test/ HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n"
		a send conn80 '"$P"' "CONNECT www.test:80 HTTP/1.1\r\nHost: www.test:80\r\n\r\n"
		a send conn22 '"$P"' "CONNECT www.test:22 HTTP/1.1\r\nHost: www.test:22\r\n\r\n"
		a send conn8080 '"$P"' "CONNECT www.test:8080 HTTP/1.1\r\nHost: www.test:8080\r\n\r\n"
		a send connother '"$P"' "CONNECT other.test:443 HTTP/1.1\r\nHost: other.test:443\r\n\r\n"
		a send connip '"$P"' "CONNECT 198.18.0.10:443 HTTP/1.1\r\nHost: 198.18.0.10:443\r\n\r\n"
		r https://www.test/')
	run run_job "$b" "$id"
	assert_success
	local l
	# Refused by rule (403 naming the name), not by a failed lookup.
	for l in evil evilwww suffix prefix ip ip6map; do
		assert_line_has "SEND $l STATUS 403" ""
	done
	# Other spellings of an address are no address and no name: refused
	# before any lookup (400 invalid host, or 403).
	bp_refused_any '400|403' decimal octal hex short
	bp_send_refused evil 403 evilexample.test
	bp_send_refused evilwww 403 evilwww.test
	bp_send_refused suffix 403 www.test.evil.test
	bp_send_refused ip 403 198.18.0.10
	# One trailing dot and any case are the same name.
	assert_line_has "SEND dot STATUS 200" ""
	assert_line_has "BODY dot " "hello from www.test"
	assert_line_has "SEND case STATUS 200" ""
	assert_line_has "BODY case " "hello from www.test"
	# Malformed or ambiguous: refused (400 or 403), never fetched.
	for l in twodots emptylabel userinfo1 userinfo3 pct pctdot backslash hostdiff hosttwo origin nul; do
		if ! grep -qE "^SEND $l STATUS (400|403)$" <<<"$output"; then
			echo "request $l was not refused:" >&2
			grep -E "^(SEND|BODY|REASON) $l " <<<"$output" >&2
			false
		fi
	done
	# userinfo2 names www.test as its host: refusing it or fetching www.test
	# are both sound; other.test is not.
	grep -qE "^SEND userinfo2 STATUS (200|400|403)$" <<<"$output"
	assert_output_lacks "hello from other.test"
	# CONNECT only to connect_ports (443).
	for l in conn80 conn22 conn8080; do
		bp_send_refused "$l" 403 "connect_ports"
	done
	bp_send_refused connother 403 other.test
	assert_line_has "SEND connip STATUS 403" ""
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	# The proxy logged its decisions.
	nw_logged "host=evilexample.test" "decision=deny"
	nw_logged "host=www.test.evil.test" "decision=deny"
	nw_logged "method=CONNECT" "host=www.test" "port=22" "decision=deny"
	nw_logged "method=CONNECT" "host=www.test" "port=80" "decision=deny"
	nw_logged "host=198.18.0.10" "decision=deny"
	assert_clean "$id"
}

@test "bypass: request smuggling and oversized heads are refused, nothing extra reaches the origin" {
	local id b o="http://www.test:$BP_ECHO_PORT" h="www.test:$BP_ECHO_PORT"
	id=$(job_id smuggle)
	local smug="GET $o/smuggled HTTP/1.1\r\nHost: $h\r\nX-Bacalhau-Job-ID: forged\r\n\r\n"
	local smuglen
	smuglen=$(printf '%b' "$smug" | wc -c)
	b=$(bp_bundle "$id" www.test '
		a send clte '"$P"' "POST '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'"$smug"'"
		a send tecl '"$P"' "POST '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n'"$smug"'"
		a send dupcl '"$P"' "POST '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\nContent-Length: 0\r\nContent-Length: '"$smuglen"'\r\n\r\n'"$smug"'"
		a send listcl '"$P"' "POST '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\nContent-Length: 0, '"$smuglen"'\r\n\r\n'"$smug"'"
		a send tegzip '"$P"' "POST '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'"$smug"'"
		a send teobf '"$P"' "POST '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n'"$smug"'"
		a send fold '"$P"' "GET '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\nX-A: b\r\n c\r\nConnection: close\r\n\r\n"
		a send lf '"$P"' "GET '"$o"'/a HTTP/1.1\nHost: '"$h"'\nConnection: close\n\n"
		a send cr '"$P"' "GET '"$o"'/a HTTP/1.1\rHost: '"$h"'\r\nConnection: close\r\n\r\n"
		a send connte '"$P"' "POST '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n'"$(printf '%x' "$smuglen")"'\r\n'"$smug"'\r\n0\r\n\r\n"
		a send conncl '"$P"' "POST '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\nConnection: Content-Length\r\nContent-Length: '"$smuglen"'\r\n\r\n'"$smug"'"
		a send longline '"$P"' "GET '"$o"'/$(head -c 9000 /dev/zero | tr "\0" a) HTTP/1.1\r\nHost: '"$h"'\r\n\r\n"
		hdrs=""; i=0; while [ $i -lt 40 ]; do hdrs="${hdrs}X-Pad-$i: $(head -c 1000 /dev/zero | tr "\0" b)\r\n"; i=$((i + 1)); done
		a send bighead '"$P"' "GET '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\n${hdrs}\r\n"
		hdrs=""; i=0; while [ $i -lt 150 ]; do hdrs="${hdrs}X-N-$i: c\r\n"; i=$((i + 1)); done
		a send manyhead '"$P"' "GET '"$o"'/a HTTP/1.1\r\nHost: '"$h"'\r\n${hdrs}\r\n"
		r '"$o"'/after')
	run run_job "$b" "$id"
	assert_success
	local l
	for l in clte tecl dupcl listcl tegzip teobf fold lf cr; do
		if ! grep -qE "^SEND $l STATUS (400|501)$" <<<"$output"; then
			echo "smuggling attempt $l was not refused with 400/501:" >&2
			grep -E "^(SEND|BODY|REASON|RESPONSES) $l " <<<"$output" >&2
			false
		fi
	done
	assert_line_has "SEND longline STATUS 414" ""
	assert_line_has "SEND bighead STATUS 431" ""
	if ! grep -qE "^SEND manyhead STATUS (400|431)$" <<<"$output"; then
		grep -E "^(SEND|BODY) manyhead " <<<"$output" >&2
		false
	fi
	assert_line_has "RESULT $o/after 200 " "ECHO GET /after"
	# Framing headers named in Connection must not lose the body's
	# framing on the way out: the origin sees one request per client
	# request, never the one hidden in the body.
	bp_assert_never_smuggled
	nw_logged "status=414" "decision=deny"
	nw_logged "status=431" "decision=deny"
	assert_clean "$id"
}

bp_assert_never_smuggled() {
	if grep -qF smuggled "$BP_SRV/echo.log" || grep -qiF forged "$BP_SRV/echo.log"; then
		echo "FINDING: a request smuggled in a body reached the origin:" >&2
		cat "$BP_SRV/echo.log" >&2
		echo "client side:" >&2
		grep -E "^(SEND|RESPONSES|BODY) conn" <<<"$output" >&2
		return 1
	fi
}

@test "bypass: slowloris is cut off, a connection flood beyond the cap gets 503, a client that never reads harms no one" {
	local id b
	id=$(job_id pressure)
	b=$(bp_bundle "$id" www.test '
		a slowloris '"$P"' 45 >/tmp/slow 2>&1 &
		slow=$!
		a noread '"$P"' http://www.test/big 25 >/tmp/noread 2>&1 &
		sleep 1
		r http://www.test/ -o /dev/null
		a flood '"$P"' 300
		sleep 0.5
		r http://www.test/
		r https://www.test/
		wait $slow
		cat /tmp/slow /tmp/noread')
	run run_job "$b" "$id"
	assert_success
	# 256 connections per job by default; two were held already.
	local refused
	refused=$(sed -n 's/^FLOOD open=[0-9]* refused503=\([0-9]*\) .*/\1/p' <<<"$output")
	assert_output_has "FLOOD open=300 "
	if [ -z "$refused" ] || [ "$refused" -lt 40 ]; then
		echo "expected at least 40 of 300 connections refused with 503; got '${refused:-none}'" >&2
		printf '%s\n' "$output" >&2
		false
	fi
	nw_logged "decision=deny" "connections open (the limit)"
	# After the flood, and while one client sits on /big, the proxy serves.
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_output_has "NOREAD sent"
	# Cut off at the head timeout (T_HEAD in hook/proxy_int.h) after its
	# first byte: not before (the client counts whole seconds), and within
	# a fifth more (the proxy checks timeouts once a tick).
	local secs t_head lo hi
	t_head=$(hook_const T_HEAD)
	lo=$((t_head / 1000 - 1)) hi=$((t_head / 1000 + t_head / 5000))
	secs=$(sed -n 's/^SLOW closed after \([0-9]*\) s.*/\1/p' <<<"$output")
	if [ -z "$secs" ] || [ "$secs" -lt "$lo" ] || [ "$secs" -gt "$hi" ]; then
		echo "the slow client was not cut off between $lo and $hi s:" >&2
		grep '^SLOW' <<<"$output" >&2
		false
	fi
	assert_clean "$id"
}

@test "bypass: allowed names resolving to CGNAT, documentation, 0.0.0.0, broadcast or IPv6 special ranges are refused" {
	local id b port n
	port=$(free_port)
	bp_host_sink self :: "$port"
	nw_unreachable 100.64.0.1 192.0.2.1 10.99.0.1
	if ip -6 route add unreachable fd00::1/128 2>/dev/null; then echo fd00::1/128 >>"$NW_TMP/routes6"; fi
	bp_node_dns
	local names="cgnat.test docs.test zero.test bcast.test ula.test mapped.test mappedpriv.test v6loop.test v6ll.test mix6.test"
	id=$(job_id ranges)
	b=$(bp_bundle "$id" "www.test,${names// /,}" '
		for n in '"$names"'; do r http://$n:'"$port"'/; done
		r http://www.test/')
	run run_job "$b" "$id"
	assert_success
	for n in $names; do
		assert_line_has "RESULT http://$n:$port/ 403 " "netward: "
		nw_logged "host=$n" "decision=deny"
	done
	assert_line_has "RESULT http://cgnat.test:$port/ 403 " "100.64.0.1"
	assert_line_has "RESULT http://ula.test:$port/ 403 " "fd00::1"
	assert_output_lacks "sink"
	bp_assert_host_untouched self
	# The suite's resolver answered all of them (the refusals are by address).
	grep -q "QUERY ula.test 28 -> fd00::1" "$BP_SRV/dns.log"
	grep -q "QUERY mapped.test 28 -> ::ffff:127.0.0.1" "$BP_SRV/dns.log"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "bypass: DNS rebinding (TTL 0, public then loopback) never reaches a private address" {
	local id b
	bp_host_sink rebind 127.0.0.1 "$BP_SINK_PORT"
	bp_node_dns '.connect_ports = [443, '"$BP_SINK_PORT"']'
	id=$(job_id rebind)
	b=$(bp_bundle "$id" rebind.test '
		i=0
		# Three lookups a round against two alternating answers: plain
		# requests and tunnels each meet both.
		while [ $i -lt 6 ]; do
			r http://rebind.test:'"$BP_SINK_PORT"'/
			r http://rebind.test:'"$BP_SINK_PORT"'/
			r http://rebind.test:'"$BP_SINK_PORT"'/ -p
			i=$((i + 1))
		done')
	run run_job "$b" "$id"
	assert_success
	bp_assert_host_untouched rebind
	# The responder really gave both answers.
	grep -q "QUERY rebind.test 1 -> $TESTNET_WWW" "$BP_SRV/dns.log"
	grep -q "QUERY rebind.test 1 -> 127.0.0.1" "$BP_SRV/dns.log"
	# Every request either reached the public address or was refused.
	if grep '^RESULT http://rebind.test' <<<"$output" | grep -vqE " (200 sink|403)"; then
		echo "a rebinding request neither fetched the public sink nor was refused:" >&2
		grep '^RESULT http://rebind.test' <<<"$output" >&2
		false
	fi
	assert_line_has "RESULT http://rebind.test:$BP_SINK_PORT/ 200 " "sink"
	nw_logged "method=GET" "host=rebind.test" "decision=deny" "127.0.0.1"
	nw_logged "method=CONNECT" "host=rebind.test" "decision=deny" "127.0.0.1"
	nw_logged "method=CONNECT" "host=rebind.test" "decision=allow"
	assert_clean "$id"
}

@test "bypass: jobs cannot start jobs: an allowed alias of a denied host:port, over HTTP and CONNECT" {
	local id b
	bp_node_dns '.deny_destinations = ["'"$TESTNET_API:$TESTNET_API_PORT"'"] | .connect_ports = [443, '"$TESTNET_API_PORT"']'
	id=$(job_id alias)
	b=$(bp_bundle "$id" api.test,apialias.test '
		r http://api.test:'"$TESTNET_API_PORT"'/
		r https://api.test:'"$TESTNET_API_PORT"'/
		r http://apialias.test:'"$TESTNET_API_PORT"'/
		r https://apialias.test:'"$TESTNET_API_PORT"'/ -k
		r http://apialias.test:'"$TESTNET_API_PORT"'/ -p
		r http://apialias.test/')
	run run_job "$b" "$id"
	assert_success
	assert_refused_request "http://api.test:$TESTNET_API_PORT/" deny_destinations
	assert_refused_tunnel "https://api.test:$TESTNET_API_PORT/" deny_destinations
	assert_refused_request "http://apialias.test:$TESTNET_API_PORT/" deny_destinations
	assert_refused_tunnel "https://apialias.test:$TESTNET_API_PORT/" deny_destinations
	assert_line_has "RESULT http://apialias.test:$TESTNET_API_PORT/ 403" ""
	# Port 80 of the same host is not in the entry.
	assert_line_has "RESULT http://apialias.test/ 200 " "hello from api.test"
	nw_logged "host=apialias.test" "port=$TESTNET_API_PORT" "decision=deny" "deny_destinations"
	nw_logged "method=CONNECT" "host=apialias.test" "decision=deny" "deny_destinations"
	assert_clean "$id"
}

@test "bypass: the job-id header a job sends is replaced, never forwarded" {
	local id b o="http://www.test:$BP_ECHO_PORT" h="www.test:$BP_ECHO_PORT"
	id=$(job_id jobhdr)
	b=$(bp_bundle "$id" www.test '
		r '"$o"'/one -H "X-Bacalhau-Job-ID: forged-1"
		r '"$o"'/two -H "x-bacalhau-job-id: forged-2" -H "X-BACALHAU-JOB-ID: forged-3"
		r '"$o"'/three -H "Connection: X-Bacalhau-Job-ID" -H "X-Bacalhau-Job-ID: forged-4"
		a send pipe '"$P"' "GET '"$o"'/four HTTP/1.1\r\nHost: '"$h"'\r\nX-Bacalhau-Job-ID: forged-5\r\n\r\nGET '"$o"'/five HTTP/1.0\r\nHost: '"$h"'\r\nX-Bacalhau-Job-Id:forged-6\r\nX-Bacalhau-Job-ID: \r\n\r\n"
		a send ws '"$P"' "GET '"$o"'/six HTTP/1.1\r\nHost: '"$h"'\r\nX-Bacalhau-Job-ID : forged-7\r\nConnection: close\r\n\r\n"
		r '"$o"'/seven -H "X_Bacalhau_Job_ID: forged-8" -H "x_bacalhau-JOB_id: forged-9" -H "X.Bacalhau.Job.ID: forged-10"
		a send trailer '"$P"' "POST '"$o"'/eight HTTP/1.1\r\nHost: '"$h"'\r\nTransfer-Encoding: chunked\r\nTrailer: X-Bacalhau-Job-ID\r\n\r\n3\r\nabc\r\n0\r\nX-Bacalhau-Job-ID: forged-11\r\nX_Bacalhau_Job_ID: forged-12\r\nX-Other: forged-13\r\n\r\nGET '"$o"'/nine HTTP/1.1\r\nHost: '"$h"'\r\nConnection: close\r\n\r\n"')
	bundle_annotate "$b" io.netward.job-id "job-$id"
	run run_job "$b" "$id"
	assert_success
	cat "$BP_SRV/echo.log" >&2
	local p n
	for p in one two three four five seven eight nine; do
		grep -q "^REQ [^ ]* [A-Z]* /$p " "$BP_SRV/echo.log" || {
			echo "request /$p did not reach the origin" >&2
			false
		}
		# Exactly one job-id header (in any spelling a CGI, WSGI or PHP
		# application reads as HTTP_X_BACALHAU_JOB_ID), the job's own, in
		# what the origin got, and no trailer field at all.
		n=$(awk -v p="/$p" '$1 == "REQ" { cur = ($4 == p) }
			cur && ($1 == "TRL" || ($1 == "HDR" && toupper($2) ~ /^X.BACALHAU.JOB.ID:$/)) { print }' "$BP_SRV/echo.log")
		if [ "$n" != "HDR X-Bacalhau-Job-ID: job-$id" ]; then
			echo "request /$p reached the origin with job-id headers: '${n:-none}'" >&2
			false
		fi
	done
	# Whitespace before the colon is malformed, not a different header.
	assert_line_has "SEND ws STATUS 400" ""
	# The trailers were dropped, the chunked body and the request after it
	# went through, both answered on that connection.
	assert_line_has "SEND trailer STATUS 200" ""
	assert_line_has "BODY trailer" "ECHO GET /nine HTTP/1.1"
	if grep -qi forged "$BP_SRV/echo.log"; then
		echo "a forged job id reached the origin:" >&2
		grep -i forged "$BP_SRV/echo.log" >&2
		false
	fi
	nw_logged "job=job-$id" "host=www.test" "decision=allow"
	assert_clean "$id"
}
