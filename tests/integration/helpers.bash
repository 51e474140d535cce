# shellcheck shell=bash
# status and output come from bats' `run`.
# shellcheck disable=SC2154
# Shared by the integration suites: runc bundles, node configs, running a job
# through `netward patch-bundle` + `runc run`, and checking that a job left
# nothing behind. Every suite loads it and gets its setup_file/setup/teardown
# hooks from nw_suite, or calls nw_setup_file/nw_setup and
# nw_teardown/nw_teardown_file from hooks of its own.

NW_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
NETWARD=${NETWARD:-$NW_ROOT/build/netward}
case "$NETWARD" in
/*) ;;
*) NETWARD=$PWD/$NETWARD ;;
esac
NW_TESTNET=$NW_ROOT/tests/lib/testnet.sh
# Seconds one `runc run` may take before the test calls it hung.
NW_JOB_TIMEOUT=${NW_JOB_TIMEOUT:-60}
NW_STATE=/run/netward
# podman runs runc unless a test names another runtime (tests/lib/containers.conf).
export CONTAINERS_CONF=$NW_ROOT/tests/lib/containers.conf
# The default node subnet, 10.213.0.0/16, as the suites match addresses.
# shellcheck disable=SC2034
NW_SUBNET_PREFIX=10.213.
eval "$("$NW_TESTNET" env)"

# A run of several suites (tests/run-integration) builds the test internet
# once; a suite run alone, or after another suite took it down, builds its
# own and removes it at the end.
nw_setup_file() {
	if ! "$NW_TESTNET" status 3>&-; then
		"$NW_TESTNET" up 3>&-
		export NW_TESTNET_OWNED=1
	fi
}

nw_teardown_file() {
	if [ "${NW_TESTNET_OWNED:-}" = 1 ]; then
		"$NW_TESTNET" down 3>&-
	fi
}

# nw_suite [testnet] [unreachable]: the hooks most suites share, called once
# at the top of a suite: setup_file/teardown_file as nw_setup_file and
# nw_teardown_file; setup as nw_suite_setup (with testnet, the test internet
# brought back up first if another run took it down: nw_ensure_testnet from
# http_helpers.bash); teardown as nw_suite_teardown (with unreachable, the
# routes nw_unreachable added removed after nw_teardown). A suite with more
# to do defines its own setup or teardown after the call, calling these.
# shellcheck disable=SC2317 # bats calls the hooks
nw_suite() {
	NW_SUITE_OPTS=" $* "
	setup_file() { nw_setup_file; }
	teardown_file() { nw_teardown_file; }
	setup() { nw_suite_setup; }
	teardown() { nw_suite_teardown; }
}

nw_suite_setup() {
	case ${NW_SUITE_OPTS:-} in *" testnet "*) nw_ensure_testnet ;; esac
	nw_setup
}

nw_suite_teardown() {
	nw_teardown
	case ${NW_SUITE_OPTS:-} in *" unreachable "*) nw_unreachable_cleanup ;; esac
}

nw_setup() {
	[ -x "$NETWARD" ] || skip "no netward binary at $NETWARD (make first)"
	NW_TMP=$BATS_TEST_TMPDIR
	NW_CONFIG=$NW_TMP/netward.json
	NW_LOG=$NW_TMP/netward.log
	: >"$NW_TMP/ids"
	: >"$NW_TMP/pids"
	: >"$NW_TMP/netns"
	write_node_config "$NW_CONFIG"
	nw_baseline >"$NW_TMP/baseline"
}

nw_teardown() {
	local id pid ns
	while read -r id; do
		if [ -n "$id" ]; then runc delete --force "$id" >/dev/null 2>&1 || true; fi
	done <"$NW_TMP/ids"
	while read -r pid; do
		if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	done <"$NW_TMP/pids"
	while read -r ns; do
		if [ -n "$ns" ]; then ip netns delete "$ns" 2>/dev/null || true; fi
	done <"$NW_TMP/netns"
	# Shown by bats only when the test failed: what netward said.
	if [ -s "$NW_LOG" ]; then
		echo "# netward log (last lines):"
		tail -n 30 "$NW_LOG" | sed 's/^/#   /'
	fi
	# A failed test must not hand its leftovers to the next one.
	if [ -x "$NETWARD" ]; then
		"$NETWARD" --config "$NW_CONFIG" gc >/dev/null 2>&1 </dev/null || true
	fi
}

# write_node_config FILE [JQ-OPTIONS...] [JQ-EXPRESSION]: the test default
# node config, changed by the expression, e.g.
#   write_node_config "$NW_CONFIG" '.deny_destinations = ["198.18.0.12/32"]'
write_node_config() {
	local file=$1
	shift
	[ $# -gt 0 ] || set -- .
	jq -n --arg log "${NW_LOG:-$BATS_TEST_TMPDIR/netward.log}" --arg dns "$TESTNET_DNS" '{
		allowed_modes: ["none", "http", "full"],
		dns_servers: [$dns],
		allow_private_destinations: ["198.18.0.0/15"],
		full_allow_private_destinations: ["198.18.0.0/15"],
		log: $log
	}' | jq "$@" >"$file"
}

# make_bundle DIR [ARGS...]: a runc bundle whose rootfs is busybox plus the
# host's /usr, libraries and certificate store read-only, so the host's curl,
# wget, python3 and ip run inside. The test CA is trusted through the env.
#
# It runs in a subshell with errexit of its own: callers use it inside $(...)
# and bats' errexit does not reach there.
make_bundle() (
	set -euo pipefail
	local dir=$1
	shift
	if [ ! -f "$TESTNET_CA" ]; then
		echo "make_bundle: the test internet is not up (no $TESTNET_CA)" >&2
		return 1
	fi
	[ $# -gt 0 ] || set -- /busybox true
	local r=$dir/rootfs d
	local -a binds=(/usr /etc/ssl /etc/alternatives)
	mkdir -p "$r"/{proc,sys,dev,tmp,etc/ssl,etc/alternatives,usr,run,root,var/tmp}
	# Merged-/usr hosts have /bin -> usr/bin and so on: the same links work
	# inside; a split host gets its directories bound instead.
	for d in bin sbin lib lib32 lib64 libx32; do
		if [ -L "/$d" ]; then
			ln -sfn "$(readlink "/$d")" "$r/$d"
		elif [ -d "/$d" ]; then
			mkdir -p "$r/$d"
			binds+=("/$d")
		fi
	done
	install -m 0755 "$(command -v busybox)" "$r/busybox"
	cp "$TESTNET_CA" "$r/etc/netward-test-ca.pem"
	printf 'nameserver %s\n' "$TESTNET_DNS" >"$r/etc/resolv.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$r/etc/hosts"
	printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
	runc spec --bundle "$dir"
	local bind_json args_json a
	bind_json=$(printf '%s\n' "${binds[@]}" | jq -R '{destination: ., type: "bind", source: .,
		options: ["rbind", "ro", "nosuid", "nodev"]}' | jq -s .)
	# One JSON string per argument: jq would take "-c" in --args for its own
	# option, and arguments may hold newlines.
	args_json=$(for a in "$@"; do printf '%s' "$a" | jq -Rs .; done | jq -s .)
	bundle_jq "$dir" --argjson binds "$bind_json" --argjson args "$args_json" \
		--arg ca /etc/netward-test-ca.pem '
		.process.terminal = false
		| .process.args = $args
		| .process.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"HOME=/root", "CURL_CA_BUNDLE=" + $ca, "SSL_CERT_FILE=" + $ca]
		| .hostname = "nwjob"
		| .mounts += $binds + [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
			options: ["nosuid", "nodev", "mode=1777"]}]'
)

# bundle_jq DIR [JQ-OPTIONS...] FILTER: edits DIR/config.json.
bundle_jq() {
	local dir=$1
	shift
	jq "$@" <"$dir/config.json" >"$dir/config.json.new" &&
		mv "$dir/config.json.new" "$dir/config.json"
}

bundle_annotate() {
	bundle_jq "$1" --arg k "$2" --arg v "$3" '.annotations[$k] = $v'
}

# bundle_share BUNDLE DIR: the host's DIR at /shared in the job, read-write
# (two jobs of a test pass files through it).
bundle_share() {
	bundle_jq "$1" --arg s "$2" '.mounts += [{destination: "/shared", type: "bind",
		source: $s, options: ["rbind", "rw"]}]'
}

# job_bundle ID MODE [DOMAINS] -- ARGS...: a bundle under the test's tmpdir
# for a job of that mode; prints its path.
job_bundle() (
	set -euo pipefail
	local id=$1 mode=$2 domains=
	shift 2
	if [ "${1:-}" != -- ]; then
		domains=$1
		shift
	fi
	[ "${1:-}" = -- ] && shift
	local dir=$NW_TMP/bundle-$id
	make_bundle "$dir" "$@"
	if [ -n "$mode" ]; then
		bundle_annotate "$dir" io.netward.network "$mode"
	fi
	if [ -n "$domains" ]; then
		bundle_annotate "$dir" io.netward.domains "$domains"
	fi
	printf '%s\n' "$dir"
)

patch_bundle() {
	"$NETWARD" --config "$NW_CONFIG" patch-bundle "$1" </dev/null
}

# runc_run BUNDLE ID: the container in the foreground, bounded in time.
runc_run() {
	echo "$2" >>"$NW_TMP/ids"
	timeout -k 5 "$NW_JOB_TIMEOUT" runc run --bundle "$1" "$2" </dev/null
}

run_job() {
	patch_bundle "$1" || return
	runc_run "$1" "$2"
}

# hook_const NAME: a constant #defined in hook/*.h, so that a test's
# waits follow the code's own numbers.
hook_const() {
	awk -v n="$1" '$1 == "#define" && $2 == n { print $3; exit }' "$NW_ROOT"/hook/*.h
}

# eventually SECONDS CMD...: until CMD succeeds, every 0.1 s, for at most
# SECONDS; its status then.
eventually() {
	local n=$(($1 * 10)) _
	shift
	for _ in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# A unique container id per test, so a leftover never collides.
job_id() {
	printf 'nwt-%s-%s-%s' "$BATS_TEST_NUMBER" "$$" "$1"
}

# testnet_spawn OUT PIDFILE CMD...: starts CMD in the test internet's
# namespace, detached from bats: its own session, output appended to OUT,
# its pid in PIDFILE, and no inherited descriptor (bats waits for fd 3 to
# close, and a server holding it would hang the whole run).
testnet_spawn() {
	local out=$1 pidfile=$2
	shift 2
	(
		for f in "/proc/$BASHPID/fd/"*; do
			fd=${f##*/}
			if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
		done
		exec setsid ip netns exec "$TESTNET_NS" "$@" </dev/null >>"$out" 2>&1
	) &
	echo "$!" >"$pidfile"
}

