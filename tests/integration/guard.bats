#!/usr/bin/env bats
# The fail-closed guard: what a job reaches while netward's table is gone
# and only the guard (XFRM input policies, routing rule, sysctls) stands,
# and how the guard's per-job allowance to the proxy follows the job. Each
# from a real runc container.

load helpers
load http_helpers
load fwclosed_helpers

nw_suite testnet
setup() {
	fc_setup
}
teardown() {
	fc_teardown
}

# The guard's XFRM "allow" policy admits TCP from the whole job subnet to
# the gateway's proxy port, whatever the job's mode and whatever socket
# takes it. A full job reaches no local socket with the table in place
# (input: "iifname @full_ifs drop"); with the table gone, a host service on
# 0.0.0.0:proxy_port (squid, say) answers it.
@test "guard: with the table gone, a full job reaches no host service on the proxy port" {
	local port f1
	port=$(free_port)
	write_node_config "$NW_CONFIG" --argjson p "$port" '.proxy_port = $p'
	host_listener 0.0.0.0 "$port"
	f1=$(job_id f1)
	fc_sleeper "$f1" full
	# With the table: closed.
	run fc_exec "$f1" "reach $NW_GATEWAY $port"
	assert_output_has "REACH $NW_GATEWAY:$port closed"
	fc_table_gone
	fc_never_reaches "$f1" "tcp:$NW_GATEWAY:$port:open"
}

# The same policy for an http job whose proxy died: the dead-proxy-port
# rule (socket mark) lives in the table only.
@test "guard: with the table gone, an http job whose proxy died reaches no host service on its port" {
	local port h1
	port=$(free_port)
	write_node_config "$NW_CONFIG" --argjson p "$port" '.proxy_port = $p'
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	fc_kill_proxy "$h1"
	host_listener 0.0.0.0 "$port"
	fc_table_gone
	fc_never_reaches "$h1" "tcp:$NW_GATEWAY:$port:open"
}

# IPsec tooling (`ip xfrm policy flush`) takes the guard's policies, the
# jobs' allowances with them; the next setup puts the block back, and with
# it every live http job's allowance, so no job loses its proxy.
@test "guard: after ip xfrm policy flush, the next job's setup gives live http jobs their proxy back" {
	local h1 h2
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	run fc_exec "$h1" 'r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	ip xfrm policy flush
	h2=$(job_id h2)
	fc_sleeper "$h2" http
	[ -n "$(ip xfrm policy list dir in priority "$(printf %d 0x6e71)")" ]
	run fc_exec "$h1" 'r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	run fc_exec "$h2" 'r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	# A full job gets no allowance; an http job its own, for its /32: its
	# proxy port, and with interception its DNS (UDP and TCP 53) and the
	# connections the table marks and redirects.
	ip xfrm policy list dir in priority "$(printf %d 0x6e70)" >"$NW_TMP/allow"
	cat "$NW_TMP/allow" >&2
	[ "$(grep '^src .*/32 ' "$NW_TMP/allow" | awk '{ print $2 }' | sort -u | wc -l)" -eq 2 ]
	[ "$(grep -c '^src .*/32 ' "$NW_TMP/allow")" -eq 8 ]
	[ "$(grep -c '^src .*/32 dst 169.254.1.1/32 proto tcp dport 3128' "$NW_TMP/allow")" -eq 2 ]
	[ "$(grep -c '^src .*/32 dst 169.254.1.1/32 proto udp dport 53' "$NW_TMP/allow")" -eq 2 ]
	[ "$(grep -c '^src .*/32 dst 0.0.0.0/0 proto tcp' "$NW_TMP/allow")" -eq 2 ]
	[ "$(grep -c 'mark 0xd0/0xf0' "$NW_TMP/allow")" -eq 2 ]
}

