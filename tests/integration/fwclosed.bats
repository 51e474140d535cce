#!/usr/bin/env bats
# netward when the node changes under it: its nftables table flushed or
# deleted, its watcher stopped, a dead proxy's port taken, addresses
# handed out again, ICMP forged about other jobs' connections, ARP asked
# for the node's addresses, and full jobs facing the node's other local
# networks. Each attack comes from a real runc container; each case fails
# closed: no job ever reaches more than its mode allows.

load helpers
load http_helpers
load fwclosed_helpers

setup_file() { nw_setup_file; }
teardown_file() { nw_teardown_file; }
setup() {
	nw_ensure_testnet
	nw_setup
	mkdir -p "$NW_TMP/shared"
	chmod 1777 "$NW_TMP/shared"
}
teardown() {
	fc_watcher_cont
	fc_restore_ruleset
	nw_teardown
	fc_assert_guard_gone
}

@test "fwclosed: nft flush ruleset while http and full jobs run: nothing new is reached, and the table comes back with every job" {
	local port h1 f1 hif fif haddr t0 ms
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	h1=$(job_id h1)
	f1=$(job_id f1)
	fc_sleeper "$h1" http
	fc_sleeper "$f1" full
	hif=$(job_state_field "$h1" host_if)
	fif=$(job_state_field "$f1" host_if)
	haddr=$(job_state_field "$h1" addr)
	fc_probe "$h1" "tcp:$NW_GATEWAY:$port" "tcp:$TESTNET_HOST_ADDR:$port" \
		"tcp:$TESTNET_WWW:80" "udp:$TESTNET_DNS:53"
	fc_probe "$f1" "tcp:$NW_GATEWAY:$port" "tcp:$TESTNET_HOST_ADDR:$port" \
		"tcp:$haddr:3128" "tcp:$NW_GATEWAY:3128"
	fc_rounds "$h1" 3
	fc_rounds "$f1" 3
	fc_save_ruleset
	t0=$(date +%s%N)
	nft flush ruleset
	fc_wait_table_with "$hif" "$fif"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# repaired in $ms ms"
	fc_restore_ruleset
	# Probes go on after the repair, then stop.
	fc_rounds_more "$h1" 5
	fc_rounds_more "$f1" 5
	fc_stop_probes
	fc_assert_never_reached "$h1"
	fc_assert_never_reached "$f1"
	# Every job is filtered again, and still has its own network.
	nft list set inet netward http_ifs | grep -qF "\"$hif\""
	nft list set inet netward full_ifs | grep -qF "\"$fif\""
	run fc_exec "$h1" 'r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	run fc_exec "$f1" "reach $TESTNET_WWW 80; reach $NW_GATEWAY $port; reach $haddr 3128"
	assert_output_has "REACH $TESTNET_WWW:80 open"
	assert_output_has "REACH $NW_GATEWAY:$port closed"
	assert_output_has "REACH $haddr:3128 closed"
	grep -q "written again with every live job" "$NW_LOG"
}

@test "fwclosed: with the watcher stopped, the guard alone keeps jobs closed while the table is gone" {
	local port h1 f1 haddr
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	h1=$(job_id h1)
	f1=$(job_id f1)
	fc_sleeper "$h1" http
	fc_sleeper "$f1" full
	haddr=$(job_state_field "$h1" addr)
	fc_watcher_stop
	nft delete table inet netward
	! nft list table inet netward >/dev/null 2>&1
	fc_probe "$h1" "tcp:$NW_GATEWAY:$port" "tcp:$TESTNET_HOST_ADDR:$port" \
		"tcp:$TESTNET_WWW:80" "udp:$TESTNET_DNS:53" "tcp:$NW_GATEWAY:22"
	fc_probe "$f1" "tcp:$NW_GATEWAY:$port" "tcp:$TESTNET_HOST_ADDR:$port" \
		"tcp:$haddr:3128" "udp:$NW_GATEWAY:53"
	fc_rounds "$h1" 8
	fc_rounds "$f1" 8
	fc_stop_probes
	fc_assert_never_reached "$h1"
	fc_assert_never_reached "$f1"
	fc_watcher_cont
	fc_wait_table_with "$(job_state_field "$h1" host_if)" "$(job_state_field "$f1" host_if)"
}

@test "fwclosed: nft delete table inet netward, then a new job: every job is in the table again" {
	local h1 h2 port
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	h1=$(job_id h1)
	h2=$(job_id h2)
	fc_sleeper "$h1" http
	fc_watcher_stop
	nft delete table inet netward
	# The new job's install finds no table and writes it with both jobs.
	fc_sleeper "$h2" http
	nft list set inet netward http_ifs | grep -qF "\"$(job_state_field "$h1" host_if)\""
	nft list set inet netward http_ifs | grep -qF "\"$(job_state_field "$h2" host_if)\""
	fc_watcher_cont
	run fc_exec "$h1" "reach $NW_GATEWAY $port; reach $TESTNET_WWW 80; r http://www.test/"
	assert_output_has "REACH $NW_GATEWAY:$port closed"
	assert_output_has "REACH $TESTNET_WWW:80 closed"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
}

@test "fwclosed: nft flush table inet netward: the watcher writes the chains again" {
	local h1 port i
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	nft flush table inet netward
	for i in $(seq 1 30); do
		nft list chain inet netward input 2>/dev/null | grep -q 'socket mark' && break
		sleep 0.1
	done
	nft list chain inet netward input | grep -q 'socket mark'
	nft list set inet netward http_ifs | grep -qF "\"$(job_state_field "$h1" host_if)\""
	run fc_exec "$h1" "reach $NW_GATEWAY $port; r http://www.test/"
	assert_output_has "REACH $NW_GATEWAY:$port closed"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
}
