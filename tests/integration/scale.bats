#!/usr/bin/env bats
# Many http jobs alive at once: each set up in about the time of the first,
# and all of them torn down leaving nothing of theirs on the node. `make
# bench` does the same with 1000 jobs and reports the times; this suite
# checks it with fewer.

load helpers
load http_helpers

# Jobs alive at once here (the bench's scale row runs 1000).
SCALE_JOBS=${NW_SCALE_JOBS:-50}
# The issue's target for the last jobs' setup against the first ones'.
SCALE_RATIO=1.5

nw_suite testnet

# median FILE FIRST COUNT: the median of COUNT lines of FILE from line FIRST.
median() {
	tail -n +"$2" "$1" | head -n "$3" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

# node_snapshot DIR: what the node holds now, once for all jobs: the
# ruleset, XFRM policies, routes, conntrack, every process's network
# namespace and uids/gids.
node_snapshot() {
	local d=$1
	mkdir -p "$d"
	nft list ruleset >"$d/ruleset" 2>/dev/null
	ip xfrm policy >"$d/xfrm" 2>/dev/null
	ip route show table all >"$d/routes" 2>/dev/null
	cat /proc/net/nf_conntrack >"$d/conntrack" 2>/dev/null
	ip -o link show >"$d/links" 2>/dev/null
	readlink /proc/[0-9]*/ns/net 2>/dev/null | sort -u >"$d/netns"
	awk '$1 == "Uid:" || $1 == "Gid:" {print $2; print $3; print $4; print $5}' \
		/proc/[0-9]*/status 2>/dev/null | sort -u >"$d/ids"
}

# job_leftovers DIR ID ADDR HOSTIF UID NETNS: what of this job's the
# snapshot in DIR still shows, one line each.
job_leftovers() {
	local d=$1 id=$2 addr=$3 hostif=$4 uid=$5 netns=$6 mnt
	[ -e "$NW_STATE/jobs/$id" ] && echo "state entry $id"
	grep -qE -- ": $hostif[@:]" "$d/links" && echo "link $hostif"
	grep -qw -- "$hostif" "$d/ruleset" && echo "nft element or chain naming $hostif"
	grep -qF -- "$addr/32" "$d/xfrm" && echo "XFRM policy for $addr/32"
	grep -qE -- "(^|[^0-9.])${addr//./\\.}([^0-9]|$)" "$d/routes" && echo "route to $addr"
	grep -qF -- "=$addr " "$d/conntrack" && echo "conntrack entry of $addr"
	grep -rqxF -- "$id" "$NW_STATE/addr" 2>/dev/null && echo "address allocation of $id"
	grep -qxF -- "$id" "$NW_STATE/uids/$uid" 2>/dev/null && echo "uid allocation $uid"
	grep -qxF -- "$uid" "$d/ids" && echo "a process holding uid $uid"
	grep -qxF -- "$netns" "$d/netns" && echo "a process in the job's network namespace $netns"
	for mnt in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
		[ -e "$mnt/netward/$id" ] && echo "cgroup $mnt/netward/$id"
	done
	runc state "$id" >/dev/null 2>&1 && echo "runc container $id"
	return 0
}

# all_leftovers DIR: node_snapshot, then every recorded job's leftovers.
all_leftovers() {
	local id addr hostif uid netns
	node_snapshot "$1"
	while read -r id addr hostif uid netns; do
		job_leftovers "$1" "$id" "$addr" "$hostif" "$uid" "$netns" | sed "s/^/left behind by $id: /"
	done <"$NW_TMP/jobs"
}

@test "scale: $SCALE_JOBS http jobs alive at once, the last set up within ${SCALE_RATIO}x of the first, all torn down leaving nothing" {
	local b i id t0 t1 first last pid alive=0
	b=$(http_bundle "$(job_id shared)" www.test 'sleep 600')
	patch_bundle "$b"
	: >"$NW_TMP/times"
	: >"$NW_TMP/jobs"
	for i in $(seq 1 "$SCALE_JOBS"); do
		id=$(job_id "s$i")
		t0=$(date +%s%N)
		run_detached "$b" "$id" "$NW_TMP/run.out" || {
			cat "$NW_TMP/run.out" >&2
			return 1
		}
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >>"$NW_TMP/times"
		pid=$(runc state "$id" | jq -r .pid)
		printf '%s %s %s %s %s\n' "$id" "$(job_state_field "$id" addr)" \
			"$(job_state_field "$id" host_if)" "$(job_state_field "$id" proxy_uid)" \
			"$(readlink "/proc/$pid/ns/net")" >>"$NW_TMP/jobs"
	done
	# All alive together, each with its proxy.
	while read -r id _ _ _ _; do
		pid=$(job_state_field "$id" proxy_pid)
		[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = netward-proxy ] && alive=$((alive + 1))
	done <"$NW_TMP/jobs"
	echo "jobs with a live proxy: $alive of $SCALE_JOBS" >&2
	[ "$alive" -eq "$SCALE_JOBS" ]
	first=$(median "$NW_TMP/times" 1 5)
	last=$(median "$NW_TMP/times" $((SCALE_JOBS - 4)) 5)
	echo "setup, median of the first 5: $first us, of the last 5: $last us" >&2
	awk -v f="$first" -v l="$last" -v r="$SCALE_RATIO" 'BEGIN {exit !(l <= r * f)}'
	while read -r id _ _ _ _; do
		runc delete --force "$id" >/dev/null 2>&1
	done <"$NW_TMP/jobs"
	# Teardown is poststop's and the process it leaves, done once the node
	# lock is free; the kernel may still be freeing a namespace or reaping
	# a killed proxy, so the node gets a few seconds to show it.
	nw_settled
	for _ in $(seq 1 10); do
		all_leftovers "$NW_TMP/snap" >"$NW_TMP/left"
		[ -s "$NW_TMP/left" ] || break
		sleep 0.5
	done
	cat "$NW_TMP/left" >&2
	[ ! -s "$NW_TMP/left" ]
	assert_clean "$(job_id s1)"
}

# The monitor's periodic check of its link, hook/monitor.c LINK_RECHECK_S.
LINK_RECHECK_S=5

@test "scale: a job's monitor is not woken by other jobs' setup and teardown" {
	local b a mon before after t0 t1 ticks i id
	b=$(http_bundle "$(job_id shared)" www.test 'sleep 600')
	patch_bundle "$b"
	a=$(job_id watched)
	run_detached "$b" "$a" "$NW_TMP/run.out"
	mon=$(job_state_field "$a" monitor_pid)
	[ -n "$mon" ]
	t0=$(date +%s%N)
	before=$(awk '$1 == "voluntary_ctxt_switches:" {print $2}' "/proc/$mon/status")
	# Each setup and teardown of another job sends several link messages
	# (the veth created, moved, brought up, deleted).
	for i in 1 2 3 4; do
		id=$(job_id "other$i")
		run_detached "$b" "$id" "$NW_TMP/run.out"
		runc delete --force "$id" >/dev/null
	done
	after=$(awk '$1 == "voluntary_ctxt_switches:" {print $2}' "/proc/$mon/status")
	t1=$(date +%s%N)
	# What may wake it meanwhile: its own timer, once per period begun.
	ticks=$(((t1 - t0) / 1000000000 / LINK_RECHECK_S + 1))
	echo "monitor $mon: $((after - before)) wakeups during 4 other jobs, $ticks timer ticks allowed" >&2
	[ $((after - before)) -le "$ticks" ]
	# It still sees its own link go at once.
	runc delete --force "$a" >/dev/null
	eventually_clean "$a" 10
}
