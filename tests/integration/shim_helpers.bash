# shellcheck shell=bash
# For the netward-runc suites: netward's hooks.d files pointing at this build
# and the test's node config, a marker hook in the style of other hooks.d
# users, a fake runtime that records what it was given, and running a
# container through netward-runc. Loaded after helpers.bash.
# shellcheck disable=SC2154 # $output and $status are set by bats' `run`

NETWARD_RUNC=${NETWARD_RUNC:-$NW_ROOT/build/netward-runc}
case "$NETWARD_RUNC" in
/*) ;;
*) NETWARD_RUNC=$PWD/$NETWARD_RUNC ;;
esac

shim_setup() {
	[ -x "$NETWARD_RUNC" ] || skip "no netward-runc binary at $NETWARD_RUNC (make first)"
	NW_HOOKS=$NW_TMP/hooks.d
	shim_hooks_dir "$NW_HOOKS"
}

# shim_hooks_dir DIR: netward's hooks.d files as packaged, with hook.path
# this build and --config the test's node config.
shim_hooks_dir() {
	local dir=$1 f
	mkdir -p "$dir"
	for f in "$NW_ROOT"/packaging/hooks/*.json; do
		jq --arg p "$NETWARD" --arg c "$NW_CONFIG" '.hook.path = $p
			| .hook.args |= map(if . == "/etc/netward/netward.json" then $c else . end)' \
			"$f" >"$dir/$(basename "$f")"
	done
}

# marker_hook DIR NAME OUT [WHEN]: a hooks.d file NAME whose hook appends
# "marker STATUS ID" to OUT at createRuntime and poststop (as
# oci-seccomp-bpf-hook does: its own file, its own annotation).
marker_hook() {
	local dir=$1 name=$2 out=$3
	local when=${4:-'{"annotations": {"^io\\.example\\.marker$": "^on$"}}'}
	local script=$NW_TMP/marker-hook.sh
	cat >"$script" <<'SH'
#!/bin/sh
state=$(cat)
printf 'marker %s %s\n' "$(printf '%s' "$state" | jq -r .status)" \
	"$(printf '%s' "$state" | jq -r .id)" >>"$1"
SH
	chmod 0755 "$script"
	mkdir -p "$dir"
	jq -n --arg p "$script" --arg o "$out" --argjson w "$when" '{version: "1.0.0",
		hook: {path: $p, args: ["marker-hook", $o], env: ["PATH=/usr/bin:/bin"]},
		when: $w, stages: ["createRuntime", "poststop"]}' >"$dir/$name"
}

# fake_runtime: a runtime that records its arguments in $NW_TMP/fake.args and
# the bundle's config.json (bundle from FAKE_BUNDLE) in $NW_TMP/fake.config.
fake_runtime() {
	local f=$NW_TMP/fake-runtime
	cat >"$f" <<SH
#!/bin/sh
printf '%s\n' "\$0" "\$@" >"$NW_TMP/fake.args"
[ -z "\$FAKE_BUNDLE" ] || cp "\$FAKE_BUNDLE/config.json" "$NW_TMP/fake.config"
exit \${FAKE_EXIT:-0}
SH
	chmod 0755 "$f"
	printf '%s\n' "$f"
}

# shim_run BUNDLE ID [NETWARD-RUNC-OPTIONS...]: `netward-runc run` in the
# foreground with the test's hooks.d and node config, bounded in time.
shim_run() {
	local b=$1 id=$2
	shift 2
	echo "$id" >>"$NW_TMP/ids"
	timeout -k 5 "$NW_JOB_TIMEOUT" "$NETWARD_RUNC" --netward-config "$NW_CONFIG" \
		--netward-hooks-dir "$NW_HOOKS" "$@" run --bundle "$b" "$id" </dev/null
}

# shim_image_tar OUT: a docker-archive image (what `docker save` writes,
# which `ctr image import` and `docker load` both read) named
# nwt/busybox:latest, built here from make_bundle's rootfs: busybox, the
# test CA, resolv.conf naming the test DNS, the job library of
# http_helpers.bash; the host's /usr comes in by bind mount at run time.
shim_image_tar() (
	set -euo pipefail
	local out=$1 w
	w=$(mktemp -d "$NW_TMP/image.XXXXXX")
	make_bundle "$w/bundle" >/dev/null
	nw_install_job_lib "$w/bundle/rootfs"
	tar -C "$w/bundle/rootfs" --numeric-owner --owner=0 --group=0 -cf "$w/layer.tar" .
	local diff
	diff=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
	mkdir -p "$w/img"
	mv "$w/layer.tar" "$w/img/layer.tar"
	jq -n --arg d "sha256:$diff" '{architecture: "amd64", os: "linux",
		config: {Cmd: ["/bin/sh"], Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
		rootfs: {type: "layers", diff_ids: [$d]}}' >"$w/img/config.json"
	local cfg
	cfg=$(sha256sum "$w/img/config.json" | cut -d' ' -f1)
	mv "$w/img/config.json" "$w/img/$cfg.json"
	jq -n --arg c "$cfg.json" '[{Config: $c, RepoTags: ["nwt/busybox:latest"], Layers: ["layer.tar"]}]' \
		>"$w/img/manifest.json"
	tar -C "$w/img" -cf "$out" .
	rm -rf "$w"
)

# The host directories the image leaves out, as mounts (make_bundle's).
# shellcheck disable=SC2034 # used by the suites
SHIM_HOST_MOUNTS=(/usr /etc/ssl /etc/alternatives)
