# shellcheck shell=bash
# For fwclosed.bats: long-running jobs that probe while the test changes
# the node under them, and saving what `nft flush ruleset` takes from
# other owners so the host is left as it was. Loaded after helpers.bash and
# http_helpers.bash.
# shellcheck disable=SC2154 # $output and $status are set by bats' `run`

FC_PROBE=$NW_ROOT/tests/lib/fwclosed-probe.py
FC_WATCH_LOCK=$NW_STATE/fwwatch.lock

# fc_sleeper ID MODE [CAP...]: a detached job of MODE (http: www.test)
# that sleeps, with the client library, the probe tool, the test's shared
# directory at /shared, and the capabilities named besides runc's.
fc_sleeper() {
	local id=$1 mode=$2 b caps
	shift 2
	b=$(http_bundle "$id" www.test 'echo STARTED; exec sleep 300')
	if [ $# -gt 0 ]; then
		caps=$(printf '%s\n' "$@" | jq -R . | jq -s .)
		bundle_jq "$b" --argjson c "$caps" '.process.capabilities |= with_entries(.value += $c)'
	fi
	install -m 0755 "$FC_PROBE" "$b/rootfs/nwt/probe.py"
	bundle_share "$b" "$NW_TMP/shared"
	bundle_annotate "$b" io.netward.network "$mode"
	if [ "$mode" != http ]; then
		bundle_jq "$b" 'del(.annotations["io.netward.domains"])'
	fi
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/$id.out"
	wait_for_text "$NW_TMP/$id.out" STARTED
}

# fc_exec ID SCRIPT: SCRIPT in the running job, with the library loaded.
fc_exec() {
	timeout -k 2 40 runc exec "$1" /bin/sh -c ". /nwt/lib.sh
$2" </dev/null 2>&1 3>&-
}

# fc_probe ID TARGET...: starts the probe loop in the job (detached); its
# lines go to $NW_TMP/shared/ID.probe.
fc_probe() {
	local id=$1
	shift
	runc exec -d "$id" python3 /nwt/probe.py "/shared/$id.probe" /shared/stop "$@" \
		</dev/null >/dev/null 2>&1 3>&-
}

fc_round() {
	grep '^ROUND ' "$NW_TMP/shared/$1.probe" 2>/dev/null | tail -n 1 | cut -d' ' -f2
}

# fc_rounds ID N: until the job's probe has done N rounds. A round takes at
# most (targets x the probe's 0.3 s timeout) + 0.05 s.
fc_rounds() {
	wait_for_text "$NW_TMP/shared/$1.probe" "ROUND $2" $((2 * $2 + 20))
}

fc_rounds_more() {
	local now
	now=$(fc_round "$1")
	fc_rounds "$1" $((${now:-0} + $2))
}

fc_stop_probes() {
	touch "$NW_TMP/shared/stop"
	sleep 2
}

# fc_assert_never_reached ID: no probe of the job ever got an answer.
fc_assert_never_reached() {
	local f=$NW_TMP/shared/$1.probe
	[ -s "$f" ] || {
		echo "no probe output for $1" >&2
		return 1
	}
	if grep -q '^REACHED' "$f"; then
		echo "job $1 reached what its mode forbids:" >&2
		grep '^REACHED' "$f" | head -20 >&2
		return 1
	fi
	echo "# $1: $(grep -c '^closed' "$f") probes, none answered"
}

# fc_wait_table_with IFNAME...: until the table is back and its sets hold
# every IFNAME; bounded by three of the watcher's ticks (FW_WATCH_TICK_MS,
# 1 s), which cover even lost events.
fc_wait_table_with() {
	local _ ifn ok
	for _ in $(seq 1 300); do
		ok=1
		for ifn in "$@"; do
			nft list set inet netward job_ifs 2>/dev/null | grep -qF "\"$ifn\"" || ok=0
		done
		nft list chain inet netward input 2>/dev/null | grep -q 'comment "netward ' || ok=0
		[ "$ok" = 1 ] && return 0
		sleep 0.01
	done
	echo "the table did not come back with $*" >&2
	nft list ruleset >&2
	return 1
}

fc_watcher_pid() {
	head -n 1 "$FC_WATCH_LOCK" 2>/dev/null
}

fc_watcher_stop() {
	local pid
	pid=$(fc_watcher_pid)
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = netward-fwwatch ] || {
		echo "no firewall watcher running" >&2
		return 1
	}
	kill -STOP "$pid"
	echo "$pid" >"$NW_TMP/watcher.stopped"
}

