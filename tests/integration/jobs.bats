#!/usr/bin/env bats
# The job's side of the node: bundles that were never patched, the same
# container id under two runtime roots, what the proxy holds (descriptors,
# cgroup, a uid of its own).

load helpers
load http_helpers

setup_file() { nw_setup_file; }
teardown_file() { nw_teardown_file; }
setup() {
	nw_ensure_testnet
	nw_setup
}
teardown() { nw_teardown; }

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
