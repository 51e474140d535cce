#!/usr/bin/env bats
# netward with crun (Debian's 1.8.1) as the runtime: `netward patch-bundle` +
# `crun run`, netward-runc with crun as the real runtime, and
# `podman --runtime crun`, each with the runc suites' core checks.
#
# crun 1.8.1 refuses a hybrid cgroup layout ("cgroups in hybrid mode not
# supported, drop all controllers from cgroupv2"). Where this suite finds v1
# hierarchies with hugetlb the only controller left on the v2 one, it
# mounts hugetlb as a v1 hierarchy for its own run (and says so), then
# removes the cgroups left in it and unmounts it. The kernel keeps a v1
# hierarchy alive while processes that lived under it remain, so hugetlb
# does not go back to cgroup v2 at once; crun then finds no controller on v2
# and runs without the mount. Any other layout it leaves alone, and crun's
# own error decides.

load helpers
load http_helpers
load shim_helpers

CRUN_HUGETLB=/sys/fs/cgroup/hugetlb
NWC_IMAGE=localhost/nwtest-crun:latest

crun_cgroup_setup() {
	local unified=/sys/fs/cgroup/unified
	[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] || return 0
	[ "$(stat -fc %T "$unified" 2>/dev/null)" = cgroup2fs ] || return 0
	[ "$(cat "$unified/cgroup.controllers" 2>/dev/null)" = hugetlb ] || return 0
	mountpoint -q "$CRUN_HUGETLB" && return 0
	mkdir -p "$CRUN_HUGETLB"
	mount -t cgroup -o hugetlb cgroup "$CRUN_HUGETLB"
	echo 1 >"$BATS_FILE_TMPDIR/mounted-hugetlb"
	echo "# crun: hybrid cgroup layout with only hugetlb on cgroup v2; mounted hugetlb as a v1 hierarchy at $CRUN_HUGETLB for this suite" >&3
}

crun_cgroup_teardown() {
	[ -e "$BATS_FILE_TMPDIR/mounted-hugetlb" ] || return 0
	# podman leaves libpod_parent/conmon there; a cgroup with no task goes.
	find "$CRUN_HUGETLB" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null || true
	umount "$CRUN_HUGETLB" 2>/dev/null || umount -l "$CRUN_HUGETLB"
	rmdir "$CRUN_HUGETLB" 2>/dev/null || true
}

setup_file() {
	command -v crun >/dev/null || skip "crun is not installed (tests/deps.sh installs it)"
	nw_setup_file
	crun_cgroup_setup
}

teardown_file() {
	if command -v podman >/dev/null; then
		podman rmi -f "$NWC_IMAGE" >/dev/null 2>&1 3>&- || true
	fi
	crun_cgroup_teardown
	nw_teardown_file
}

setup() {
	nw_ensure_testnet
	nw_setup
	shim_setup
	# crun shows a hook's output only when the container asks for it.
	CRUN_ANN=(run.oci.hooks.stderr /dev/stderr)
	local b=$NW_TMP/probe out
	make_bundle "$b" /busybox echo crun-works
	if ! out=$(crun run --bundle "$b" "nwt-crun-probe-$$" 2>&1 </dev/null 3>&-); then
		crun delete --force "nwt-crun-probe-$$" >/dev/null 2>&1 || true
		skip "crun cannot run a container here: $out"
	fi
}

teardown() {
	local id
	while read -r id; do
		if [ -n "$id" ]; then crun delete --force "$id" >/dev/null 2>&1 || true; fi
	done <"$NW_TMP/ids"
	nw_teardown
	nw_unreachable_cleanup
}

crun_run() {
	echo "$2" >>"$NW_TMP/ids"
	timeout -k 5 "$NW_JOB_TIMEOUT" crun run --bundle "$1" "$2" </dev/null
}

crun_clean() {
	assert_clean "$1"
	if crun state "$1" >/dev/null 2>&1; then
		echo "left behind: crun still knows container $1" >&2
		return 1
	fi
}

FETCH='f() { if wget -q -T 3 -t 1 -O - "$1"; then :; else echo "UNREACHABLE $1"; fi; }'
NONE_SCRIPT="$FETCH"'
	echo "links: $(ip -o link | wc -l)"
	f http://198.18.0.10/'
FULL_SCRIPT="$FETCH"'
	echo "addr: $(ip -4 -o addr show eth0 | awk "{print \$4}")"
	f http://www.test/'

assert_none_job() {
	assert_success
	assert_output_has "links: 1"
	assert_output_has "UNREACHABLE http://198.18.0.10/"
	grep -q "container=$1 .*job set up: mode=none" "$NW_LOG"
	crun_clean "$1"
}

assert_full_job() {
	assert_success
	assert_output_has "addr: $NW_SUBNET_PREFIX"
	assert_output_has "hello from www.test"
	crun_clean "$1"
}

assert_http_job() {
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_refused_request http://other.test/ "other.test"
	crun_clean "$1"
}

HTTP_SCRIPT='
	r http://www.test/
	r https://www.test/
	r http://other.test/'

@test "crun: patch-bundle + crun run, none" {
	local id b
	id=$(job_id none)
	b=$(job_bundle "$id" none -- /bin/sh -c "$NONE_SCRIPT")
	patch_bundle "$b"
	run crun_run "$b" "$id"
	assert_none_job "$id"
}

