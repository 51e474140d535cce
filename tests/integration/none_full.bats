#!/usr/bin/env bats
# netward with real runc: bundles prepared by `netward patch-bundle`, jobs in
# `none` and `full` mode on the test internet, and every refusal a node makes
# before a job starts. Each test checks that the job left nothing behind.

load helpers

nw_suite

# Inside a job: fetch URL with GNU wget (from the host's /usr), print the
# body or a marker saying it could not.
FETCH='f() { if wget -q -T 3 -t 1 -O - "$1"; then :; else echo "UNREACHABLE $1"; fi; }'

@test "none: the job sees only loopback and reaches nothing" {
	local id b
	id=$(job_id none)
	b=$(job_bundle "$id" none -- /bin/sh -c "$FETCH"'
		ip -o link | cut -d: -f2
		echo "links: $(ip -o link | wc -l)"
		f http://198.18.0.10/
		f http://www.test/')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "links: 1"
	assert_output_has " lo"
	assert_output_lacks "eth0"
	assert_output_has "UNREACHABLE http://198.18.0.10/"
	assert_output_has "UNREACHABLE http://www.test/"
	assert_output_lacks "hello from"
	assert_clean "$id"
}

@test "none is the default: a job without annotations reaches nothing" {
	local id b
	id=$(job_id default)
	b=$(job_bundle "$id" "" -- /bin/sh -c "$FETCH"'
		echo "links: $(ip -o link | wc -l)"
		f http://198.18.0.10/')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "links: 1"
	assert_output_has "UNREACHABLE http://198.18.0.10/"
	assert_clean "$id"
}

@test "full: the job fetches from the test internet by name and by address" {
	local id b
	id=$(job_id full)
	b=$(job_bundle "$id" full -- /bin/sh -c "$FETCH"'
		echo "addr: $(ip -4 -o addr show eth0 | awk "{print \$4}")"
		f http://www.test/
		f http://198.18.0.10/
		curl -fsS -m 5 https://www.test/ || echo "UNREACHABLE https://www.test/"')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "addr: $NW_SUBNET_PREFIX"
	[ "$(grep -c '^hello from www.test$' <<<"$output")" -eq 3 ] || {
		printf '%s\n' "$output" >&2
		false
	}
	assert_output_lacks "UNREACHABLE"
	assert_clean "$id"
}

@test "full: the job cannot reach a service on the host" {
	local id b port
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	# The host itself reaches its service on the test internet's link.
	curl --noproxy '*' -fsS -m 2 -o /dev/null "http://$TESTNET_HOST_ADDR:$port/"
	id=$(job_id hostsvc)
	b=$(job_bundle "$id" full -- /bin/sh -c "$FETCH"'
		f http://'"$TESTNET_HOST_ADDR:$port"'/
		f http://169.254.1.1:'"$port"'/
		f http://www.test/')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "UNREACHABLE http://$TESTNET_HOST_ADDR:$port/"
	assert_output_has "UNREACHABLE http://169.254.1.1:$port/"
	assert_output_lacks "upload sink"
	# The job does have a network: the refusals above are the firewall's.
	assert_output_has "hello from www.test"
	assert_clean "$id"
}

@test "full: a job cannot reach another job" {
	local a b ba bb out_a addr i
	a=$(job_id listener)
	b=$(job_id caller)
	ba=$(job_bundle "$a" full -- /bin/sh -c '
		echo "addr: $(ip -4 -o addr show eth0 | awk "{print \$4}" | cut -d/ -f1)"
		/busybox timeout 20 /busybox nc -l -p 7000
		echo LISTENER-DONE')
	patch_bundle "$ba"
	out_a=$NW_TMP/listener.out
	runc_run "$ba" "$a" >"$out_a" 2>&1 3>&- &
	local runc_a=$!
	addr=
	for i in $(seq 1 100); do
		addr=$(sed -n 's/^addr: //p' "$out_a")
		[ -n "$addr" ] && break
		sleep 0.1
	done
	[ -n "$addr" ] || {
		echo "the listening job never printed its address:" >&2
		cat "$out_a" >&2
		false
	}
	[[ "$addr" == "$NW_SUBNET_PREFIX"* ]]
	# Give nc a moment to listen, so a refusal is not a race.
	sleep 0.5
	bb=$(job_bundle "$b" full -- /bin/sh -c '
		if echo FROM-OTHER-JOB | /busybox nc -w 3 '"$addr"' 7000; then
			echo "CONNECTED '"$addr"'"
		else
			echo "REFUSED '"$addr"'"
		fi
		printf "GET / HTTP/1.0\r\nHost: www.test\r\n\r\n" | /busybox nc -w 3 198.18.0.10 80 | tail -n 1')
	run run_job "$bb" "$b"
	runc kill "$a" KILL >/dev/null 2>&1 || true
	wait "$runc_a" || true
	assert_success
	assert_output_has "REFUSED $addr"
	assert_output_has "hello from www.test"
	if grep -q FROM-OTHER-JOB "$out_a"; then
		echo "the listening job received data from the other job" >&2
		false
	fi
	assert_clean "$a"
	assert_clean "$b"
}

@test "full: deny_destinations keeps api.test out of reach while www.test works" {
	local id b
	write_node_config "$NW_CONFIG" '.deny_destinations = ["198.18.0.12/32"]'
	id=$(job_id deny)
	b=$(job_bundle "$id" full -- /bin/sh -c "$FETCH"'
		f http://api.test/
		curl -fsS -m 3 https://api.test:'"$TESTNET_API_PORT"'/ || echo "UNREACHABLE api.test:'"$TESTNET_API_PORT"'"
		f http://www.test/')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "UNREACHABLE http://api.test/"
	assert_output_has "UNREACHABLE api.test:$TESTNET_API_PORT"
	assert_output_lacks "hello from api.test"
	assert_output_has "hello from www.test"
	assert_clean "$id"
}

@test "refused: a mode not in allowed_modes" {
	local id b
	write_node_config "$NW_CONFIG" '.allowed_modes = ["none"]'
	id=$(job_id notallowed)
	b=$(job_bundle "$id" full -- /bin/sh -c 'echo JOB-RAN')
	run run_job "$b" "$id"
	assert_refused "$id" "full"
}

@test "refused: an unknown mode" {
	local id b
	id=$(job_id banana)
	b=$(job_bundle "$id" banana -- /bin/sh -c 'echo JOB-RAN')
	run run_job "$b" "$id"
	assert_refused "$id" "banana"
}

@test "refused: domains given to a full job" {
	local id b
	id=$(job_id fulldomains)
	b=$(job_bundle "$id" full www.test -- /bin/sh -c 'echo JOB-RAN')
	run run_job "$b" "$id"
	assert_refused "$id" "domains"
}

@test "refused: domains given to a none job" {
	local id b
	id=$(job_id nonedomains)
	b=$(job_bundle "$id" none www.test -- /bin/sh -c 'echo JOB-RAN')
	run run_job "$b" "$id"
	assert_refused "$id" "domains"
}

@test "refused: a domain the node's domain_allowlist does not cover" {
	local id b
	write_node_config "$NW_CONFIG" '.domain_allowlist = [".www.test"]'
	id=$(job_id allowlist)
	b=$(job_bundle "$id" http "www.test,other.test" -- /bin/sh -c 'echo JOB-RAN')
	run run_job "$b" "$id"
	assert_refused "$id" "other.test"
}

@test "refused: a malformed domain" {
	local id b
	id=$(job_id baddomain)
	b=$(job_bundle "$id" http "www..test" -- /bin/sh -c 'echo JOB-RAN')
	run run_job "$b" "$id"
	assert_refused "$id" "www..test"
}

@test "refused: a none job sharing the host's network namespace" {
	local id b
	id=$(job_id hostns)
	b=$(job_bundle "$id" none -- /bin/sh -c 'echo JOB-RAN')
	patch_bundle "$b"
	# patch-bundle gives the job a private namespace; take it away again.
	bundle_jq "$b" '.linux.namespaces |= map(select(.type != "network"))'
	run runc_run "$b" "$id"
	assert_refused "$id" "namespace"
}

@test "refused: an http job sharing the host's network namespace" {
	local id b
	id=$(job_id hostnshttp)
	b=$(job_bundle "$id" http www.test -- /bin/sh -c 'echo JOB-RAN')
	patch_bundle "$b"
	bundle_jq "$b" '.linux.namespaces |= map(select(.type != "network"))'
	run runc_run "$b" "$id"
	assert_refused "$id" "namespace"
}

@test "refused: a namespace that already has an interface" {
	local id b ns
	ns=nwt-busy-$$
	test_netns "$ns"
	# Both ends inside: the namespace is wired, the host gains nothing.
	ip -n "$ns" link add nwtb0 type veth peer name nwtb1
	id=$(job_id busyns)
	b=$(job_bundle "$id" none -- /bin/sh -c 'echo JOB-RAN')
	patch_bundle "$b"
	bundle_jq "$b" --arg p "/run/netns/$ns" \
		'.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	run runc_run "$b" "$id"
	assert_refused "$id" "interface"
	# The namespace netward refused is untouched.
	[ "$(ip -n "$ns" -o link | wc -l)" -eq 3 ]
}

@test "refused: a node config with an unknown key names the key" {
	local id b
	write_node_config "$NW_CONFIG" '.allowed_modez = ["full"]'
	id=$(job_id badconfig)
	b=$(job_bundle "$id" none -- /bin/sh -c 'echo JOB-RAN')
	run run_job "$b" "$id"
	assert_refused "$id" "allowed_modez"
}

@test "full: 20 jobs started at once get distinct addresses and all clean up" {
	local n=20 i id b
	local -a ids=() runs=()
	for i in $(seq 1 "$n"); do
		id=$(job_id "many$i")
		ids+=("$id")
		b=$(job_bundle "$id" full -- /bin/sh -c 'ip -4 -o addr show eth0; sleep 2')
		patch_bundle "$b"
	done
	for i in $(seq 0 $((n - 1))); do
		runc_run "$NW_TMP/bundle-${ids[$i]}" "${ids[$i]}" >"$NW_TMP/many-$i.out" 2>&1 3>&- &
		runs+=("$!")
	done
	local failed=0
	for i in $(seq 0 $((n - 1))); do
		if ! wait "${runs[$i]}"; then
			echo "job ${ids[$i]} failed:" >&2
			cat "$NW_TMP/many-$i.out" >&2
			failed=1
		fi
	done
	[ "$failed" -eq 0 ]
	local addrs
	addrs=$(cat "$NW_TMP"/many-*.out | awk '$3 == "inet" {print $4}' | cut -d/ -f1)
	[ "$(wc -l <<<"$addrs")" -eq "$n" ] || {
		echo "expected $n addresses, got:" >&2
		printf '%s\n' "$addrs" >&2
		false
	}
	[ "$(sort -u <<<"$addrs" | wc -l)" -eq "$n" ] || {
		echo "addresses are not distinct:" >&2
		sort <<<"$addrs" | uniq -d >&2
		false
	}
	if grep -v "^$NW_SUBNET_PREFIX" <<<"$addrs"; then
		echo "addresses outside the node subnet" >&2
		false
	fi
	for id in "${ids[@]}"; do
		assert_clean "$id"
	done
}