# pidfile_alive PIDFILE: the process PIDFILE names is alive.
pidfile_alive() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# upload_server NETNS BIND PORT PROBE: starts tests/lib/upload-server.py
# on BIND:PORT in network namespace NETNS ("" for the host's), with stdio
# and bats' fd 3 closed so it cannot hold up the run, and waits until
# http://PROBE:PORT/ answers; teardown stops it.
upload_server() {
	local ns=$1 bind=$2 port=$3 probe=$4 _
	local cmd=(python3 "$NW_ROOT/tests/lib/upload-server.py" --bind "$bind" --port "$port")
	if [ -n "$ns" ]; then cmd=(ip netns exec "$ns" "${cmd[@]}"); fi
	"${cmd[@]}" </dev/null >/dev/null 2>&1 3>&- &
	echo "$!" >>"$NW_TMP/pids"
	for _ in $(seq 1 50); do
		curl --noproxy '*' -fsS -m 1 -o /dev/null "http://$probe:$port/" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Starts a host-side listener for a test; teardown stops it.
host_listener() {
	upload_server "" "$1" "$2" 127.0.0.1 && return 0
	echo "host listener on $1:$2 did not start" >&2
	return 1
}

# A free TCP port on the host, for host_listener.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A named network namespace that teardown removes.
test_netns() {
	ip netns add "$1"
	echo "$1" >>"$NW_TMP/netns"
}

# What netward-looking state exists before the test, so that activity
# outside the test (another suite, another user of the machine) is not
# blamed on it.
nw_baseline() {
	nw_links
	nw_tables
	nw_ruleset_ifnames
}

nw_links() {
	ip -j link show | jq -r '.[].ifname | select(test("^nw[0-9a-f]{13}$")) | "link " + .'
}

nw_tables() {
	nft -j list tables 2>/dev/null | jq -r '.nftables[] | select(.table) | .table
		| select(.name | startswith("netward_")) | "table \(.family) \(.name)"'
}

nw_ruleset_ifnames() {
	nft list ruleset 2>/dev/null | grep -oE '\bnw[0-9a-f]{13}\b' | sort -u | sed 's/^/rule-ifname /' || true
}

# Host interfaces of live jobs that are not this test's (another suite, a
# podman test, another user of the machine): their links and tables are
# theirs. A record is written before its job's link exists and removed only
# after it is gone.
nw_foreign_ifnames() {
	local f id
	for f in "$NW_STATE"/jobs/*/state.json; do
		[ -e "$f" ] || continue
		id=$(jq -r .id "$f" 2>/dev/null) || continue
		grep -qxF -- "$id" "$NW_TMP/ids" 2>/dev/null && continue
		jq -r '.host_if // empty' "$f" 2>/dev/null || true
	done
}

# Links, tables and ruleset references that are new since the test began
# and belong to no other live job.
nw_leftovers() {
	local foreign items line ifname
	# Records read on both sides of the listing: a job whose link was
	# listed had its record at that moment.
	foreign=$(nw_foreign_ifnames)
	items=$(nw_links; nw_tables; nw_ruleset_ifnames)
	foreign+=$'\n'$(nw_foreign_ifnames)
	while read -r line; do
		[ -n "$line" ] || continue
		grep -qxF -- "$line" "$NW_TMP/baseline" && continue
		ifname=${line##* }
		ifname=${ifname#netward_}
		grep -qxF -- "$ifname" <<<"$foreign" && continue
		printf '%s\n' "$line"
	done <<<"$items"
}

# nw_settled: until no teardown is under way. poststop returns once the
# job is cut off and leaves the rest of its teardown to a process that
# holds the node lock until it is done (netward(8)), seconds at most.
nw_settled() {
	[ -e "$NW_STATE/lock" ] || return 0
	timeout 10 flock "$NW_STATE/lock" true
}

# assert_clean ID: nothing of the job remains: no veth, no nftables table,
# no interface of it in the ruleset, no state entry, no netward process
# (hook, monitor or proxy) of this test, no runc container.
assert_clean() {
	local id=$1 bad=0 line pid left
	nw_settled || echo "a teardown still holds $NW_STATE/lock" >&2
	left=$(nw_leftovers)
	if [ -n "$left" ]; then
		# Another job may have been between its steps; ours would stay.
		sleep 1
		left=$(nw_leftovers)
	fi
	if [ -n "$left" ]; then
		sed 's/^/left behind: /' <<<"$left" >&2
		bad=1
	fi
	if [ -e "$NW_STATE/jobs/$id" ]; then
		echo "left behind: state entry $NW_STATE/jobs/$id" >&2
		bad=1
	fi
	# The hook starts the monitor (and the monitor its proxy) with this
	# test's own --config path on the command line.
	for pid in $(pgrep '^netward' || true); do
		line=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
		if grep -qF -- "$id" <<<"$line" || grep -qF -- "$NW_CONFIG" <<<"$line"; then
			echo "left behind: process $pid ($(cat "/proc/$pid/comm" 2>/dev/null): $line)" >&2
			bad=1
		fi
	done
	if runc state "$id" >/dev/null 2>&1; then
		echo "left behind: runc still knows container $id" >&2
		bad=1
	fi
	return "$bad"
}

# assert_refused ID TEXT: the last `run` failed, netward said why in one
# `netward:` line containing TEXT, the job's command never ran, and nothing
# of it remains.
assert_refused() {
	local id=$1 text=$2
	if [ "$status" -eq 0 ]; then
		echo "expected the container to be refused; it ran (status 0):" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
	if ! grep -q 'netward: ' <<<"$output"; then
		echo "no 'netward:' message in the output:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
	if ! grep 'netward: ' <<<"$output" | grep -qiF -- "$text"; then
		echo "the netward message does not mention '$text':" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
	if grep -q JOB-RAN <<<"$output"; then
		echo "the refused job's command ran" >&2
		return 1
	fi
	assert_clean "$id"
}

# assert_output_has TEXT / assert_output_lacks TEXT on the last `run`.
assert_output_has() {
	if ! grep -qF -- "$1" <<<"$output"; then
		echo "expected '$1' in the output (status $status):" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

assert_output_lacks() {
	if grep -qF -- "$1" <<<"$output"; then
		echo "did not expect '$1' in the output (status $status):" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

assert_success() {
	if [ "$status" -ne 0 ]; then
		echo "expected success, got status $status:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

# The node's firewall as a test that runs other firewalls found it, and
# back. Tables that iptables-nft owns (ip/ip6 filter, nat, mangle, raw,
# security) go through iptables-nft-save/-restore: their rules use xtables
# matches that `nft list ruleset` prints but `nft -f` cannot read back, and
# podman's netavark finds its chains broken after such a round trip. Every
# other table goes through nft.
nw_firewall_save() {
	local dir=$1 fam name
	iptables-nft-save >"$dir/iptables.orig" 2>/dev/null || true
	ip6tables-nft-save >"$dir/ip6tables.orig" 2>/dev/null || true
	: >"$dir/nft.orig"
	nft list tables 2>/dev/null | while read -r _ fam name; do
		case "$fam:$name" in
		ip:filter | ip:nat | ip:mangle | ip:raw | ip:security) continue ;;
		ip6:filter | ip6:nat | ip6:mangle | ip6:raw | ip6:security) continue ;;
		esac
		nft list table "$fam" "$name" >>"$dir/nft.orig"
	done
}

nw_firewall_restore() {
	local dir=$1
	nft flush ruleset
	iptables-nft-restore <"$dir/iptables.orig" 2>/dev/null || true
	ip6tables-nft-restore <"$dir/ip6tables.orig" 2>/dev/null || true
	nft -f "$dir/nft.orig"
}
