#!/usr/bin/env bats
# The job's side of the node: bundles that were never patched, the same
# container id under two runtime roots, what the proxy holds (descriptors,
# cgroup, a uid of its own).

load helpers
load http_helpers

nw_suite testnet
setup() {
	nw_suite_setup
	: >"$NW_TMP/roots"
}
teardown() {
	local root id f
	for f in "$NW_TMP"/hold-*.pid; do
		[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	# Containers under this test's own runtime roots.
	while read -r root id; do
		runc --root "$root" delete --force "$id" >/dev/null 2>&1 || true
	done <"$NW_TMP/roots"
	nw_teardown
}

# hand_hooks BUNDLE: netward's prestart and poststop hooks added by hand,
# as an operator might, without `netward patch-bundle`.
hand_hooks() {
	bundle_jq "$1" --arg nw "$NETWARD" --arg cfg "$NW_CONFIG" '
		.hooks.prestart = [{path: $nw, args: [$nw, "--config", $cfg, "prestart"]}]
		| .hooks.poststop = [{path: $nw, args: [$nw, "--config", $cfg, "poststop"]}]
		| .linux.namespaces |= map(select(.type != "network")) + [{type: "network"}]'
}

unpatched() {
	local mode=$1 id b domains=
	id=$(job_id "unpatched-$mode")
	[ "$mode" = http ] && domains=www.test
	b=$(job_bundle "$id" "$mode" $domains -- /bin/sh -c 'echo JOB-RAN')
	hand_hooks "$b"
	run runc_run "$b" "$id"
	assert_refused "$id" "seccomp additions"
	assert_output_has "patch-bundle"
}

@test "unpatched bundle: an http job with hand-added hooks is refused with the reason" {
	unpatched http
}

@test "unpatched bundle: a full job with hand-added hooks is refused with the reason" {
	unpatched full
}

@test "unpatched bundle: a none job with hand-added hooks is refused with the reason" {
	unpatched none
}

# rrun ROOT ARGS...: runc under runtime root ROOT (teardown deletes the
# container there).
rrun() {
	local root=$1
	shift
	timeout -k 5 "$NW_JOB_TIMEOUT" runc --root "$root" "$@" </dev/null 3>&-
}

# A poststop as a runtime would run it, with the state on stdin.
poststop_for() {
	jq -n --arg id "$1" --arg b "$2" '{ociVersion: "1.0.2", id: $id, status: "stopped", bundle: $b}' |
		"$NETWARD" --config "$NW_CONFIG" poststop
}

@test "two runtime roots: the same id under a second root is refused, the first job keeps its network" {
	local id b1 b2 rootA=$NW_TMP/rootA rootB=$NW_TMP/rootB hostif proxy pid
	id=$(job_id twin)
	printf '%s %s\n%s %s\n' "$rootA" "$id" "$rootB" "$id" >>"$NW_TMP/roots"
	b1=$(http_bundle "$id" www.test 'echo STARTED; sleep 120')
	patch_bundle "$b1"
	b2=$NW_TMP/bundle-second
	make_bundle "$b2" /bin/sh -c 'echo JOB-RAN'
	bundle_annotate "$b2" io.netward.network http
	bundle_annotate "$b2" io.netward.domains www.test
	patch_bundle "$b2"
	rrun "$rootA" run -d --bundle "$b1" "$id" >"$NW_TMP/first.out" 2>&1
	hostif=$(job_state_field "$id" host_if)
	proxy=$(job_state_field "$id" proxy_pid)
	pid=$(job_state_field "$id" pid)
	[ -n "$hostif" ] && [ -n "$proxy" ] && [ -n "$pid" ]

	run rrun "$rootB" run --bundle "$b2" "$id"
	[ "$status" -ne 0 ]
	assert_output_has "netward: "
	assert_output_has "already belongs to a live netward job"
	assert_output_lacks "JOB-RAN"

	# The refused second's poststop, and one naming the first's bundle while
	# the first still runs: neither touches the first job.
	run poststop_for "$id" "$b2"
	assert_success
	run poststop_for "$id" "$b1"
	assert_success
	[ "$(job_state_field "$id" proxy_pid)" = "$proxy" ]
	[ "$(job_state_field "$id" pid)" = "$pid" ]
	[ "$(cat "/proc/$proxy/comm" 2>/dev/null)" = netward-proxy ]
	ip link show "$hostif" >/dev/null
	run rrun "$rootA" exec "$id" /bin/sh -c '. /nwt/lib.sh; r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"

	# The first ends as usual and leaves nothing.
	rrun "$rootA" kill "$id" KILL || true
	for _ in $(seq 1 50); do
		rrun "$rootA" state "$id" 2>/dev/null | jq -e '.status == "stopped"' >/dev/null && break
		sleep 0.1
	done
	rrun "$rootA" delete "$id"
	eventually_clean "$id" 10
}

# An http job that fetches once and then waits; prints its id.
waiting_job() {
	local id b
	id=$(job_id "$1")
	b=$(http_bundle "$id" www.test 'r http://www.test/; echo FETCHED; sleep 120')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/$1.out"
	wait_for_text "$NW_TMP/$1.out" FETCHED 30 >&2
	printf '%s\n' "$id"
}

@test "proxy descriptors: the proxy holds its own log and sockets, never the node log" {
	local id proxy fd target bad=0
	id=$(waiting_job fds)
	proxy=$(job_state_field "$id" proxy_pid)
	[ "$(cat "/proc/$proxy/comm")" = netward-proxy ]
	for fd in /proc/"$proxy"/fd/*; do
		target=$(readlink "$fd") || continue
		echo "fd ${fd##*/} -> $target" >&2
		case $target in
		/dev/null | socket:* | pipe:* | anon_inode:*) ;;
		"$NW_STATE/jobs/$id/access.log" | "$NW_STATE/jobs/$id/stats.json") ;;
		*)
			echo "the proxy holds $target" >&2
			bad=1
			;;
		esac
		[ "$target" != "$NW_LOG" ] || bad=1
	done
	[ "$bad" = 0 ]
	# The node log still gets the job's access lines, under its ids.
	grep -F "container=$id " "$NW_LOG" | grep -F "host=www.test " | grep -qF "decision=allow" || {
		echo "no access line for the job in the node log:" >&2
		cat "$NW_LOG" >&2
		false
	}
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
}

