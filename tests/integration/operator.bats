#!/usr/bin/env bats
# The operator's command line: every subcommand's --help changes nothing
# on the node, exit codes follow netward(8), and the dry runs (`explain`,
# `test`) give the hook's and the proxy's decisions on the test internet
# without a container or a proxy.

load helpers

nw_suite

setup() {
	nw_suite_setup
	write_node_config "$NW_CONFIG" \
		'.domain_allowlist = [".www.test", "other.test", "private.test", "meta.test", "api.test", "mixed.test"]
		 | .deny_destinations = ["'"$TESTNET_API"'", "other.test:8443"]
		 | .allow_private_destinations = ["198.18.0.0/15"]'
}

fail() {
	printf '%s\n' "$*" >&2
	return 1
}

# At least these; every command `netward --help` lists is tried.
KNOWN_COMMANDS=(precreate prestart createRuntime poststop patch-bundle gc status check-config
	explain test proxy)

# What a command could change on the node: the whole nft ruleset, netward's
# state, links and addresses, netward processes.
node_snapshot() {
	nft list ruleset 2>/dev/null
	echo "--- state"
	find /run/netward -printf '%p %s %T@\n' 2>/dev/null | sort
	echo "--- links"
	ip -o link show | sed -E 's/^[0-9]+: //; s/ qlen.*//'
	ip -o addr show | awk '{print $2, $4}'
	echo "--- processes"
	pgrep -a -f "$NETWARD" | grep -v pgrep || true
}

@test "--help of every subcommand prints its usage, reads no stdin and changes nothing" {
	local cmd before after
	local -a COMMANDS
	mapfile -t COMMANDS < <("$NETWARD" --help | sed -n 's/^  \([a-zA-Z][a-zA-Z-]*\)\( .*\)\{0,1\}$/\1/p')
	for cmd in "${KNOWN_COMMANDS[@]}"; do
		printf '%s\n' "${COMMANDS[@]}" | grep -qxF -- "$cmd" || fail "netward --help lacks $cmd"
	done
	before=$(node_snapshot)
	# stdin is a FIFO held open and never written: a command that read it
	# would hang until the timeout.
	mkfifo "$NW_TMP/stdin"
	for cmd in "${COMMANDS[@]}"; do
		run timeout 5 "$NETWARD" --config "$NW_CONFIG" "$cmd" --help <>"$NW_TMP/stdin"
		[ "$status" -eq 0 ] || fail "netward $cmd --help exited $status: $output"
		[[ "${lines[0]}" == "Usage: netward [--config FILE] $cmd"* ]] ||
			fail "netward $cmd --help: $output"
		# -h too, and after other arguments.
		run timeout 5 "$NETWARD" --config "$NW_CONFIG" "$cmd" --json -h <>"$NW_TMP/stdin"
		[ "$status" -eq 0 ] && [[ "${lines[0]}" == "Usage: netward"* ]] ||
			fail "netward $cmd --json -h: $output"
	done
	after=$(node_snapshot)
	if [ "$before" != "$after" ]; then
		diff <(echo "$before") <(echo "$after") >&2 || true
		fail "the node changed"
	fi
}

@test "a bad command line exits 2, as netward(8) says; a refusal exits 1" {
	local args
	for args in "bogus" "status extra" "status --json extra" "gc now" "gc --force" \
		"check-config a b" "check-config --bogus" "patch-bundle" "patch-bundle a b" \
		"poststop extra" "explain" "explain --network" "test" "test a b" \
		"proxy --listen 127.0.0.1:1" "--bogus status"; do
		# shellcheck disable=SC2086
		run "$NETWARD" --config "$NW_CONFIG" $args </dev/null
		[ "$status" -eq 2 ] || fail "netward $args exited $status (want 2): $output"
		[[ "$output" == *"netward"* ]] || fail "netward $args said nothing"
	done
	run "$NETWARD" --config "$NW_CONFIG" explain --network full --domains www.test
	[ "$status" -eq 1 ] || fail "a refused explain exited $status: $output"
}

@test "gc --json and check-config --json print JSON" {
	run "$NETWARD" --config "$NW_CONFIG" gc --json
	[ "$status" -eq 0 ]
	jq -e '(.jobs | type) == "number" and (.removed | type) == "array"' <<<"$output" ||
		fail "gc --json: $output"
	run "$NETWARD" check-config --json "$NW_CONFIG"
	[ "$status" -eq 0 ]
	jq -e '.valid == true and .sources.dns_servers == "config" and .sources.rate_limit_bps == "default"
		and .policy.dns_servers == ["'"$TESTNET_DNS"'"]' <<<"$output" || fail "$output"
}