# fc_table_gone: the watcher stopped and netward's table deleted, so that
# only the guard stands.
fc_table_gone() {
	fc_watcher_stop || return 1
	nft delete table inet netward
	! nft list table inet netward >/dev/null 2>&1
}

# fc_never_reaches ID TARGET...: four rounds of the job's probes at each
# TARGET (fc_probe's form), none answered.
fc_never_reaches() {
	local id=$1
	shift
	fc_probe "$id" "$@"
	fc_rounds "$id" 4
	fc_stop_probes
	fc_assert_never_reached "$id"
}

fc_watcher_cont() {
	[ -n "${NW_TMP:-}" ] && [ -f "$NW_TMP/watcher.stopped" ] || return 0
	kill -CONT "$(cat "$NW_TMP/watcher.stopped")" 2>/dev/null || true
	rm -f "$NW_TMP/watcher.stopped"
}

# `nft flush ruleset` takes every table: those iptables-nft can write back
# are saved with its -save, the others (native ones, and iptables tables
# holding rules it calls incompatible) with nft; all are put back after.
fc_save_ruleset() {
	local fam name save
	mkdir -p "$NW_TMP/saved"
	nft list tables | grep -v ' netward$' | sort >"$NW_TMP/saved/tables"
	while read -r _ fam name; do
		save=
		case "$fam:$name" in
		ip:filter | ip:nat | ip:mangle | ip:raw | ip:security) save=iptables-nft-save ;;
		ip6:filter | ip6:nat | ip6:mangle | ip6:raw | ip6:security) save=ip6tables-nft-save ;;
		esac
		if [ -n "$save" ] && "$save" -t "$name" >"$NW_TMP/saved/ipt.$fam.$name" 2>/dev/null &&
			! grep -q incompatible "$NW_TMP/saved/ipt.$fam.$name"; then
			continue
		fi
		rm -f "$NW_TMP/saved/ipt.$fam.$name"
		nft list table "$fam" "$name" | grep -v '^# ' >"$NW_TMP/saved/native.$fam.$name"
	done <"$NW_TMP/saved/tables"
}

fc_restore_ruleset() {
	local f t try
	[ -n "${NW_TMP:-}" ] && [ -f "$NW_TMP/saved/tables" ] || return 0
	for try in 1 2 3; do
		for f in "$NW_TMP/saved"/native.* "$NW_TMP/saved"/ipt.*; do
			[ -e "$f" ] || continue
			case ${f##*/} in
			native.*)
				t=${f##*/native.}
				nft list table "${t%%.*}" "${t#*.}" >/dev/null 2>&1 || nft -f "$f" || true
				;;
			ipt.ip.*) iptables-nft-restore <"$f" || true ;;
			ipt.ip6.*) ip6tables-nft-restore <"$f" || true ;;
			esac
		done
		if diff <(nft list tables | grep -v ' netward$' | sort) "$NW_TMP/saved/tables" >/dev/null; then
			rm -f "$NW_TMP/saved/tables"
			return 0
		fi
		echo "# restore round $try left: $(nft list tables | tr '\n' ' ')"
		sleep 0.2
	done
	diff <(nft list tables | grep -v ' netward$' | sort) "$NW_TMP/saved/tables" >&2
	echo "the tables other than netward's were not all put back" >&2
	return 1
}

# With no job left on the node, nothing of the guard remains: no routing
# rule or table, no XFRM policy, no unreachable route for the subnet.
fc_assert_guard_gone() {
	[ -z "$(ls -A "$NW_STATE/jobs" 2>/dev/null)" ] || return 0
	if ip rule show pref 6277 | grep -q .; then
		echo "left behind: routing rule $(ip rule show pref 6277)" >&2
		return 1
	fi
	if ip xfrm policy list | grep -qE 'priority (28272|28273)( |$)'; then
		echo "left behind: XFRM policies" >&2
		return 1
	fi
	if ip route show table main | grep -q "^unreachable ${NW_SUBNET_PREFIX}0.0/16"; then
		echo "left behind: unreachable route for the subnet" >&2
		return 1
	fi
}

# fc_kill_proxy ID: kills the job's proxy and waits until it is gone.
fc_kill_proxy() {
	local proxy _
	proxy=$(job_state_field "$1" proxy_pid)
	[ -n "$proxy" ] || return 1
	kill -KILL "$proxy"
	for _ in $(seq 1 50); do
		pid_gone "$proxy" && return 0
		sleep 0.1
	done
	pid_gone "$proxy"
}

# fc_stop ID: kills and deletes a job through runc (its poststop runs).
fc_stop() {
	kill_job "$1"
	runc delete --force "$1" 2>/dev/null || true
}