# stop_job ID: kill and delete the runc container, then nothing of it left.
stop_job() {
	kill_job "$1"
	runc delete "$1"
	eventually_clean "$1" 10
}

# stop_one_job ID: stop_job while other jobs of this test still run, whose
# links and processes the whole-node check (assert_clean) would count:
# nothing of ID's own is left (state entry, link and rules, proxy, container).
stop_one_job() {
	local id=$1 hostif proxy _
	hostif=$(job_state_field "$id" host_if)
	proxy=$(job_state_field "$id" proxy_pid)
	[ -n "$hostif" ] && [ -n "$proxy" ]
	kill_job "$id"
	runc delete "$id"
	for _ in $(seq 1 100); do
		[ ! -e "$NW_STATE/jobs/$id" ] && ! ip link show "$hostif" >/dev/null 2>&1 &&
			pid_gone "$proxy" && break
		sleep 0.1
	done
	[ ! -e "$NW_STATE/jobs/$id" ] || {
		echo "left behind: state entry $NW_STATE/jobs/$id" >&2
		return 1
	}
	assert_link_gone "$hostif" rules
	pid_gone "$proxy" || {
		echo "left behind: proxy $proxy of $id" >&2
		return 1
	}
	! runc state "$id" >/dev/null 2>&1
}

