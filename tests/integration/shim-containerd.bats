#!/usr/bin/env bats
# netward through containerd (Debian's 1.6): a containerd of the suite's own
# (its own root, state and socket; the CRI plugin off), an image the suite
# builds and imports, and `ctr run --runc-binary netward-runc --annotation
# io.netward.network=...` for none, http and full: the same checks as the
# runc suites (reachability, refusals with their reason, nothing left after
# the task is killed). netward-runc finds the test's node config and hooks.d
# through containerd's environment (NETWARD_CONFIG, NETWARD_HOOKS_DIR), as
# the runc shim hands its environment on to the runtime.

load helpers
load http_helpers
load shim_helpers

NS=nwt

setup_file() {
	command -v containerd >/dev/null || skip "containerd is not installed (tests/deps.sh installs it)"
	nw_setup_file
	CTRD_DIR=$(mktemp -d /run/nwt-ctrd.XXXXXX)
	export CTRD_DIR CTRD_SOCK=$CTRD_DIR/c.sock
	cat >"$CTRD_DIR/config.toml" <<EOF
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_DIR/opt"
EOF
	# Each test points these at its own node config and hooks.d.
	NETWARD_CONFIG=$CTRD_DIR/netward.json NETWARD_HOOKS_DIR=$CTRD_DIR/hooks.d \
		containerd --config "$CTRD_DIR/config.toml" >"$CTRD_DIR/containerd.log" 2>&1 3>&- &
	echo $! >"$CTRD_DIR/pid"
	local _
	for _ in $(seq 1 100); do
		ctr -a "$CTRD_SOCK" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	ctr -a "$CTRD_SOCK" version >/dev/null
	local tar=$CTRD_DIR/busybox.tar
	NW_TMP=$CTRD_DIR shim_image_tar "$tar"
	ctr -a "$CTRD_SOCK" -n "$NS" image import "$tar" >/dev/null
}

