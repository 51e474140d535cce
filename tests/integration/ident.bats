#!/usr/bin/env bats
# One job-id rule at every entry point: the annotation (precreate and
# prestart through oci.c) and a hand-started proxy (`netward proxy
# --job-id`, through policy.c) refuse the same ids. tests/unit/test_ident.c
# checks the functions; this checks the command line.

load helpers

nw_suite

setup() {
	nw_suite_setup
	write_node_config "$NW_CONFIG" '.allowed_modes = ["none", "http"]'
}

@test "netward proxy --job-id refuses a quote, as the annotation does" {
	for id in "a'b" 'a"b' 'a b' 'a\b'; do
		run timeout 5 "$NETWARD" --config "$NW_CONFIG" proxy --listen 127.0.0.1:1 \
			--domains a.test --job-id "$id" </dev/null
		[ "$status" -ne 0 ] || { echo "accepted job id $id"; return 1; }
		[[ "$output" == *"io.netward.job-id must be"* ]] || { echo "$output"; return 1; }
	done
}