# Interception with the table gone: nothing marks or redirects, so an
# http job's direct connections reach nothing (no host service on the
# interception port either), while its DNS still reaches its own proxy.
@test "guard: with the table gone, an http job's direct connections reach nothing and its DNS its proxy" {
	local h1 ifn q
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	ifn=$(job_state_field "$h1" host_if)
	fc_table_gone
	run fc_exec "$h1" "reach $TESTNET_WWW 80; reach $NW_GATEWAY 3129; reach $NW_GATEWAY 22
		python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((\"$NW_GATEWAY\", 53))
s.send(b\"\\x6e\\x77\" + b\"\\x01\\x00\\x00\\x01\" + bytes(6) + b\"\\x03www\\x04test\\x00\\x00\\x01\\x00\\x01\")
s.settimeout(2)
try:
    s.recv(512); print(\"DNSQ answered\")
except OSError as e:
    print(\"DNSQ\", type(e).__name__)'"
	echo "$output" >&2
	q=$(ss -Huln "( sport = :53 )" | grep -F "%$ifn:" | awk '{ n += $2 } END { print n + 0 }')
	assert_output_has "REACH $TESTNET_WWW:80 closed"
	assert_output_has "REACH $NW_GATEWAY:3129 closed"
	assert_output_has "REACH $NW_GATEWAY:22 closed"
	grep -qx "DNSQ answered" <<<"$output" || [ "$q" -gt 0 ]
}

# guard_gone_for ADDR: no XFRM policy names ADDR/32 as its source.
guard_gone_for() {
	! ip xfrm policy list dir in | grep -qF "src $1/32 "
}

# guard_wait_torn_down ID: until the job's detached teardown removed its
# record, the last thing it does.
guard_wait_torn_down() {
	eventually 10 test ! -e "$NW_STATE/jobs/$1" || {
		echo "job $1 still has a record" >&2
		return 1
	}
}

# A teardown takes a job's allowances away one by one, by the selectors of
# the proxy port its record names: a node config that moved the port
# meanwhile changes nothing, and the other job keeps its own four.
@test "guard: a job's allowances go at its teardown, by the port it was set up with" {
	local h1 h2 a1 a2 port
	h1=$(job_id h1)
	h2=$(job_id h2)
	fc_sleeper "$h1" http
	fc_sleeper "$h2" http
	a1=$(job_state_field "$h1" addr)
	a2=$(job_state_field "$h2" addr)
	[ "$(job_state_field "$h1" proxy_port)" = 3128 ]
	ip xfrm policy list dir in | grep -F "src $a1/32 " | grep -q "dport 3128"
	port=$(free_port)
	write_node_config "$NW_CONFIG" --argjson p "$port" '.proxy_port = $p'
	fc_stop "$h1"
	guard_wait_torn_down "$h1"
	ip xfrm policy list dir in >&2
	guard_gone_for "$a1"
	[ "$(ip xfrm policy list dir in | grep -cF "src $a2/32 ")" -eq 4 ]
}

# A record written before the port was kept (no "proxy_port"): the
# teardown finds the job's allowances in a dump of every policy.
@test "guard: a record without the proxy port still loses its allowances at teardown" {
	local h1 h2 a1 sj
	h1=$(job_id h1)
	h2=$(job_id h2)
	fc_sleeper "$h1" http
	fc_sleeper "$h2" http
	a1=$(job_state_field "$h1" addr)
	sj=$NW_STATE/jobs/$h1/state.json
	jq -c 'del(.proxy_port)' "$sj" >"$NW_TMP/old.json"
	mv "$NW_TMP/old.json" "$sj"
	! grep -q proxy_port "$sj"
	[ "$(ip xfrm policy list dir in | grep -cF "src $a1/32 ")" -eq 4 ]
	fc_stop "$h1"
	guard_wait_torn_down "$h1"
	guard_gone_for "$a1"
}

# The block is looked up by its selector at each setup, not dumped: one
# that IPsec tooling replaced with an "allow" is put back as a block (and
# the live jobs get their allowances again), and a subnet-wide allowance
# to the proxy port, which an earlier netward installed and which admitted
# full jobs too, goes.
@test "guard: a setup mends an altered block and removes a subnet-wide allowance" {
	local h1 h2 subnet=${NW_SUBNET_PREFIX}0.0/16
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	ip xfrm policy update dir in src "$subnet" priority "$(printf %d 0x6e71)" action allow
	ip xfrm policy add dir in src "$subnet" dst "$NW_GATEWAY/32" proto tcp dport 3128 \
		priority "$(printf %d 0x6e70)" action allow
	# ip prints no action for "allow".
	! ip xfrm policy get dir in src "$subnet" | grep -q "action block"
	h2=$(job_id h2)
	fc_sleeper "$h2" http
	ip xfrm policy list dir in >&2
	ip xfrm policy get dir in src "$subnet" | grep -q "action block"
	! ip xfrm policy get dir in src "$subnet" dst "$NW_GATEWAY/32" proto tcp dport 3128 \
		>/dev/null 2>&1
	run fc_exec "$h1" 'r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	run fc_exec "$h2" 'r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
}

# The node's config moves proxy_port from P1 to P2 while an http job set up
# with P1 lives, and IPsec tooling flushes the XFRM policies. The next
# setup puts back the block and every live http job's allowances as its
# record says (P1), never the config's P2, so the job's teardown takes
# them all away: once its address is handed out again, a full job there
# reaches no host service on the gateway's P2 with netward's table gone.
@test "guard: after a proxy_port change and an XFRM flush, a job's allowances are put back as it was set up, and go with it" {
	local p1 p2 h1 f1 a1 sub=10.213.78.0/29
	p1=$(free_port)
	p2=$(free_port)
	[ "$p1" != "$p2" ]
	write_node_config "$NW_CONFIG" --argjson p "$p1" --arg s "$sub" '.proxy_port = $p | .subnet = $s'
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	a1=$(job_state_field "$h1" addr)
	[ "$(job_state_field "$h1" proxy_port)" = "$p1" ]
	# The operator moves the proxy port; IPsec tooling flushes.
	write_node_config "$NW_CONFIG" --argjson p "$p2" --arg s "$sub" '.proxy_port = $p | .subnet = $s'
	ip xfrm policy flush
	f1=$(job_id f1)
	fc_sleeper "$f1" full
	ip xfrm policy list dir in >&2
	fc_stop "$h1"
	guard_wait_torn_down "$h1"
	echo "# after $h1's teardown, policies naming $a1:" >&2
	ip xfrm policy list dir in | grep -F "src $a1/32 " >&2 || true
	# 120 s later (the hold-back, simulated): the address is free again,
	# and a full job under the same container id (so its allocation
	# starts where h1's did) gets it.
	touch -d '-300 seconds' "$NW_STATE/addr-held/$a1"
	rm -rf "$NW_TMP/bundle-$h1" "$NW_TMP/$h1.out" "$NW_TMP/shared/$h1.probe"
	fc_sleeper "$h1" full
	[ "$(job_state_field "$h1" mode)" = full ]
	[ "$(job_state_field "$h1" addr)" = "$a1" ]
	host_listener 0.0.0.0 "$p2"
	fc_table_gone
	fc_never_reaches "$h1" "tcp:$NW_GATEWAY:$p2:open"
}

# The same while the job lives: its proxy dies, the monitor takes its
# allowances away (P1), and none for P2 was ever made: with the table gone
# the job reaches no host service on P2.
@test "guard: after a proxy_port change and an XFRM flush, an http job whose proxy died keeps no allowance" {
	local p1 p2 h1 f1 a1
	p1=$(free_port)
	p2=$(free_port)
	[ "$p1" != "$p2" ]
	write_node_config "$NW_CONFIG" --argjson p "$p1" '.proxy_port = $p'
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	write_node_config "$NW_CONFIG" --argjson p "$p2" '.proxy_port = $p'
	ip xfrm policy flush
	f1=$(job_id f1)
	fc_sleeper "$f1" full
	a1=$(job_state_field "$h1" addr)
	fc_kill_proxy "$h1"
	# The monitor takes the job's allowances away once its proxy died.
	eventually 5 guard_gone_for "$a1" || {
		ip xfrm policy list dir in >&2
		false
	}
	host_listener 0.0.0.0 "$p2"
	fc_table_gone
	fc_never_reaches "$h1" "tcp:$NW_GATEWAY:$p2:open"
}

# An earlier netward allowed the whole job subnet TCP to the gateway's
# proxy port. A setup deletes that allowance by its selector (the current
# port); a node whose port moved meanwhile sweeps every node-wide policy
# once, since the guard's routing table is keyed on the port too: with the
# table gone, a full job reaches no host service on the old port.
@test "guard: an earlier netward's subnet-wide allowance goes once the node's proxy port moved" {
	local old f1 h1 subnet=${NW_SUBNET_PREFIX}0.0/16
	old=$(free_port)
	# A job that lived through the upgrade, set up on the old port, and
	# what the earlier netward left for it.
	write_node_config "$NW_CONFIG" --argjson p "$old" '.proxy_port = $p'
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	ip xfrm policy add dir in src "$subnet" dst "$NW_GATEWAY/32" proto tcp dport "$old" \
		priority "$(printf %d 0x6e70)" action allow
	# The upgraded node's config: the default proxy port.
	write_node_config "$NW_CONFIG"
	f1=$(job_id f1)
	fc_sleeper "$f1" full
	ip xfrm policy list dir in >&2
	! ip xfrm policy get dir in src "$subnet" dst "$NW_GATEWAY/32" proto tcp dport "$old" \
		>/dev/null 2>&1
	ip xfrm policy get dir in src "$subnet" | grep -q "action block"
	# The old port free again for a host service: h1's proxy goes.
	fc_stop "$h1"
	guard_wait_torn_down "$h1"
	host_listener 0.0.0.0 "$old"
	fc_table_gone
	fc_never_reaches "$f1" "tcp:$NW_GATEWAY:$old:open"
}