@test "crun: patch-bundle + crun run, full" {
	local id b
	id=$(job_id full)
	b=$(job_bundle "$id" full -- /bin/sh -c "$FULL_SCRIPT")
	patch_bundle "$b"
	run crun_run "$b" "$id"
	assert_full_job "$id"
}

@test "crun: patch-bundle + crun run, http" {
	local id b
	id=$(job_id http)
	b=$(http_bundle "$id" www.test "$HTTP_SCRIPT")
	patch_bundle "$b"
	run crun_run "$b" "$id"
	assert_http_job "$id"
}

@test "crun: patch-bundle + crun run, a refused job never runs and says why" {
	local id b
	id=$(job_id refused)
	b=$(job_bundle "$id" full -- /bin/sh -c 'echo JOB-RAN')
	bundle_annotate "$b" "${CRUN_ANN[@]}"
	patch_bundle "$b"
	# The node changes its mind between patching and the start.
	write_node_config "$NW_CONFIG" '.allowed_modes = ["none"]'
	run crun_run "$b" "$id"
	assert_refused "$id" "allowed_modes"
	crun_clean "$id"
}

@test "crun: netward-runc with crun as the real runtime, none" {
	local id b
	id=$(job_id shimnone)
	b=$(job_bundle "$id" none -- /bin/sh -c "$NONE_SCRIPT")
	run shim_run "$b" "$id" --netward-runtime crun
	assert_none_job "$id"
}

@test "crun: netward-runc with crun as the real runtime (node config), full" {
	local id b
	id=$(job_id shimfull)
	write_node_config "$NW_CONFIG" '.oci_runtime = "crun"'
	b=$(job_bundle "$id" full -- /bin/sh -c "$FULL_SCRIPT")
	run shim_run "$b" "$id"
	assert_full_job "$id"
}

@test "crun: netward-runc with crun as the real runtime, http, beside a second hooks.d hook" {
	local id b
	id=$(job_id shimhttp)
	marker_hook "$NW_HOOKS" 40-marker.json "$NW_TMP/marker"
	b=$(http_bundle "$id" www.test "$HTTP_SCRIPT")
	bundle_annotate "$b" io.example.marker on
	run shim_run "$b" "$id" --netward-runtime crun
	assert_http_job "$id"
	# crun's state says "created" at createRuntime (runc's: "creating").
	grep -qx "marker created $id" "$NW_TMP/marker"
	grep -qx "marker stopped $id" "$NW_TMP/marker"
}

# podman with crun: the image is a busybox rootfs; /usr comes from the host.
nwc_podman() {
	local name=$1 mode=$2 domains=$3 script=$4
	local -a opts=(--annotation "io.netward.network=$mode")
	[ -z "$domains" ] || opts+=(--annotation "io.netward.domains=$domains")
	echo "$name" >>"$NW_TMP/podman-names"
	timeout -k 5 "$NW_JOB_TIMEOUT" podman --runtime crun --hooks-dir "$NW_HOOKS" run --rm \
		--pull never --network none --name "$name" --cidfile "$NW_TMP/$name.cid" \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		-v /usr:/usr:ro -v /etc/ssl:/etc/ssl:ro -v /etc/alternatives:/etc/alternatives:ro \
		-v "$TESTNET_CA:/etc/netward-test-ca.pem:ro" \
		-e CURL_CA_BUNDLE=/etc/netward-test-ca.pem -e SSL_CERT_FILE=/etc/netward-test-ca.pem \
		"${opts[@]}" "$NWC_IMAGE" /bin/sh -c ". /nwt/lib.sh
$script" </dev/null 3>&-
}

podman_ready() {
	command -v podman >/dev/null || skip "podman is not installed"
	if ! podman image exists "$NWC_IMAGE" 3>&-; then
		local d
		d=$(mktemp -d "$NW_TMP/img.XXXXXX")
		make_bundle "$d/b" >/dev/null
		nw_install_job_lib "$d/b/rootfs"
		tar -C "$d/b/rootfs" -cf "$d/rootfs.tar" .
		podman import "$d/rootfs.tar" "$NWC_IMAGE" >/dev/null 2>&1 3>&- ||
			skip "could not build the test image with podman import"
	fi
}

podman_teardown() {
	local n
	[ -f "$NW_TMP/podman-names" ] || return 0
	while read -r n; do
		podman rm -f "$n" >/dev/null 2>&1 3>&- || true
	done <"$NW_TMP/podman-names"
}

@test "crun: podman --runtime crun, full" {
	podman_ready
	local name=nwtest-crun-full-$$
	run nwc_podman "$name" full "" "$FULL_SCRIPT"
	podman_teardown
	assert_success
	assert_output_has "addr: $NW_SUBNET_PREFIX"
	assert_output_has "hello from www.test"
	eventually_clean "$(cat "$NW_TMP/$name.cid")"
}

@test "crun: podman --runtime crun, http" {
	podman_ready
	local name=nwtest-crun-http-$$
	run nwc_podman "$name" http www.test "$HTTP_SCRIPT"
	podman_teardown
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_refused_request http://other.test/ "other.test"
	eventually_clean "$(cat "$NW_TMP/$name.cid")"
}