# fc_bridge_ns NAME BRIDGE-ADDR NS-ADDR PORT: a Linux bridge on the host
# (docker0's role) with a network namespace behind it serving TCP on PORT
# (a container's role); teardown removes both.
fc_bridge_ns() {
	local name=$1 braddr=$2 nsaddr=$3 port=$4
	ip link add "$name" type bridge
	echo "$name" >>"$NW_TMP/links"
	ip addr add "$braddr/24" dev "$name"
	ip link set "$name" up
	test_netns "$name-ns"
	ip link add "${name}h" type veth peer name eth0 netns "$name-ns"
	echo "${name}h" >>"$NW_TMP/links"
	ip link set "${name}h" master "$name" up
	ip -n "$name-ns" addr add "$nsaddr/24" dev eth0
	ip -n "$name-ns" link set eth0 up
	ip -n "$name-ns" link set lo up
	ip -n "$name-ns" route add default via "$braddr"
	upload_server "$name-ns" "$nsaddr" "$port" "$nsaddr" && return 0
	echo "the service behind $name did not start" >&2
	return 1
}

fc_links_cleanup() {
	local l
	[ -n "${NW_TMP:-}" ] && [ -f "$NW_TMP/links" ] || return 0
	while read -r l; do
		if [ -n "$l" ]; then ip link delete "$l" 2>/dev/null || true; fi
	done <"$NW_TMP/links"
	rm -f "$NW_TMP/links"
}

# fc_private_service ADDR PORT: an RFC 1918 address on the test internet's
# side (its namespace's loopback), routed from the host through it, with a
# TCP service; teardown removes the route and the address.
fc_private_service() {
	local addr=$1 port=$2
	ip -n "$TESTNET_NS" addr add "$addr/32" dev lo
	echo "$addr" >"$NW_TMP/private.addr"
	ip route add "$addr/32" via "$TESTNET_DNS"
	upload_server "$TESTNET_NS" "$addr" "$port" "$addr" && return 0
	echo "the service on $addr did not start" >&2
	return 1
}

fc_private_cleanup() {
	local addr
	[ -n "${NW_TMP:-}" ] && [ -f "$NW_TMP/private.addr" ] || return 0
	addr=$(cat "$NW_TMP/private.addr")
	ip route delete "$addr/32" 2>/dev/null || true
	ip -n "$TESTNET_NS" addr delete "$addr/32" dev lo 2>/dev/null || true
	rm -f "$NW_TMP/private.addr"
}

# A throwaway podman image holding busybox (its httpd serves the test).
fc_podman_image() {
	local d
	d=$(mktemp -d /tmp/nwtest-fc-image.XXXXXX)
	mkdir -p "$d/rootfs"/{etc,tmp,proc,sys,dev,root,run,www}
	install -m 0755 "$(command -v busybox)" "$d/rootfs/busybox"
	echo hello >"$d/rootfs/www/index.html"
	tar -C "$d/rootfs" -cf "$d/rootfs.tar" .
	podman import "$d/rootfs.tar" localhost/nwtest-fwclosed:1 >/dev/null 2>&1 3>&-
	rm -rf "$d"
	echo image >>"$NW_TMP/podman"
	# podman's bridge, when this test brings it: a failed run leaves it.
	ip link show podman0 >/dev/null 2>&1 || echo bridge >>"$NW_TMP/podman"
}

fc_podman_cleanup() {
	local c
	[ -n "${NW_TMP:-}" ] && [ -f "$NW_TMP/podman" ] || return 0
	while read -r c; do
		case "$c" in
		image) podman rmi -f localhost/nwtest-fwclosed:1 >/dev/null 2>&1 3>&- || true ;;
		bridge) ip link delete podman0 2>/dev/null || true ;;
		?*) podman rm -f "$c" >/dev/null 2>&1 3>&- || true ;;
		esac
	done < <(tac "$NW_TMP/podman")
	rm -f "$NW_TMP/podman"
}

# The suites' setup: nw_suite_setup, and a directory every job may write.
fc_setup() {
	nw_suite_setup
	mkdir -p "$NW_TMP/shared"
	chmod 1777 "$NW_TMP/shared"
}

# The suites' teardown: the watcher running again and the ruleset as it
# was, the jobs gone, then each cleanup named (in order), and no guard
# left behind.
fc_teardown() {
	local f
	fc_watcher_cont
	fc_restore_ruleset
	nw_teardown
	for f in "$@"; do
		"$f"
	done
	fc_assert_guard_gone
}
