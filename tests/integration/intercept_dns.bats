#!/usr/bin/env bats
# The DNS an http job gets on its gateway, from inside real runc containers,
# with dig and nslookup (bind9-dnsutils) and hand-made queries: names the
# job's list covers get the proxy's own checked answer, every other name
# NXDOMAIN, AAAA and HTTPS/SVCB an empty answer, malformed queries FORMERR,
# over UDP and TCP; and a name outside the list never reaches the test
# internet's DNS server (dnsmasq, which logs every query it gets).

load helpers
load http_helpers
load intercept_helpers

nw_suite testnet unreachable
setup() {
	nw_suite_setup
	DNS_MARK=$(stat -c %s "$TESTNET_DIR/log/dnsmasq.log")
}

# What dnsmasq logged since the test began.
dns_since() { tail -c +"$((DNS_MARK + 1))" "$TESTNET_DIR/log/dnsmasq.log"; }

# The job side: dg NAME TYPE udp|tcp, dig against the job's resolver:
#   DIG NAME TYPE PROTO status=STATUS answers=N TYPE=DATA...
# ns [-vc] [-type=T] NAME, nslookup: NS [OPTS] NAME followed by its output
# on one line.
dns_lib() {
	cat <<'EOF'
dg() {
	o=$(dig +tries=1 +time=3 $([ "$3" = tcp ] && echo +tcp) "$1" "$2" 2>&1)
	st=$(printf '%s\n' "$o" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	an=$(printf '%s\n' "$o" | sed -n 's/.*ANSWER: \([0-9]*\),.*/\1/p')
	rr=$(printf '%s\n' "$o" | awk '/^;; ANSWER SECTION:/ { f = 1; next } /^$/ { f = 0 } f { print $4 "=" $5 }' | tr '\n' ' ')
	echo "DIG $1 $2 $3 status=${st:-none} answers=${an:-none} $rr"
}
ns() {
	echo "NS $* $(nslookup -timeout=3 -retry=1 "$@" 2>&1 | tr '\n\t' '  ')"
}
EOF
}

dns_bundle() {
	local id=$1 domains=$2 script=$3 b
	b=$(ic_bundle "$id" "$domains" ". /nwt/dns.sh
$script")
	dns_lib >"$b/rootfs/nwt/dns.sh"
	install -m 0755 "$NW_ROOT/tests/lib/dns-probe.py" "$b/rootfs/nwt/dns-probe.py"
	printf '%s\n' "$b"
}

@test "intercept DNS: dig and nslookup over UDP and TCP: listed names answered, others NXDOMAIN, AAAA and HTTPS/SVCB empty, TXT and ANY carry nothing" {
	ic_need dig nslookup
	local id b p t
	id=$(job_id dig)
	b=$(dns_bundle "$id" www.test '
		sed "s/^/RESOLV /" /etc/resolv.conf
		for p in udp tcp; do
			for t in A AAAA HTTPS SVCB TXT ANY; do
				dg www.test $t $p
				dg other.test $t $p
			done
			python3 /nwt/dns-probe.py q '"$NW_GATEWAY"' www.test A $p
		done
		ns www.test; ns other.test; ns -vc www.test; ns -vc other.test
		ns -type=TXT www.test; ns -type=AAAA www.test')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "RESOLV nameserver $NW_GATEWAY"
	for p in udp tcp; do
		assert_output_has "DIG www.test A $p status=NOERROR answers=1 A=$TESTNET_WWW "
		for t in A AAAA HTTPS SVCB TXT ANY; do
			assert_output_has "DIG other.test $t $p status=NXDOMAIN answers=0"
		done
		# No IPv6, and no ECH configuration (HTTPS/SVCB) reaches the job.
		for t in AAAA HTTPS SVCB; do
			assert_output_has "DIG www.test $t $p status=NOERROR answers=0"
		done
		# Nothing but the checked address: no TXT, no other record.
		assert_line_has "DIG www.test TXT $p status=" "answers=0"
		if grep "^DIG www.test ANY $p " <<<"$output" | grep -vE "answers=(0 *$|1 A=$TESTNET_WWW *$)"; then
			echo "ANY answered with more than the checked address" >&2
			false
		fi
		assert_output_has "Q www.test A $p rcode=0 answers=1 types=1 "
	done
	assert_line_has "NS www.test " "$TESTNET_WWW"
	assert_line_has "NS other.test " "NXDOMAIN"
	assert_line_has "NS -vc www.test " "$TESTNET_WWW"
	assert_line_has "NS -vc other.test " "NXDOMAIN"
	assert_output_lacks "NS -type=TXT www.test text ="
	# other.test was never asked of the test internet's DNS; www.test was
	# (by the proxy, from the node).
	dns_since | grep -F www.test >&2
	dns_since | grep -qF 'www.test'
	if dns_since | grep -F other.test; then
		echo "a query for other.test left the node" >&2
		false
	fi
	assert_clean "$id"
}

@test "intercept DNS: malformed queries get FORMERR (or nothing), and the server goes on answering" {
	local id b l p
	id=$(job_id formerr)
	b=$(dns_bundle "$id" www.test '
		python3 /nwt/dns-probe.py bad '"$NW_GATEWAY"'
		python3 /nwt/dns-probe.py q '"$NW_GATEWAY"' www.test A udp
		python3 /nwt/dns-probe.py q '"$NW_GATEWAY"' www.test A tcp')
	run run_job "$b" "$id"
	assert_success
	for l in truncated overrun qdcount loop; do
		for p in udp tcp; do
			grep -qE "^BAD $l $p (rcode=1|noreply)$" <<<"$output" || {
				echo "malformed query $l over $p was not refused with FORMERR:" >&2
				grep "^BAD $l $p" <<<"$output" >&2
				false
			}
		done
	done
	# At least the cut-off question is answered, with FORMERR, on both.
	assert_output_has "BAD truncated udp rcode=1"
	assert_output_has "BAD truncated tcp rcode=1"
	assert_output_has "Q www.test A udp rcode=0 answers=1"
	assert_output_has "Q www.test A tcp rcode=0 answers=1"
	assert_clean "$id"
}

@test "intercept DNS: random subdomains of names not listed never reach the test internet's DNS" {
	local id b n
	id=$(job_id randsub)
	# .a.www.test is listed: names below it are asked upstream (the
	# evidence that dnsmasq's log shows what the proxy asks).
	b=$(dns_bundle "$id" www.test,.a.www.test '
		python3 /nwt/dns-probe.py rand '"$NW_GATEWAY"' other.test 40
		python3 /nwt/dns-probe.py rand '"$NW_GATEWAY"' exfil.test 40
		python3 /nwt/dns-probe.py rand '"$NW_GATEWAY"' www.test 20
		python3 /nwt/dns-probe.py rand '"$NW_GATEWAY"' a.www.test 4')
	run run_job "$b" "$id"
	assert_success
	n=$(grep -cE '^RAND [0-9a-f]{16}\.(other|exfil|www)\.test [A-Z]+ (udp|tcp) rcode=3 answers=0$' <<<"$output")
	if [ "$n" -ne 100 ]; then
		echo "expected 100 NXDOMAIN answers, got $n:" >&2
		grep '^RAND' <<<"$output" | grep -v 'rcode=3' >&2
		false
	fi
	# The listed wildcard's names were looked up (dnsmasq knows none of
	# them: NXDOMAIN too).
	local tok ok=0
	for tok in $(sed -n 's/^RAND \([0-9a-f]\{16\}\)\.a\.www\.test .*/\1/p' <<<"$output"); do
		dns_since | grep -qF "$tok" && ok=$((ok + 1))
	done
	[ "$ok" -ge 1 ] || {
		echo "no query under .a.www.test reached dnsmasq: its log proves nothing" >&2
		dns_since >&2
		false
	}
	for tok in $(sed -n 's/^RAND \([0-9a-f]\{16\}\)\.\(other\|exfil\|www\)\.test .*/\1/p' <<<"$output"); do
		if dns_since | grep -F "$tok"; then
			echo "a query for a name outside the list reached the test internet's DNS" >&2
			false
		fi
	done
	assert_clean "$id"
}

@test "intercept DNS: a flood of long random names under a listed wildcard is held to the job's rate limit, logged and counted" {
	local id b rate=20000 burst over lookups sends len cost secs sent servfail bound up st
	# A job limited to rate B/s: each query sent upstream costs
	# (name + DNS_LOOKUP_OVERHEAD) * DNS_LOOKUPS * DNS_SENDS per DNS server
	# of the upstream bucket
	# (hook/proxy_dns.c), which starts full with its burst (BURST_MIN at
	# this rate, hook/bucket.c).
	write_node_config "$NW_CONFIG" ".rate_limit_bps = $((rate * 8))"
	burst=$(sed -n 's/^#define BURST_MIN[[:space:]]*(\([0-9]*\)u \* \([0-9]*\)).*/\1 * \2/p' "$NW_ROOT/hook/bucket.c")
	burst=$((burst))
	over=$(sed -n 's/^#define DNS_LOOKUP_OVERHEAD[[:space:]]*\([0-9]*\).*/\1/p' "$NW_ROOT/hook/proxy_dns.c")
	lookups=$(sed -n 's/^#define DNS_LOOKUPS[[:space:]]*\([0-9]*\).*/\1/p' "$NW_ROOT/hook/proxy_dns.c")
	sends=$(sed -n 's/^#define DNS_SENDS[[:space:]]*\([0-9]*\).*/\1/p' "$NW_ROOT/hook/proxy_dns.c")
	len=$((1 + 60 + 1 + 60 + 1 + 60 + 1 + 10)) # f<60>.<60>.<60>.a.www.test
	cost=$(((len + over) * lookups * sends)) # one DNS server
	id=$(job_id flood)
	b=$(dns_bundle "$id" www.test,.a.www.test '
		python3 /nwt/dns-probe.py flood '"$NW_GATEWAY"' a.www.test 3
		echo DONE
		exec sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/job.out"
	wait_for_text "$NW_TMP/job.out" DONE 60
	sleep 1.5 # the lookups let out last end, the counters are written
	run cat "$NW_TMP/job.out"
	read -r sent servfail secs < <(sed -n 's/^FLOOD sent=\([0-9]*\) servfail=\([0-9]*\) other=[0-9]* secs=\([0-9]*\)$/\1 \2 \3/p' <<<"$output")
	# Two seconds more than the flood lasted: lookups let out as it ended.
	bound=$(((burst + rate * (secs + 2)) / cost))
	up=$(dns_since | grep -cE 'query\[A\] f[0-9a-f]{60}\.[0-9a-f]{60}\.[0-9a-f]{60}\.a\.www\.test ')
	echo "# $sent queries in ${secs}s: $up reached the test internet's DNS (at most $bound), $servfail SERVFAIL" >&3
	[ "$up" -ge 1 ]
	[ "$up" -le "$bound" ]
	[ "$servfail" -ge 1 ]
	st=$("$NETWARD" --config "$NW_CONFIG" status --json </dev/null |
		jq -c --arg id "$id" '.[] | select(.id == $id)')
	echo "$st" >&2
	jq -e --argjson s "$servfail" --argjson u "$up" \
		'.requests_denied >= $s and .requests_allowed >= $u' <<<"$st"
	grep -q "job=$id .*method=DNS host=f[0-9a-f]*\..*\.a\.www\.test port=53 decision=deny reason=\"netward: DNS .*over.*limit" "$NW_LOG"
	grep -q "job=$id .*method=DNS host=f[0-9a-f]*\..*\.a\.www\.test port=53 decision=allow " "$NW_LOG"
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
}
