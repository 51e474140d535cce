#!/usr/bin/env bats
# netward-runc registered as a Docker runtime (Debian's docker.io 20.10): a
# dockerd of the suite's own (its own data-root, exec-root, pidfile, socket
# and daemon.json; --iptables=false and --ip-forward=false, so the host's
# firewall and sysctls stay as they were for the suites after this one).
# Docker 20.10 cannot set OCI annotations (`docker run --annotation` needs
# Engine 24+), so netward's modes are tested through containerd
# (shim-containerd.bats); here: registration, pass-through, and hooks.d
# applied under Docker.

load helpers
load http_helpers
load shim_helpers

setup_file() {
	command -v dockerd >/dev/null || skip "docker.io is not installed (tests/deps.sh installs it)"
	nw_setup_file
	DK_DIR=$(mktemp -d /run/nwt-dk.XXXXXX)
	export DK_DIR DK_SOCK=$DK_DIR/d.sock DK_EXEC=$DK_DIR/x
	export DK_HOOKS=$DK_DIR/hooks.d DK_CONFIG=$DK_DIR/netward.json
	mkdir -p "$DK_HOOKS"
	NW_LOG=$DK_DIR/netward.log write_node_config "$DK_CONFIG"
	# What dockerd creates on the host outside its own directories.
	ip link show docker0 >/dev/null 2>&1 && echo 1 >"$DK_DIR/had-docker0"
	[ -e /etc/docker/key.json ] && echo 1 >"$DK_DIR/had-key"
	[ -d /etc/docker ] && echo 1 >"$DK_DIR/had-etc-docker"
	jq -n --arg p "$NETWARD_RUNC" --arg c "$DK_CONFIG" --arg h "$DK_HOOKS" '{
		runtimes: {netward: {path: $p,
			runtimeArgs: ["--netward-config", $c, "--netward-hooks-dir", $h]}}}' \
		>"$DK_DIR/daemon.json"
	dockerd --config-file "$DK_DIR/daemon.json" --data-root "$DK_DIR/data" \
		--exec-root "$DK_EXEC" --pidfile "$DK_DIR/docker.pid" --host "unix://$DK_SOCK" \
		--iptables=false --ip-forward=false --ip-masq=false --ip6tables=false \
		>"$DK_DIR/dockerd.log" 2>&1 3>&- &
	echo $! >"$DK_DIR/pid"
	local _
	for _ in $(seq 1 200); do
		docker -H "unix://$DK_SOCK" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	docker -H "unix://$DK_SOCK" version >/dev/null
	NW_TMP=$DK_DIR shim_image_tar "$DK_DIR/busybox.tar"
	docker -H "unix://$DK_SOCK" load -i "$DK_DIR/busybox.tar" >/dev/null
}

teardown_file() {
	if [ -n "${DK_DIR:-}" ] && [ -f "$DK_DIR/pid" ]; then
		local pid _
		local c
		for c in $(docker -H "unix://$DK_SOCK" ps -aq 2>/dev/null); do
			docker -H "unix://$DK_SOCK" rm -f "$c" >/dev/null 2>&1 || true
		done
		pid=$(cat "$DK_DIR/pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		grep -F " $DK_DIR/" /proc/mounts | awk '{print $2}' | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null || true; done
		[ -e "$DK_DIR/had-docker0" ] || ip link delete docker0 2>/dev/null || true
		[ -e "$DK_DIR/had-key" ] || rm -f /etc/docker/key.json
		[ -e "$DK_DIR/had-etc-docker" ] || rmdir /etc/docker 2>/dev/null || true
		rm -rf "$DK_DIR"
	fi
	nw_teardown_file
}

setup() {
	nw_setup
	[ -x "$NETWARD_RUNC" ] || skip "no netward-runc binary at $NETWARD_RUNC (make first)"
	rm -f "$DK_HOOKS"/*.json
}

docker_() {
	docker -H "unix://$DK_SOCK" "$@"
}

@test "docker: daemon.json registers netward-runc, and docker info lists it" {
	run docker_ info --format '{{json .Runtimes}}'
	assert_success
	jq -e --arg p "$NETWARD_RUNC" '.netward.path == $p' <<<"$output"
	jq -e '.netward.runtimeArgs | index("--netward-hooks-dir") != null' <<<"$output"
}

@test "docker: features passes straight through Docker's runtime wrapper" {
	# Docker 20.10 runs a runtime with runtimeArgs through a script it
	# writes under its data-root; that is what it would call.
	local wrapper=$DK_DIR/data/runtimes/netward
	grep -qF -- "$NETWARD_RUNC" "$wrapper"
	[ -x "$wrapper" ]
	run runc features
	local want=$output
	run "$wrapper" features
	assert_success
	[ "$output" = "$want" ]
	run "$wrapper" --version
	[ "$output" = "$(runc --version)" ]
}

@test "docker: a container without annotations runs unchanged on Docker's bridge through the shim" {
	# A hook no Docker 20.10 container can match (an annotation): the
	# container is passed through as Docker made it.
	marker_hook "$DK_HOOKS" 40-marker.json "$NW_TMP/marker"
	shim_hooks_dir "$DK_HOOKS"
	run docker_ run --rm --runtime netward nwt/busybox:latest /busybox sh -c \
		'/busybox ip -4 -o addr show eth0; echo ran'
	assert_success
	assert_output_has "ran"
	# Docker's bridge network, 172.17.0.0/16 unless configured otherwise.
	grep -Eq 'inet 172\.(1[6-9]|2[0-9]|3[01])\.' <<<"$output"
	[ ! -e "$NW_TMP/marker" ]
}

@test "docker: a hooks.d hook matching the container's command applies through the shim" {
	marker_hook "$DK_HOOKS" 40-marker.json "$NW_TMP/marker" '{"commands": ["^/busybox$"]}'
	local id
	run docker_ run -d --runtime netward nwt/busybox:latest /busybox sleep 600
	assert_success
	id=$output
	grep -qx "marker creating $id" "$NW_TMP/marker"
	docker_ rm -f "$id" >/dev/null
	# runc runs the poststop hook when Docker deletes the container.
	grep -qx "marker stopped $id" "$NW_TMP/marker"
}

@test "docker: a bad hooks.d file refuses the container with the file named" {
	echo '{"version": ' >"$DK_HOOKS/60-broken.json"
	run docker_ run --rm --runtime netward nwt/busybox:latest /busybox echo JOB-RAN
	[ "$status" -ne 0 ]
	assert_output_has "hooks.d file $DK_HOOKS/60-broken.json: invalid JSON"
	assert_output_lacks "JOB-RAN"
}
