#!/usr/bin/env bats
# netward when things go wrong: its proxy killed, its hook killed in the
# middle of setting a job up, poststop missing or repeated, its state
# removed under a live job, gc racing jobs, many jobs at once. Each case
# asserts that the job fails closed (no network, never more than its policy)
# and that nothing of it is left behind afterwards.

load helpers
load http_helpers
load bypass_helpers

nw_suite testnet
teardown() {
	local pid
	if [ -n "${NW_TMP:-}" ] && [ -f "$NW_TMP/gcloop.pid" ]; then
		pid=$(cat "$NW_TMP/gcloop.pid")
		kill "$pid" 2>/dev/null || true
	fi
	nw_teardown
}

# fl_bundle ID MODE DOMAINS SCRIPT: a job bundle with the client library
# and the attack tool, patched (hooks, environment) but not run.
fl_bundle() {
	local id=$1 mode=$2 domains=$3 script=$4 b
	b=$(bp_bundle "$id" "$domains" "$script")
	bundle_annotate "$b" io.netward.network "$mode"
	if [ "$mode" != http ]; then
		bundle_jq "$b" 'del(.annotations["io.netward.domains"])'
	fi
	patch_bundle "$b"
	printf '%s\n' "$b"
}

# fl_exec ID SCRIPT: SCRIPT in the running job (its namespace, its
# environment), with the client library and the attack tool loaded.
fl_exec() {
	timeout -k 2 40 runc exec "$1" /bin/sh -c ". /nwt/lib.sh
a() { python3 /nwt/attack.py \"\$@\"; }
$2" </dev/null 2>&1 3>&-
}

# fl_stop ID: kills and deletes a job through runc (poststop runs when the
# bundle has it).
fl_stop() {
	kill_job "$1"
	runc delete --force "$1" 2>/dev/null || true
}

# fl_sleeper ID [MODE]: a detached job that only sleeps; prints nothing.
fl_sleeper() {
	local id=$1 mode=${2:-http} b
	b=$(fl_bundle "$id" "$mode" www.test 'echo STARTED; exec sleep 300')
	run_detached "$b" "$id" "$NW_TMP/$id.out"
	wait_for_text "$NW_TMP/$id.out" STARTED
}

@test "faults: the proxy killed with SIGKILL: the job loses its network, gains nothing, and is cleaned up" {
	local id proxy hostif
	id=$(job_id proxykill)
	fl_sleeper "$id"
	proxy=$(job_state_field "$id" proxy_pid)
	hostif=$(job_state_field "$id" host_if)
	[ -n "$proxy" ] && [ -n "$hostif" ]
	run fl_exec "$id" 'r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	kill -KILL "$proxy"
	local i
	for i in $(seq 1 50); do
		pid_gone "$proxy" && break
		sleep 0.1
	done
	pid_gone "$proxy"
	run fl_exec "$id" '
		r http://www.test/ -m 4
		r http://other.test/ -m 4
		r https://www.test/ -m 4
		a tcp '"$NW_GATEWAY"' 3128
		a tcp '"$TESTNET_WWW"' 80
		a udp '"$TESTNET_DNS"' 53'
	assert_line_has "RESULT http://www.test/ 000" ""
	assert_line_has "RESULT http://other.test/ 000" ""
	assert_line_has "RESULT https://www.test/ 000" ""
	assert_output_has "TCP $NW_GATEWAY:3128 closed"
	assert_output_has "TCP $TESTNET_WWW:80 closed"
	assert_output_lacks "hello from"
	# The firewall stays while the job lives: without its proxy the job
	# has less, never more.
	nft list ruleset | grep -qF "$hostif"
	# The proxy's death is on record.
	for i in $(seq 1 20); do
		grep -qE "proxy (exited|killed)" "$NW_LOG" && break
		sleep 0.1
	done
	grep -E "proxy (exited|killed)" "$NW_LOG"
	fl_stop "$id"
	eventually_clean "$id" 10
}

# fl_reached_origin PID: from PID's network namespace, the test internet's
# web server itself answers. A connection there may meet the job's own
# proxy instead (interception redirects it), whose answers name netward.
fl_reached_origin() {
	local out
	out=$(nsenter -t "$1" -n timeout 2 curl -si --noproxy '*' -m 1 -H 'Host: nw-probe.invalid' \
		"http://$TESTNET_WWW/" 2>/dev/null) || true
	[ -n "$out" ] && ! grep -qi netward <<<"$out"
}

# fl_hook_killed ID PID STATE HOW...: runs `netward prestart` by hand for
# the created container ID (host pid PID) with STATE on stdin, killed with
# SIGKILL as HOW says: "after SECONDS", or "at SYSCALL N" (strace's fault
# injection kills the hook when it makes its Nth SYSCALL: each netlink
# message, nftables transaction, setns, fork and rename of its setup is a
# step). Then `netward gc`, and checks: the job reaches nothing directly;
# either setup had completed (undone by hand for the next round) or nothing
# of the job is left and the container holds only loopback.
fl_hook_killed() {
	local id=$1 pid=$2 st=$3 how=$4 n=$5 hp links rc=0
	if [ "$how" = after ]; then
		"$NETWARD" --config "$NW_CONFIG" prestart <<<"$st" >/dev/null 2>&1 3>&- &
		hp=$!
		sleep "$n"
		kill -KILL "$hp" 2>/dev/null || true
		wait "$hp" 2>/dev/null || rc=$?
	else
		strace -o /dev/null -e trace="$how" -e inject="$how:signal=KILL:when=$n" \
			"$NETWARD" --config "$NW_CONFIG" prestart <<<"$st" >/dev/null 2>&1 3>&- || rc=$?
	fi
	"$NETWARD" --config "$NW_CONFIG" gc </dev/null >/dev/null 2>&1
	if fl_reached_origin "$pid"; then
		echo "hook killed $how $n: the job reached the test internet directly" >&2
		return 1
	fi
	if [ "$(job_state_field "$id" phase)" = ready ]; then
		echo "$how $n: complete (rc $rc)" >>"$NW_TMP/hk-summary"
		[ "$(cat "/proc/$(job_state_field "$id" proxy_pid)/comm" 2>/dev/null)" = netward-proxy ]
		runc state "$id" | "$NETWARD" --config "$NW_CONFIG" poststop >/dev/null 2>&1
		# The rest of its teardown follows poststop, under the node lock.
		nw_settled
	else
		echo "$how $n: killed (rc $rc)" >>"$NW_TMP/hk-summary"
	fi
	links=$(nsenter -t "$pid" -n ip -o link | wc -l)
	if [ "$links" -ne 1 ]; then
		echo "hook killed $how $n, then gc: the container still has $links links:" >&2
		nsenter -t "$pid" -n ip -o link >&2
		return 1
	fi
	local left
	left=$(fl_mine | grep -v '^runc ' || true)
	if [ -n "$left" ]; then
		# A monitor the hook had forked may take a moment to go.
		sleep 1
		left=$(fl_mine | grep -v '^runc ' || true)
	fi
	if [ -n "$left" ]; then
		echo "hook killed $how $n, then gc, left behind:" >&2
		printf '%s\n' "$left" >&2
		return 1
	fi
}

@test "faults: the hook killed with SIGKILL at each step of prestart: fail closed, gc leaves nothing" {
	local id b pid st n sc
	command -v strace >/dev/null || skip "strace is needed to kill the hook at each step"
	id=$(job_id hook)
	b=$(fl_bundle "$id" http www.test 'exec sleep 300')
	bundle_jq "$b" 'del(.hooks)'
	echo "$id" >>"$NW_TMP/ids"
	timeout 20 runc create --bundle "$b" "$id" </dev/null >/dev/null 2>&1 3>&-
	pid=$(runc state "$id" | jq -r .pid)
	[ "$pid" -gt 0 ]
	# The state JSON runc hands its prestart hooks.
	st=$(runc state "$id" | jq -c --slurpfile c "$b/config.json" '{ociVersion, id, pid, bundle,
		status: "creating", annotations: $c[0].annotations}')
	for sc in sendmsg sendto setns rename clone clone3 write; do
		# A bound, not a count: a setup makes a few dozen calls of a
		# kind (more on the first job of a node, which installs the
		# guard and the table); the loop ends at the first complete run.
		for n in $(seq 1 100); do
			fl_hook_killed "$id" "$pid" "$st" "$sc" "$n"
			# Once the hook completed, later counts are the same run.
			tail -n 1 "$NW_TMP/hk-summary" | grep -q complete && break
		done
	done
	for n in 0 0.001 0.002 0.003 0.005 0.008; do
		fl_hook_killed "$id" "$pid" "$st" after "$n"
	done
	awk '{ k[$1] += ($3 == "killed"); n[$1]++ } END { for (s in k) printf "# %s %d of %d runs killed\n", s, k[s], n[s] }' \
		"$NW_TMP/hk-summary" | sort >&3
	# Every kind of step was hit at least once before the end.
	for sc in sendmsg sendto setns rename; do
		grep -q "^$sc 1: killed" "$NW_TMP/hk-summary"
	done
	# ...and each kind was followed to the end of the setup.
	for sc in sendmsg sendto setns rename clone; do
		grep -q "^$sc [0-9]*: complete" "$NW_TMP/hk-summary"
	done
	runc delete --force "$id"
	"$NETWARD" --config "$NW_CONFIG" gc </dev/null >/dev/null 2>&1
	eventually_clean "$id" 10
}

@test "faults: the monitor killed with SIGKILL takes its proxy with it, and the job loses its network" {
	local id proxy mon i
	id=$(job_id monkill)
	fl_sleeper "$id"
	proxy=$(job_state_field "$id" proxy_pid)
	mon=$(job_state_field "$id" monitor_pid)
	[ -n "$proxy" ] && [ -n "$mon" ]
	# The proxy runs under its own uid: the kernel clears a parent-death
	# signal at such a change, so the sandbox sets it again.
	grep -qE '^Uid:\s+[1-9]' "/proc/$proxy/status"
	kill -KILL "$mon"
	for i in $(seq 1 50); do
		pid_gone "$proxy" && break
		sleep 0.1
	done
	pid_gone "$proxy" || {
		echo "the proxy $proxy outlived its monitor $mon" >&2
		false
	}
	run fl_exec "$id" '
		r http://www.test/ -m 4
		a tcp '"$TESTNET_WWW"' 80'
	assert_line_has "RESULT http://www.test/ 000" ""
	assert_output_has "TCP $TESTNET_WWW:80 closed"
	assert_output_lacks "hello from"
	fl_stop "$id"
	eventually_clean "$id" 10
}

@test "faults: poststop never called (full and http): the monitor cleans up after runc delete --force" {
	local id mode b
	for mode in full http; do
		id=$(job_id "nopost$mode")
		b=$(fl_bundle "$id" "$mode" www.test 'echo STARTED; exec sleep 300')
		bundle_jq "$b" 'del(.hooks.poststop)'
		[ "$(jq '.hooks.poststop | length' "$b/config.json")" -eq 0 ]
		run_detached "$b" "$id" "$NW_TMP/$id.out"
		wait_for_text "$NW_TMP/$id.out" STARTED
		[ -e "$NW_STATE/jobs/$id/state.json" ]
		runc delete --force "$id"
		eventually_clean "$id" 15
	done
}

@test "faults: poststop called twice (and for an unknown id) is idempotent and exits 0" {
	local id st hostif proxy mon
	id=$(job_id twice)
	fl_sleeper "$id"
	hostif=$(job_state_field "$id" host_if)
	proxy=$(job_state_field "$id" proxy_pid)
	mon=$(job_state_field "$id" monitor_pid)
	st=$(runc state "$id")
	run "$NETWARD" --config "$NW_CONFIG" poststop <<<"$st"
	assert_success
	# The first poststop took the job's network away at once: its link
	# down, its monitor and proxy killed; the rest of its teardown follows.
	assert_cut_off "$hostif" "$proxy" "$mon"
	run "$NETWARD" --config "$NW_CONFIG" poststop <<<"$st"
	assert_success
	# The second waited for the first's teardown to end.
	assert_link_gone "$hostif"
	run fl_exec "$id" 'r http://www.test/ -m 3; a tcp '"$TESTNET_WWW"' 80'
	assert_line_has "RESULT http://www.test/ 000" ""
	assert_output_has "TCP $TESTNET_WWW:80 closed"
	run "$NETWARD" --config "$NW_CONFIG" poststop <<<'{"ociVersion":"1.0.2","id":"nwt-never-existed","status":"stopped","bundle":"/nonexistent"}'
	assert_success
	# runc's own poststop is the third.
	fl_stop "$id"
	eventually_clean "$id" 10
}

@test "faults: a name a full job's unfinished teardown left in full_ifs gives the next http job nothing" {
	local id b hostif
	id=$(job_id stalefull)
	b=$(fl_bundle "$id" http www.test 'echo STARTED; exec sleep 300')
	run_detached "$b" "$id" "$NW_TMP/$id.out"
	wait_for_text "$NW_TMP/$id.out" STARTED
	hostif=$(job_state_field "$id" host_if)
	[ -n "$hostif" ]
	fl_stop "$id"
	eventually_clean "$id" 10
	# What a full job of that name whose teardown never ran would leave.
	nft add element inet netward full_ifs "{ \"$hostif\" }"
	run_detached "$b" "$id" "$NW_TMP/$id.out2"
	wait_for_text "$NW_TMP/$id.out2" STARTED
	# The same container id gets the same name back.
	[ "$(job_state_field "$id" host_if)" = "$hostif" ]
	nft list set inet netward full_ifs | grep -qF "\"$hostif\""
	# In http_ifs and full_ifs at once: neither the proxy nor anything routed.
	run fl_exec "$id" 'r http://www.test/ -m 3; a tcp '"$TESTNET_WWW"' 80; a udp '"$TESTNET_WWW"' 53'
	assert_line_has "RESULT http://www.test/ 000" ""
	assert_output_has "TCP $TESTNET_WWW:80 closed"
	assert_output_has "UDP $TESTNET_WWW:53 sent noreply"
	# Its teardown takes the name out of every set, the stale one too.
	fl_stop "$id"
	eventually_clean "$id" 10
	local sets
	sets=$(nft -j list sets table inet netward)
	if jq -e --arg n "$hostif" '[.nftables[].set? | select(.) | (.elem // [])[]] | any(. == $n)' \
		<<<"$sets" >/dev/null; then
		echo "teardown left $hostif in a set: $sets" >&2
		false
	fi
}

@test "faults: the state entry removed under a live job: no network gained, gc removes its link and table" {
	local id hostif
	id=$(job_id rmstate)
	fl_sleeper "$id"
	hostif=$(job_state_field "$id" host_if)
	[ -n "$hostif" ]
	rm -rf "${NW_STATE:?}/jobs/$id"
	run fl_exec "$id" '
		r http://other.test/ -m 4
		a tcp '"$TESTNET_WWW"' 80
		a udp '"$TESTNET_WWW"' 53'
	assert_output_lacks "hello from other.test"
	# Still filtered: a direct connection meets at most its own proxy.
	if fl_reached_origin "$(runc state "$id" | jq -r .pid)"; then
		echo "the job reached $TESTNET_WWW directly" >&2
		false
	fi
	"$NETWARD" --config "$NW_CONFIG" gc </dev/null
	assert_link_gone "$hostif" rules
	run fl_exec "$id" 'r http://www.test/ -m 3; a tcp '"$TESTNET_WWW"' 80'
	assert_line_has "RESULT http://www.test/ 000" ""
	assert_output_has "TCP $TESTNET_WWW:80 closed"
	fl_stop "$id"
	eventually_clean "$id" 15
}

@test "faults: netward gc in a loop while http jobs start, fetch and stop" {
	local round i id b
	(
		while :; do
			"$NETWARD" --config "$NW_CONFIG" gc </dev/null >/dev/null 2>&1
			sleep 0.05
		done
	) 3>&- &
	echo "$!" >"$NW_TMP/gcloop.pid"
	for round in 1 2; do
		for i in 1 2 3 4; do
			id=$(job_id "gc$round-$i")
			b=$(fl_bundle "$id" http www.test 'r http://www.test/; r http://other.test/')
			run_job_bg "$b" "$id"
		done
		wait_jobs
	done
	kill "$(cat "$NW_TMP/gcloop.pid")"
	for f in "$NW_TMP"/gc*.out; do
		output=$(cat "$f")
		status=0
		assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
		assert_line_has "RESULT http://other.test/ 403 " "netward: "
	done
	while read -r id; do
		eventually_clean "$id" 10
	done <"$NW_TMP/ids"
}

# run_job_bg BUNDLE ID: runc run in the background, output in NW_TMP/ID.out.
run_job_bg() {
	echo "$2" >>"$NW_TMP/ids"
	timeout -k 5 "$NW_JOB_TIMEOUT" runc run --bundle "$1" "$2" </dev/null >"$NW_TMP/${2#nwt-*-*-}.out" 2>&1 3>&- &
	echo "$!" >>"$NW_TMP/bgjobs"
}

wait_jobs() {
	local p
	while read -r p; do wait "$p" || true; done <"$NW_TMP/bgjobs"
	: >"$NW_TMP/bgjobs"
}

# What this test's jobs could have left on the node: links, tables and
# ruleset references not in the baseline and of no other live job, state
# entries and address files of this test's ids, netward processes started
# with this test's config. Other users of the machine are not counted.
fl_mine() {
	local prefix f p
	prefix=$(job_id "")
	nw_leftovers | sed 's/^/node /'
	for f in "$NW_STATE"/jobs/"$prefix"*; do
		[ -e "$f" ] && echo "state ${f##*/}"
	done
	for f in "$NW_STATE"/addr/*; do
		[ -e "$f" ] || continue
		grep -qF -- "$prefix" "$f" 2>/dev/null && echo "addr ${f##*/} $(cat "$f")"
	done
	for p in $(pgrep '^netward' || true); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -F -- "$NW_CONFIG" | sed "s/^/proc $p /"
	done
	runc list -q 2>/dev/null | grep -F -- "$prefix" | sed 's/^/runc /'
	return 0
}