@test "explain: admitted or refused, every failing domain, the entry covering each other one" {
	run "$NETWARD" --config "$NW_CONFIG" explain --network HTTP \
		--domains a.www.test,evil.test,other.test,nope.test --json
	[ "$status" -eq 1 ]
	jq -e '.admitted == false and .ceiling == true
		and ([.domains[] | select(.allowed | not) | .domain] == ["evil.test", "nope.test"])
		and ([.domains[] | select(.allowed) | .covered_by] == [".www.test", "other.test"])' \
		<<<"$output" || fail "$output"
	jq -e '.reason | contains("\"evil.test\", \"nope.test\"")' <<<"$output" || fail "$output"
	# The hook itself refuses a real job with the same sentence.
	local id b
	id=$(job_id explain)
	b=$(job_bundle "$id" http a.www.test,evil.test,other.test,nope.test -- /bin/sh -c 'echo JOB-RAN')
	run run_job "$b" "$id"
	assert_refused "$id" 'domains "evil.test", "nope.test", which this node'
	run "$NETWARD" --config "$NW_CONFIG" explain --network http --domains www.test
	[ "$status" -eq 0 ]
	[[ "$output" == *'covered by ".www.test"'* && "$output" == *admitted* ]] || fail "$output"
}

# test_url URL [ARGS...]: `netward test --json`, the decision in $output.
test_url() {
	run "$NETWARD" --config "$NW_CONFIG" test "$@" --json
}

@test "test URL: the proxy's decision, resolved through dns_servers, with no proxy started" {
	test_url http://www.test/
	[ "$status" -eq 0 ] || fail "$output"
	jq -e '.allowed and .connect_to == "'"$TESTNET_WWW"':80" and .addresses == ["'"$TESTNET_WWW"'"]' \
		<<<"$output" || fail "$output"
	test_url https://sub.www.test/x --domains .www.test
	[ "$status" -eq 0 ] && jq -e '.method == "CONNECT" and .allowed' <<<"$output" || fail "$output"
	# Refused by the job's list, by a port, by deny_destinations on the name
	# and on the address, by the private-range check, by DNS.
	test_url http://other.test/ --domains www.test
	[ "$status" -eq 1 ] && jq -e '.status == 403 and .stage == "name"
		and (.reason | contains("not in this job'"'"'s allowlist"))' <<<"$output" || fail "$output"
	test_url https://www.test:8443/
	[ "$status" -eq 1 ] && jq -e '.reason | contains("port 8443 is not in connect_ports")' \
		<<<"$output" || fail "$output"
	test_url http://other.test:8443/
	[ "$status" -eq 1 ] && jq -e '.reason | contains("deny_destinations")' <<<"$output" ||
		fail "$output"
	test_url http://api.test/
	[ "$status" -eq 1 ] && jq -e '.stage == "address" and (.reason | contains("'"$TESTNET_API"'"))
		and (.reason | contains("deny_destinations"))' <<<"$output" || fail "$output"
	test_url http://private.test/
	[ "$status" -eq 1 ] && jq -e '.reason | contains("a private address")' <<<"$output" ||
		fail "$output"
	test_url http://meta.test/
	[ "$status" -eq 1 ] && jq -e '.reason | contains("169.254.169.254")' <<<"$output" ||
		fail "$output"
	test_url http://mixed.test/
	[ "$status" -eq 1 ] && jq -e '.reason | contains("one refused address of 2")' <<<"$output" ||
		fail "$output"
	test_url http://nx.www.test/
	[ "$status" -eq 1 ] && jq -e '.status == 502 and (.reason | contains("NXDOMAIN"))' \
		<<<"$output" || fail "$output"
	# The node's ceiling holds here too.
	test_url http://evil.test/
	[ "$status" -eq 1 ] && [[ "$output" == *"domain_allowlist does not cover"* ]] || fail "$output"
	# Nothing was started: no proxy, no job state.
	run pgrep -f "$NETWARD.*proxy"
	[ "$status" -ne 0 ] || fail "a proxy runs: $output"
}

@test "test URL: the text form names the rule" {
	run "$NETWARD" --config "$NW_CONFIG" test http://api.test/
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused at address (403): netward: $TESTNET_API:80 is in deny_destinations"* ]] ||
		fail "$output"
}

@test "the example configs fail validation until their placeholders are filled in" {
	local f n=0 out
	for f in "$NW_ROOT"/packaging/examples/*.json; do
		n=$((n + 1))
		run "$NETWARD" check-config "$f"
		[ "$status" -eq 1 ] || fail "$f validates with its placeholders: $output"
		[[ "$output" == *"is a placeholder of the example config"* ]] || fail "$f: $output"
		out=$NW_TMP/${f##*/}
		sed -e 's/<orchestrator API address>/10.0.0.5/' \
			-e "s/<your resolver's IP address>/10.0.0.53/" \
			-e "s/<your internal resolver's IP address>/10.0.0.53/" \
			-e "s/<mirror's domain, e.g. mirror.corp.example>/mirror.corp.example/" \
			-e "s|<mirror's address, e.g. 10.20.30.40/32>|10.20.30.40/32|" "$f" >"$out"
		run "$NETWARD" check-config --strict "$out"
		[ "$status" -eq 0 ] || fail "$f, filled in: $output"
	done
	[ "$n" -eq 3 ]
}