teardown_file() {
	if [ -n "${CTRD_DIR:-}" ] && [ -f "$CTRD_DIR/pid" ]; then
		local pid p
		pid=$(cat "$CTRD_DIR/pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		# The runc shims this containerd started (their -address is ours).
		for p in $(pgrep containerd-shim || true); do
			if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$CTRD_SOCK"; then
				kill "$p" 2>/dev/null || true
			fi
		done
		grep -F " $CTRD_DIR/" /proc/mounts | awk '{print $2}' | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null || true; done
		rm -rf "$CTRD_DIR"
	fi
	nw_teardown_file
}

setup() {
	nw_ensure_testnet
	nw_setup
	shim_setup
	ln -sfn "$NW_CONFIG" "$CTRD_DIR/netward.json"
	ln -sfn "$NW_HOOKS" "$CTRD_DIR/hooks.d"
	: >"$NW_TMP/ctr-ids"
}

teardown() {
	local id
	while read -r id; do
		[ -n "$id" ] || continue
		ctr -a "$CTRD_SOCK" -n "$NS" task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
		ctr -a "$CTRD_SOCK" -n "$NS" task delete -f "$id" >/dev/null 2>&1 || true
		ctr -a "$CTRD_SOCK" -n "$NS" container delete "$id" >/dev/null 2>&1 || true
	done <"$NW_TMP/ctr-ids"
	nw_teardown
	nw_unreachable_cleanup
}

ctr_() {
	ctr -a "$CTRD_SOCK" -n "$NS" "$@"
}

# ctr_job ID MODE [DOMAINS] -- [CTR-RUN-OPTIONS...] -- ARGS...: `ctr run`
# through netward-runc with the job's annotations and the host's /usr.
ctr_job() {
	local id=$1 mode=$2 domains=
	shift 2
	if [ "$1" != -- ]; then
		domains=$1
		shift
	fi
	shift
	local -a opts=(--runc-binary "$NETWARD_RUNC" --annotation "io.netward.network=$mode"
		--env CURL_CA_BUNDLE=/etc/netward-test-ca.pem --env SSL_CERT_FILE=/etc/netward-test-ca.pem)
	[ -z "$domains" ] || opts+=(--annotation "io.netward.domains=$domains")
	local m
	for m in "${SHIM_HOST_MOUNTS[@]}"; do
		opts+=(--mount "type=bind,src=$m,dst=$m,options=rbind:ro")
	done
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	echo "$id" >>"$NW_TMP/ids"
	echo "$id" >>"$NW_TMP/ctr-ids"
	timeout -k 5 "$NW_JOB_TIMEOUT" ctr -a "$CTRD_SOCK" -n "$NS" run "${opts[@]}" \
		docker.io/nwt/busybox:latest "$id" "$@" </dev/null 3>&-
}

FETCH='f() { if wget -q -T 3 -t 1 -O - "$1"; then :; else echo "UNREACHABLE $1"; fi; }'

@test "containerd: none, the task sees only loopback and reaches nothing" {
	local id
	id=$(job_id ctrnone)
	run ctr_job "$id" none -- --rm -- /bin/sh -c "$FETCH"'
		echo "links: $(ip -o link | wc -l)"
		f http://198.18.0.10/
		f http://www.test/'
	assert_success
	assert_output_has "links: 1"
	assert_output_has "UNREACHABLE http://198.18.0.10/"
	assert_output_has "UNREACHABLE http://www.test/"
	assert_output_lacks "hello from"
	# netward set the job up (a fresh namespace alone would look the same).
	grep -q "container=$id .*job set up: mode=none" "$NW_LOG"
	assert_clean "$id"
}

@test "containerd: full, the task fetches from the test internet by name and address" {
	local id
	id=$(job_id ctrfull)
	run ctr_job "$id" full -- --rm -- /bin/sh -c "$FETCH"'
		echo "addr: $(ip -4 -o addr show eth0 | awk "{print \$4}")"
		f http://www.test/
		f http://198.18.0.10/
		curl -fsS -m 5 https://www.test/ || echo "UNREACHABLE https://www.test/"'
	assert_success
	assert_output_has "addr: $NW_SUBNET_PREFIX"
	[ "$(grep -c '^hello from www.test$' <<<"$output")" -eq 3 ]
	assert_clean "$id"
}

@test "containerd: http, allowed domains through the proxy, others refused with the reason" {
	local id
	id=$(job_id ctrhttp)
	run ctr_job "$id" http www.test -- --rm -- /bin/sh -c '. /nwt/lib.sh
		env | grep -i "^http_proxy="
		r http://www.test/
		r https://www.test/
		r http://other.test/
		r https://other.test/
		r http://198.18.0.10/
		reach 198.18.0.10 22'
	assert_success
	assert_output_has "http_proxy=$NW_PROXY_URL"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_refused_request http://other.test/ "other.test"
	assert_refused_tunnel https://other.test/ "other.test"
	assert_refused_request http://198.18.0.10/ "198.18.0.10"
	# Port 80 would be intercepted (the proxy refuses the IP literal, as
	# above); a port the proxy does not serve is refused by the firewall.
	assert_output_has "REACH 198.18.0.10:22 closed"
	assert_clean "$id"
}

@test "containerd: a mode the node does not allow is refused with the reason; nothing starts" {
	local id
	id=$(job_id ctrrefused)
	write_node_config "$NW_CONFIG" '.allowed_modes = ["none"]'
	run ctr_job "$id" full -- --rm -- /bin/sh -c 'echo JOB-RAN'
	assert_refused "$id" "allowed_modes"
}

@test "containerd: http without domains is refused with the reason" {
	local id
	id=$(job_id ctrnodomains)
	run ctr_job "$id" http -- --rm -- /bin/sh -c 'echo JOB-RAN'
	assert_refused "$id" "needs io.netward.domains"
}

@test "containerd: nothing is left after the task is killed" {
	local id _
	id=$(job_id ctrkill)
	run ctr_job "$id" http www.test -- -d -- /bin/sh -c 'sleep 600'
	assert_success
	[ -e "$NW_STATE/jobs/$id" ]
	ctr_ task kill -s SIGKILL "$id"
	for _ in $(seq 1 50); do
		ctr_ task ls | grep -E "^${id}[[:space:]].*STOPPED" >/dev/null && break
		sleep 0.1
	done
	ctr_ task delete "$id"
	ctr_ container delete "$id"
	eventually_clean "$id"
}

@test "containerd: a bad hooks.d file fails the task with the file named" {
	local id
	id=$(job_id ctrbad)
	echo '{"version": "1.0.0"' >"$NW_HOOKS/60-broken.json"
	run ctr_job "$id" none -- --rm -- /bin/sh -c 'echo JOB-RAN'
	[ "$status" -ne 0 ]
	assert_output_has "netward-runc: hooks.d file $CTRD_DIR/hooks.d/60-broken.json: invalid JSON"
	assert_output_lacks "JOB-RAN"
	assert_clean "$id"
}