@test "proxy uids: each http job's proxy has a uid of its own, shown by status, freed and reused" {
	local a b ua ub pa pb
	a=$(waiting_job uida)
	b=$(waiting_job uidb)
	ua=$(job_state_field "$a" proxy_uid)
	ub=$(job_state_field "$b" proxy_uid)
	pa=$(job_state_field "$a" proxy_pid)
	pb=$(job_state_field "$b" proxy_pid)
	[ -n "$ua" ] && [ -n "$ub" ] && [ "$ua" != 0 ] && [ "$ua" != "$ub" ] || {
		echo "proxy uids: $a=$ua $b=$ub" >&2
		false
	}
	[ "$ua" != 65534 ] && [ "$ub" != 65534 ]
	# The proxies run as those uids (and gids), and no account has them.
	[ "$(awk '$1 == "Uid:" { print $2 "," $3 "," $4 }' "/proc/$pa/status")" = "$ua,$ua,$ua" ]
	[ "$(awk '$1 == "Gid:" { print $2 }' "/proc/$pb/status")" = "$ub" ]
	! getent passwd "$ua"
	# status shows them, in the table and in JSON.
	run "$NETWARD" --config "$NW_CONFIG" status --json
	assert_success
	[ "$(jq -r --arg id "$a" '.[] | select(.id == $id) | .proxy_uid' <<<"$output")" = "$ua" ]
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_success
	assert_output_has "PROXY-UID"
	grep -F "$b " <<<"$output" | grep -qw "$ub"

	# One job's proxy uid cannot signal the other's proxy (it can its own).
	setpriv --reuid="$ua" --regid="$ua" --clear-groups kill -0 "$pa"
	run setpriv --reuid="$ua" --regid="$ua" --clear-groups kill -0 "$pb"
	[ "$status" -ne 0 ] || {
		echo "uid $ua could signal the other job's proxy $pb" >&2
		false
	}

	# Freed at teardown; the same id gets the same uid again.
	stop_one_job "$a"
	[ ! -e "$NW_STATE/uids/$ua" ]
	local id2 b2
	id2=$a
	rm -rf "$NW_TMP/bundle-$id2"
	b2=$(http_bundle "$id2" www.test 'r http://www.test/; echo FETCHED; sleep 120')
	patch_bundle "$b2"
	run_detached "$b2" "$id2" "$NW_TMP/again.out"
	wait_for_text "$NW_TMP/again.out" FETCHED 30
	[ "$(job_state_field "$id2" proxy_uid)" = "$ua" ]
	[ -e "$NW_STATE/uids/$ua" ]
	stop_one_job "$id2"
	stop_job "$b"
	[ ! -e "$NW_STATE/uids/$ub" ]
}

# hold_id KIND UID: a root process that holds UID only as its saved uid
# (KIND suid) or its filesystem gid (KIND fsgid), the ids that neither
# netlink's process events nor a signal permission check would show.
hold_id() {
	python3 -c '
import ctypes, os, sys, time
kind, v = sys.argv[1], int(sys.argv[2])
if kind == "suid":
    os.setresuid(0, 0, v)
else:
    ctypes.CDLL(None).setfsgid(v)
print("held", flush=True)
time.sleep(120)' "$1" "$2" >"$NW_TMP/hold-$1.out" &
	echo $! >"$NW_TMP/hold-$1.pid"
	wait_for_text "$NW_TMP/hold-$1.out" held 10
}

# rerun_job ID: ID's job again, until its proxy fetched.
rerun_job() {
	local b
	rm -rf "$NW_TMP/bundle-$1" "$NW_TMP/rerun.out"
	b=$(http_bundle "$1" www.test 'r http://www.test/; echo FETCHED; sleep 120')
	patch_bundle "$b"
	run_detached "$b" "$1" "$NW_TMP/rerun.out"
	wait_for_text "$NW_TMP/rerun.out" FETCHED 30
}

# uid_kept_from KIND UID ID STOP [watched]: with a process holding UID as
# its KIND (hold_id), ID's job, whose id leads to UID, runs again and gets
# another uid; STOP (stop_job or stop_one_job) ends it. "watched": the
# node's uid watcher must say UID is held first.
uid_kept_from() {
	local kind=$1 ua=$2 a=$3 stop=$4 got
	hold_id "$kind" "$ua"
	grep -q "$ua" "/proc/$(cat "$NW_TMP/hold-$kind.pid")/status"
	[ "${5:-}" != watched ] || wait_uid_bit "$ua" 1
	rerun_job "$a"
	got=$(job_state_field "$a" proxy_uid)
	kill "$(cat "$NW_TMP/hold-$kind.pid")"
	"$stop" "$a"
	[ -n "$got" ] && [ "$got" != "$ua" ] || {
		echo "uid $ua, held by a process as its $kind, was handed out to $a" >&2
		return 1
	}
}

