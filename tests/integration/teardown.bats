#!/usr/bin/env bats
# Teardown after poststop: poststop returns once the job is cut off (its
# link down, its monitor and proxy killed) and leaves the rest to a detached
# process that holds the node lock until it is done. Each case asserts what
# holds when poststop returns, what holds while that process has not done
# its work (killed before it could), and that nothing is left afterwards.

load helpers
load http_helpers

nw_suite testnet

# td_http ID: an http job that has fetched through its proxy (so that its
# address has conntrack entries) and then sleeps.
td_http() {
	local id=$1 b
	b=$(http_bundle "$id" www.test 'r http://www.test/; echo FETCHED; exec sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/$id.out"
	wait_for_text "$NW_TMP/$id.out" FETCHED 30
}

# td_full ID: a full job that only sleeps, holding an address.
td_full() {
	local id=$1 b
	b=$(job_bundle "$id" full -- /bin/sh -c 'echo STARTED; exec sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/$id.out"
	wait_for_text "$NW_TMP/$id.out" STARTED 30
}

# td_stop ID...: the containers killed and deleted (their poststop runs).
td_stop() {
	local id
	for id in "$@"; do
		kill_job "$id"
		runc delete --force "$id" 2>/dev/null || true
	done
}

# td_conntrack ADDR: the conntrack entries naming ADDR.
td_conntrack() {
	grep -F "=$1 " /proc/net/nf_conntrack || true
}

@test "teardown: poststop returns once the job is cut off; the rest follows under the node lock and leaves gc nothing" {
	local id hostif proxy mon addr
	id=$(job_id cut)
	td_http "$id"
	hostif=$(job_state_field "$id" host_if)
	proxy=$(job_state_field "$id" proxy_pid)
	mon=$(job_state_field "$id" monitor_pid)
	addr=$(job_state_field "$id" addr)
	[ -n "$(td_conntrack "$addr")" ]
	run "$NETWARD" --config "$NW_CONFIG" poststop <<<"$(runc state "$id")"
	assert_success
	assert_cut_off "$hostif" "$proxy" "$mon"
	# gc takes the node lock, so it comes after the teardown: the teardown
	# did everything itself and left gc nothing.
	run "$NETWARD" --config "$NW_CONFIG" gc </dev/null
	assert_success
	assert_output_has "gc: removed 0 job(s), the firewall state of 0 interface(s), 0 link(s), 0 address(es), 0 proxy uid(s)"
	[ ! -e "$NW_STATE/jobs/$id" ]
	assert_link_gone "$hostif" rules
	[ -z "$(td_conntrack "$addr")" ]
	[ -e "$NW_STATE/addr-held/$addr" ]
	pid_gone "$proxy"
	pid_gone "$mon"
	td_stop "$id"
	assert_clean "$id"
}

@test "teardown: its process killed before it did anything: the job stays cut off, its address goes to no other job until gc has flushed its conntrack" {
	local a b p i hostif proxy mon aaddr bdir
	command -v strace >/dev/null || skip "strace is needed to kill the teardown's process"
	# Six addresses: five placeholders and A hold them all, so a job set up
	# while A's address is not free gets none.
	write_node_config "$NW_CONFIG" '.subnet = "10.213.77.0/29"'
	for i in 1 2 3 4 5; do
		p=$(job_id "p$i")
		td_full "$p"
	done
	a=$(job_id a)
	td_http "$a"
	hostif=$(job_state_field "$a" host_if)
	proxy=$(job_state_field "$a" proxy_pid)
	mon=$(job_state_field "$a" monitor_pid)
	aaddr=$(job_state_field "$a" addr)
	[ -n "$(td_conntrack "$aaddr")" ]
	# strace follows poststop into the process it leaves the teardown to
	# and kills that one as it starts (its setsid: nothing else poststop
	# runs calls it).
	run strace -f -o "$NW_TMP/strace" -e trace=setsid -e inject=setsid:signal=KILL \
		"$NETWARD" --config "$NW_CONFIG" poststop <<<"$(runc state "$a")"
	assert_success
	# poststop itself succeeded; the process that called setsid was killed.
	grep -q '^[0-9]* *setsid()' "$NW_TMP/strace" && grep -q '+++ killed by SIGKILL +++' "$NW_TMP/strace" || {
		cat "$NW_TMP/strace" >&2
		false
	}
	assert_cut_off "$hostif" "$proxy" "$mon"
	# The container ends, as it would have before a runtime's poststop.
	kill_job "$a"
	# Nothing of the rest was done: the record, the address (still A's, not
	# held back for reuse) and its conntrack entries are there.
	[ -e "$NW_STATE/jobs/$a/state.json" ]
	[ "$(cat "$NW_STATE/addr/$aaddr")" = "$a" ]
	[ ! -e "$NW_STATE/addr-held/$aaddr" ]
	[ -n "$(td_conntrack "$aaddr")" ]
	# The lock went with the killed process, and A's address with its
	# conntrack entries goes to no other job: the subnet has none free.
	b=$(job_id b)
	bdir=$(job_bundle "$b" full -- /bin/true)
	run run_job "$bdir" "$b"
	[ "$status" -ne 0 ]
	assert_output_has "no free address left"
	# gc finishes the teardown: conntrack flushed, then the address held back.
	run "$NETWARD" --config "$NW_CONFIG" gc </dev/null
	assert_success
	assert_output_has "gc: removed 1 job(s)"
	[ ! -e "$NW_STATE/jobs/$a" ]
	assert_link_gone "$hostif" rules
	[ -z "$(td_conntrack "$aaddr")" ]
	[ -e "$NW_STATE/addr-held/$aaddr" ]
	[ ! -e "$NW_STATE/addr/$aaddr" ]
	pid_gone "$proxy"
	pid_gone "$mon"
	td_stop "$a"
	for i in 1 2 3 4 5; do
		td_stop "$(job_id "p$i")"
	done
	assert_clean "$a"
}

@test "teardown: a process the job's record does not name, left in its cgroup, is killed and the group removed" {
	local id h mnt stray
	h=$(memory_hierarchy) || skip "no cgroup hierarchy with the memory controller"
	mnt=${h#* }
	id=$(job_id stray)
	td_http "$id"
	[ -d "$mnt/netward/$id" ]
	# What a proxy forked after its hook was killed would be: in the group,
	# named by no record.
	sleep 300 </dev/null >/dev/null 2>&1 3>&- &
	stray=$!
	echo "$stray" >>"$NW_TMP/pids"
	echo "$stray" >"$mnt/netward/$id/cgroup.procs"
	td_stop "$id"
	assert_clean "$id"
	pid_gone "$stray"
	[ ! -e "$mnt/netward/$id" ]
}

@test "teardown: gc leaves a job cgroup no record names alone for its first minute (a setup under way in a netward with another /run), then removes it" {
	local h mnt id
	h=$(memory_hierarchy) || skip "no cgroup hierarchy with the memory controller"
	mnt=${h#* }
	id=$(job_id foreign)
	mkdir -p "$mnt/netward/$id"
	"$NETWARD" --config "$NW_CONFIG" gc </dev/null >/dev/null
	[ -d "$mnt/netward/$id" ] || {
		echo "gc removed a group created a moment ago" >&2
		false
	}
	# hook/cgroup.c CGROUP_GC_MIN_AGE_S is 60.
	touch -d '61 seconds ago' "$mnt/netward/$id"
	"$NETWARD" --config "$NW_CONFIG" gc </dev/null >/dev/null
	[ ! -e "$mnt/netward/$id" ]
}

@test "teardown: poststop does not wait for the node lock while the job's monitor is tearing the job down, and waits otherwise" {
	local id st holder rc mon
	id=$(job_id ending)
	td_http "$id"
	st=$(runc state "$id")
	# The lock taken, as the monitor's teardown takes it.
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(60)' "$NW_STATE/lock" </dev/null >/dev/null 2>&1 3>&- &
	holder=$!
	echo "$holder" >>"$NW_TMP/pids"
	for _ in $(seq 1 50); do
		flock -n "$NW_STATE/lock" true || break
		sleep 0.1
	done
	! flock -n "$NW_STATE/lock" true
	# A record that says nothing of a teardown: poststop waits for the lock.
	rc=0
	timeout 2 "$NETWARD" --config "$NW_CONFIG" poststop <<<"$st" || rc=$?
	[ "$rc" -eq 124 ] || {
		echo "poststop did not wait for the lock (exit $rc)" >&2
		false
	}
	# What the job's monitor writes before its teardown, its link gone and
	# its proxy killed: poststop has nothing to wait for.
	jq -c '.phase = "ending"' "$NW_STATE/jobs/$id/state.json" >"$NW_TMP/ending.json"
	mv "$NW_TMP/ending.json" "$NW_STATE/jobs/$id/state.json"
	run timeout 2 "$NETWARD" --config "$NW_CONFIG" poststop <<<"$st"
	assert_success
	# A monitor that died in its teardown does not count: poststop waits.
	mon=$(job_state_field "$id" monitor_pid)
	kill -KILL "$mon"
	for _ in $(seq 1 50); do
		pid_gone "$mon" && break
		sleep 0.1
	done
	pid_gone "$mon"
	rc=0
	timeout 2 "$NETWARD" --config "$NW_CONFIG" poststop <<<"$st" || rc=$?
	[ "$rc" -eq 124 ]
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	# With the lock free, the record's teardown is done by poststop.
	run "$NETWARD" --config "$NW_CONFIG" poststop <<<"$st"
	assert_success
	td_stop "$id"
	assert_clean "$id"
}
