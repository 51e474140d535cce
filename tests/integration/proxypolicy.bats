#!/usr/bin/env bats
# The proxy's node policy from inside real runc containers: a port on an
# allow_private_destinations entry, deny_destinations names reached through
# a CNAME or through another name sharing their address, and a job that
# floods its own access log. Each test checks that the job left nothing
# behind.

load helpers
load http_helpers

setup_file() { nw_setup_file; }
teardown_file() { nw_teardown_file; }
setup() {
	nw_ensure_testnet
	nw_setup
}
teardown() {
	nw_teardown
	nw_unreachable_cleanup
}

@test "proxypolicy: allow_private_destinations CIDR:port opens that port only" {
	local id b
	# The test internet is private (198.18.0.0/15); only port 80 of it is
	# listed here. www.test also listens on 8080.
	write_node_config "$NW_CONFIG" '.allow_private_destinations = ["198.18.0.0/15:80"]'
	id=$(job_id privport)
	b=$(http_bundle "$id" www.test '
		r http://www.test/
		r http://www.test:8080/')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_refused_request http://www.test:8080/ "allow_private_destinations does not include it on port 8080"
	run "$NETWARD" --config "$NW_CONFIG" check-config
	assert_success
	assert_output_has '"198.18.0.0/15:80"'
	assert_clean "$id"
}
