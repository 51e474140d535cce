#!/usr/bin/env bats
# netward on a node with its own firewall: Docker (iptables FORWARD policy
# DROP, nft and legacy backends), ufw (default deny incoming), firewalld
# (default zone), and an nftables table netward does not know. For each, a
# none, an http and a full job run as on a bare node; afterwards the host
# firewall's tables are exactly as they were before the jobs (netward's
# additions gone, nothing else touched). A table netward cannot open makes
# it refuse the job, naming the table and the fix. Every test restores the
# host: daemons stopped, ufw disabled, nftables and iptables-legacy
# rulesets, links and sysctls as they were.

load helpers
load http_helpers
load hostfw_helpers

FETCH='f() { if wget -q -T 3 -t 1 -O - "$1"; then :; else echo "UNREACHABLE $1"; fi; }'

nw_suite testnet
setup() {
	nw_suite_setup
	hostfw_save
}
teardown() {
	nw_teardown
	hostfw_restore
}

# ---- the jobs ----

job_none() {
	local id b
	id=$(job_id none)
	b=$(job_bundle "$id" none -- /bin/sh -c "$FETCH"'
		echo "links: $(ip -o link | wc -l)"
		f http://198.18.0.10/')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "links: 1"
	assert_output_has "UNREACHABLE http://198.18.0.10/"
	assert_clean "$id"
}

job_http() {
	local id b
	id=$(job_id http)
	b=$(http_bundle "$id" www.test 'r http://www.test/; r https://www.test/; r http://198.18.0.10/; reach 198.18.0.10 80')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT http://198.18.0.10/ 403 " ""
	# Interception through the host's firewall: a direct connection on an
	# http port lands at the job's own proxy (nothing is routed for an
	# http job), which the firewall must let through like the proxy port.
	assert_output_has "REACH 198.18.0.10:80 open"
	assert_clean "$id"
}

job_full() {
	local id b
	id=$(job_id full)
	b=$(job_bundle "$id" full -- /bin/sh -c "$FETCH"'
		f http://www.test/
		f http://198.18.0.10/
		f http://169.254.1.1:3128/')
	run run_job "$b" "$id"
	assert_success
	[ "$(grep -c '^hello from www.test$' <<<"$output")" -eq 2 ] || {
		printf '%s\n' "$output" >&2
		false
	}
	assert_output_has "UNREACHABLE http://169.254.1.1:3128/"
	assert_clean "$id"
}

# firewalld makes a zone's chains the first time the zone is used and
# keeps them, empty and reached by no rule, after netward unbinds its
# interfaces; they are left out (with blank lines), and no rule may still
# name netward's interfaces.
without_zone_chains() {
	awk '/^$/ { next }
		/^\tchain [a-zA-Z_]*_netward[a-z_]* \{$/ { skip = 1; next }
		skip { if ($0 == "\t}") skip = 0; next }
		{ print }'
}

# The three modes, then the firewall's tables as they were before them.
all_modes_leave_firewall_as_found() {
	local before
	before=$(foreign_tables | without_zone_chains)
	job_none
	job_http
	job_full
	run foreign_tables
	assert_output_lacks '"nw*"'
	assert_output_lacks 'nw+'
	run diff <(printf '%s\n' "$before") <(foreign_tables | without_zone_chains)
	if [ "$status" -ne 0 ]; then
		echo "the host firewall's tables changed:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_success
	assert_output_lacks "drops the jobs' traffic (policy drop); http jobs are refused"
}

@test "hostfw: Docker (iptables-nft, FORWARD policy DROP): none, http and full jobs work" {
	start_dockerd
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "table ip filter, chain FORWARD (hook forward): drops the jobs' traffic (policy drop); netward opens it at job setup"
	all_modes_leave_firewall_as_found
}

@test "hostfw: Docker on iptables-legacy (FORWARD policy DROP): none, http and full jobs work" {
	local bin=$NW_TMP/legacy-bin t
	iptables-legacy -w 5 -t filter -L -n >/dev/null 2>&1 ||
		skip "this kernel has no legacy iptables (ip_tables module)"
	mkdir -p "$bin"
	for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
		ln -sf "/usr/sbin/${t/iptables/iptables-legacy}" "$bin/$t"
	done
	touch "$NW_TMP/legacy-used"
	start_dockerd "$bin"
	iptables-legacy -S FORWARD | grep -qx -- '-P FORWARD DROP'
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "iptables-legacy: filter table, INPUT or FORWARD policy DROP; netward opens it at job setup"
	all_modes_leave_firewall_as_found
}

@test "hostfw: ufw (default deny incoming and routed): none, http and full jobs work" {
	start_ufw
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "table ip filter, chain INPUT (hook input): drops the jobs' traffic"
	all_modes_leave_firewall_as_found
}

@test "hostfw: firewalld (default zone): none, http and full jobs work" {
	start_firewalld
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "firewalld: table inet firewalld, chain filter_INPUT (hook input): drops the jobs' traffic"
	all_modes_leave_firewall_as_found
	# The bindings netward made (each job's interface) are gone with the jobs.
	run firewall-cmd --zone=netward --list-interfaces
	assert_success
	[ -z "$output" ]
}

@test "hostfw: without netward's zone file firewalld jobs are refused naming the fix" {
	local id b
	start_firewalld
	rm /etc/firewalld/zones/netward.xml
	firewall-cmd --reload >/dev/null
	id=$(job_id nozone)
	b=$(job_bundle "$id" full -- /bin/sh -c 'echo RAN')
	run run_job "$b" "$id"
	assert_refused "$id" 'firewalld has no zone'
	grep -qF 'firewalld has no zone "netward": install netward'"'"'s zone file as /usr/lib/firewalld/zones/netward.xml' "$NW_LOG"
	assert_output_lacks RAN
}

@test "hostfw: an nftables table that drops the jobs' traffic refuses them, naming it and the fix" {
	local id b before
	nft -f - <<-'EOF'
		table inet nwt_hostile {
			chain input { type filter hook input priority 0; policy drop; iifname "lo" accept; ct state established,related accept; tcp dport 22 accept; }
			chain forward { type filter hook forward priority 0; counter; reject; }
		}
	EOF
	before=$(foreign_tables)
	id=$(job_id hostile-http)
	b=$(http_bundle "$id" www.test 'echo RAN')
	run run_job "$b" "$id"
	assert_refused "$id" 'the host firewall would drop this http job'"'"'s traffic: nftables, table inet nwt_hostile, chain input (hook input): policy drop; open it for netward'"'"'s interfaces: nft insert rule inet nwt_hostile input iifgroup'
	grep -qF 'nft insert rule inet nwt_hostile input iifgroup 0x6e77 ip saddr 10.213.0.0/16 accept' "$NW_LOG"
	assert_output_lacks RAN
	id=$(job_id hostile-full)
	b=$(job_bundle "$id" full -- /bin/sh -c 'echo RAN')
	run run_job "$b" "$id"
	assert_refused "$id" "chain forward (hook forward): rule reject in chain forward"
	assert_output_lacks RAN
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "chain input (hook input): drops the jobs' traffic (policy drop); http jobs are refused until you open it"
	[ "$before" = "$(foreign_tables)" ]
	# The fix the message names is enough.
	nft insert rule inet nwt_hostile input iifgroup 0x6e77 ip saddr 10.213.0.0/16 accept
	nft insert rule inet nwt_hostile forward iifgroup 0x6e77 ip saddr 10.213.0.0/16 accept
	nft insert rule inet nwt_hostile forward oifgroup 0x6e77 ip daddr 10.213.0.0/16 accept
	job_http
	job_full
}

@test "hostfw: a job that died without its teardown: gc removes what netward added to Docker's table" {
	local id b mon before
	start_dockerd
	before=$(foreign_tables)
	id=$(job_id gc)
	b=$(job_bundle "$id" full -- /bin/sh -c 'sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/out"
	iptables -S NETWARD-FORWARD | grep -q -- '-s 10.213.0.0/16 -i nw+ -m devgroup --src-group 0x6e77'
	iptables -S NETWARD-FORWARD | grep -q -- '-d 10.213.0.0/16 -o nw+ -m devgroup --dst-group 0x6e77'
	iptables -S DOCKER-USER | grep -q -- '-j NETWARD-FORWARD'
	# No monitor, no poststop: nothing tears the job down but gc.
	mon=$(job_state_field "$id" monitor_pid)
	[ "$mon" -gt 0 ]
	kill -KILL "$mon"
	kill_job "$id"
	iptables -S NETWARD-FORWARD >/dev/null
	run "$NETWARD" --config "$NW_CONFIG" gc
	assert_success
	run iptables -S NETWARD-FORWARD
	[ "$status" -ne 0 ]
	[ "$before" = "$(foreign_tables)" ]
	runc delete --force "$id"
	assert_clean "$id"
}