@test "faults: 50 http jobs started and stopped at once, twice, leave the node as it was" {
	local round i id t up left
	[ -z "$(fl_mine)" ]
	t=$NW_TMP/template
	make_bundle "$t" /busybox sleep 300
	bundle_annotate "$t" io.netward.network http
	bundle_annotate "$t" io.netward.domains www.test
	patch_bundle "$t"
	for round in 1 2; do
		for i in $(seq 1 50); do
			id=$(job_id "m$round-$i")
			cp -a "$t" "$NW_TMP/b-$id"
			echo "$id" >>"$NW_TMP/ids"
		done
		for i in $(seq 1 50); do
			id=$(job_id "m$round-$i")
			(timeout -k 5 60 runc run -d --bundle "$NW_TMP/b-$id" "$id" </dev/null >"$NW_TMP/$id.out" 2>&1 3>&-) &
		done
		wait
		up=0
		for i in $(seq 1 50); do
			id=$(job_id "m$round-$i")
			[ "$(job_state_field "$id" phase)" = ready ] && up=$((up + 1))
		done
		echo "# round $round: $up of 50 jobs up" >&3
		if [ "$up" -ne 50 ]; then
			for i in $(seq 1 50); do
				id=$(job_id "m$round-$i")
				[ -s "$NW_TMP/$id.out" ] && sed "s/^/$id: /" "$NW_TMP/$id.out" >&2
			done
			false
		fi
		for i in $(seq 1 50); do
			(runc delete --force "$(job_id "m$round-$i")" >/dev/null 2>&1 3>&-) &
		done
		wait
	done
	for i in $(seq 1 100); do
		left=$(fl_mine)
		[ -z "$left" ] && break
		sleep 0.2
	done
	if [ -n "$left" ]; then
		echo "left behind:" >&2
		printf '%s\n' "$left" >&2
		false
	fi
}