@test "proxy uids: a uid a live process holds (saved uid, or filesystem gid) is never handed out" {
	local a ua kind
	a=$(waiting_job uidheld)
	ua=$(job_state_field "$a" proxy_uid)
	[ -n "$ua" ] && [ "$ua" != 0 ]
	stop_job "$a"
	[ ! -e "$NW_STATE/uids/$ua" ]
	# The same id starts its search at the same uid (a hash of the id), so
	# without the process check it would get $ua again, as the last step
	# shows once the holders are gone.
	for kind in suid fsgid; do
		uid_kept_from "$kind" "$ua" "$a" stop_job
	done
	rerun_job "$a"
	[ "$(job_state_field "$a" proxy_uid)" = "$ua" ]
	stop_job "$a"
}

# uid_watch_bit UID: 1 when the node's uid watcher answers that a process
# holds UID (as any of its ids), 0 when not; fails when none answers.
uid_watch_bit() {
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect("/run/netward/uidwatch.sock")
b = s.recv(65536)
assert len(b) == 8192, "answer of %d bytes" % len(b)
i = int(sys.argv[1]) - 1879113728
print((b[i // 8] >> (i % 8)) & 1)
EOF
}

# wait_uid_bit UID WANT: until the watcher answers WANT for UID (10 s).
wait_uid_bit() {
	local got=
	for _ in $(seq 1 100); do
		got=$(uid_watch_bit "$1") && [ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	echo "the uid watcher says $got for uid $1, not $2" >&2
	return 1
}

@test "proxy uids: the node's uid watcher follows ids taken after it started (setresuid, setfsgid, fork, exit)" {
	local keep a ua holder kind
	keep=$(waiting_job uwkeep)
	for _ in $(seq 1 100); do
		[ -S "$NW_STATE/uidwatch.sock" ] && break
		grep -q "no process events" "$NW_LOG" 2>/dev/null && break
		sleep 0.1
	done
	if ! [ -S "$NW_STATE/uidwatch.sock" ]; then
		grep "no process events" "$NW_LOG" >&2 || true
		skip "no uid watcher: the proc connector answers in the initial namespaces only"
	fi
	a=$(waiting_job uwheld)
	ua=$(job_state_field "$a" proxy_uid)
	[ -n "$ua" ] && [ "$ua" != 0 ]
	wait_uid_bit "$ua" 1
	stop_one_job "$a"
	# The proxy's exit.
	wait_uid_bit "$ua" 0
	# setresuid, then setfsgid, in processes started after the watcher.
	for kind in suid fsgid; do
		uid_kept_from "$kind" "$ua" "$a" stop_one_job watched
		wait_uid_bit "$ua" 0
	done
	# A holder's child holds it after the holder exits.
	python3 -c '
import ctypes, os, sys, time
ctypes.CDLL(None).setfsgid(int(sys.argv[1]))
if os.fork() == 0:
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    time.sleep(120)
os._exit(0)
' "$ua" "$NW_TMP/hold-child.pid"
	for _ in $(seq 1 100); do
		[ -s "$NW_TMP/hold-child.pid" ] && break
		sleep 0.1
	done
	holder=$(cat "$NW_TMP/hold-child.pid")
	[ -n "$holder" ]
	grep -q "$ua" "/proc/$holder/status"
	wait_uid_bit "$ua" 1
	kill "$holder"
	wait_uid_bit "$ua" 0
	rerun_job "$a"
	[ "$(job_state_field "$a" proxy_uid)" = "$ua" ]
	stop_one_job "$a"
	stop_job "$keep"
}

# uidhold MODE UID: a process holding UID as tests/lib/uidhold.c's MODE
# does (a thread's own ids, a leader that exited alone, fs ids after exec).
uidhold() {
	[ -x "$NW_TMP/uidhold" ] ||
		cc -O1 -pthread -o "$NW_TMP/uidhold" "$BATS_TEST_DIRNAME/../lib/uidhold.c"
	"$NW_TMP/uidhold" "$1" "$2" >"$NW_TMP/hold-$1.out" &
	echo $! >"$NW_TMP/hold-$1.pid"
	wait_for_text "$NW_TMP/hold-$1.out" held 10
}

# uid_held_by MODE: with another job alive (so the uid watcher runs where
# the kernel gives process events, else the hook's own scan answers), a
# process holds the uid the next job's id leads to, as uidhold MODE does;
# that job must get another uid.
uid_held_by() {
	local mode=$1 keep a ua got
	keep=$(waiting_job "uk$mode")
	a=$(waiting_job "ua$mode")
	ua=$(job_state_field "$a" proxy_uid)
	[ -n "$ua" ] && [ "$ua" != 0 ]
	stop_one_job "$a"
	uidhold "$mode" "$ua"
	# The kernel's view: some task of the holder has it.
	grep -hE '^(Uid|Gid):' /proc/"$(cat "$NW_TMP/hold-$mode.pid")"/task/*/status | grep -qw "$ua"
	rerun_job "$a"
	got=$(job_state_field "$a" proxy_uid)
	stop_one_job "$a"
	stop_job "$keep"
	[ -n "$got" ] && [ "$got" != "$ua" ] || {
		echo "uid $ua, held by a live process ($mode), was handed out to $a's proxy" >&2
		false
	}
}

@test "proxy uids: a uid held by a thread that is not its process's leader is never handed out" {
	uid_held_by thread
}

@test "proxy uids: a uid held by a process whose leader thread exited alone is never handed out" {
	uid_held_by leader
}

@test "proxy uids: a uid held as the filesystem uid or gid only, taken after exec, is never handed out" {
	uid_held_by fsuid
	uid_held_by fsgid
}

@test "proxy uids: a uid a thread of a root container (CAP_SETUID, no user namespace) holds is never handed out" {
	local keep a ua got b holder
	keep=$(waiting_job ukct)
	a=$(waiting_job uact)
	ua=$(job_state_field "$a" proxy_uid)
	[ -n "$ua" ] && [ "$ua" != 0 ]
	stop_one_job "$a"
	holder=$(job_id holder)
	b=$(job_bundle "$holder" none -- python3 -c '
import ctypes, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
u = int(sys.argv[1])
def hold():
    # raw setresuid (x86_64: 117): this thread only
    if libc.syscall(117, u, u, u) != 0:
        print("ERR", ctypes.get_errno(), flush=True)
        return
    print("HELD", flush=True)
    time.sleep(300)
threading.Thread(target=hold).start()' "$ua")
	# Docker's default capability set has CAP_SETUID; runc's spec does not.
	bundle_jq "$b" '.process.capabilities |= with_entries(.value += ["CAP_SETUID", "CAP_SETGID"])'
	patch_bundle "$b"
	run_detached "$b" "$holder" "$NW_TMP/holder.out"
	wait_for_text "$NW_TMP/holder.out" HELD 30
	rerun_job "$a"
	got=$(job_state_field "$a" proxy_uid)
	stop_one_job "$a"
	stop_job "$holder"
	stop_job "$keep"
	[ -n "$got" ] && [ "$got" != "$ua" ] || {
		echo "uid $ua, held by a thread of container $holder, was handed out to $a's proxy" >&2
		false
	}
}

@test "proxy cgroup: the monitor and the proxy sit in the job's own netward cgroup, with a memory limit" {
	local id h kind mnt pid proxy mon limit
	h=$(memory_hierarchy) || skip "no cgroup hierarchy with the memory controller"
	kind=${h%% *}
	mnt=${h#* }
	id=$(waiting_job cg)
	proxy=$(job_state_field "$id" proxy_pid)
	mon=$(job_state_field "$id" monitor_pid)
	# The monitor moves itself and the proxy there once the proxy serves
	# (each move waits for the kernel), so possibly after the fetch.
	for _ in $(seq 1 100); do
		grep -qx "$proxy" "$mnt/netward/$id/cgroup.procs" && break
		sleep 0.1
	done
	for pid in "$proxy" "$mon"; do
		cat "/proc/$pid/cgroup" >&2
		if [ "$kind" = v2 ]; then
			grep -qx "0::/netward/$id" "/proc/$pid/cgroup"
		else
			grep -qE "^[0-9]+:([^:]*,)?memory(,[^:]*)?:/netward/$id\$" "/proc/$pid/cgroup"
		fi
		grep -qx "$pid" "$mnt/netward/$id/cgroup.procs"
	done
	if [ "$kind" = v2 ]; then
		limit=$(cat "$mnt/netward/$id/memory.max")
	else
		limit=$(cat "$mnt/netward/$id/memory.limit_in_bytes")
	fi
	[ "$limit" = $((512 << 20)) ]
	stop_job "$id"
	# Once its processes are gone, gc removes the group.
	"$NETWARD" --config "$NW_CONFIG" gc >/dev/null
	[ ! -e "$mnt/netward/$id" ]
}

# The proxy's voluntary context switches: one per sleep it woke from.
wakeups() {
	awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"
}

# idle_within PID MS: until PID has not woken for 4 ticks, within MS.
idle_within() {
	local pid=$1 ms=$2 tick a b waited=0
	tick=$(hook_const PROXY_TICK_MS)
	while [ "$waited" -le "$ms" ]; do
		a=$(wakeups "$pid")
		sleep "$(awk -v t="$tick" 'BEGIN { print 4 * t / 1000 }')"
		b=$(wakeups "$pid")
		[ "$a" = "$b" ] && return 0
		waited=$((waited + 4 * tick))
	done
	echo "proxy $pid still woke $((b - a)) times in 4 ticks after $ms ms" >&2
	return 1
}

# Most of a node's job proxies are idle at any time: an idle one sleeps
# until its job speaks (it used to wake every PROXY_TICK_MS), and its
# timers run again once the job does: a repeated access-log line is
# summed up after ACCESSLOG_REPEAT_MS, the counters reach status on the
# tick, and then it sleeps again.
@test "proxy idle: an idle job proxy never wakes; its timers run again once the job speaks" {
	local id b pid tick pool repeat a log
	tick=$(hook_const PROXY_TICK_MS)
	pool=$(hook_const T_POOL_IDLE)
	repeat=$(hook_const ACCESSLOG_REPEAT_MS)
	[ -n "$tick" ] && [ -n "$pool" ] && [ -n "$repeat" ]
	mkdir -p "$NW_TMP/shared"
	id=$(job_id idle)
	b=$(http_bundle "$id" www.test '
		echo STARTED
		while [ ! -e /shared/go ]; do sleep 0.1; done
		r http://same.evil.test/
		r http://same.evil.test/
		echo ASKED
		exec sleep 300')
	bundle_share "$b" "$NW_TMP/shared"
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/idle.out"
	wait_for_text "$NW_TMP/idle.out" STARTED
	pid=$(job_state_field "$id" proxy_pid)
	[ -n "$pid" ]
	idle_within "$pid" $((pool + 8 * tick))
	# Idle: not one wakeup in 12 ticks.
	a=$(wakeups "$pid")
	sleep "$(awk -v t="$tick" 'BEGIN { print 12 * t / 1000 }')"
	[ "$(wakeups "$pid")" = "$a" ] || {
		echo "idle proxy woke $(($(wakeups "$pid") - a)) times in 12 ticks" >&2
		false
	}
	touch "$NW_TMP/shared/go"
	wait_for_text "$NW_TMP/idle.out" ASKED
	cat "$NW_TMP/idle.out" >&2
	[ "$(grep -c '^RESULT http://same.evil.test/ 403 ' "$NW_TMP/idle.out")" -eq 2 ]
	# The second line folded into the first, summed up by a tick.
	log=$NW_STATE/jobs/$id/access.log
	wait_for_text "$log" 'note="the line before repeated 1 more times"' \
		$(((repeat + 8 * tick) / 1000 + 1))
	wait_stats "$id" '.requests_denied == 2'
	idle_within "$pid" $((pool + 8 * tick))
}
