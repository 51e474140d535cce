#!/usr/bin/env bats
# netward's http mode with real runc (bundles prepared by `netward
# patch-bundle`) and real clients inside the job: curl (HTTP, and HTTPS
# through CONNECT with the test CA), busybox wget, Python's urllib. The job
# reaches its allowed domains through its proxy and nothing else: no direct
# address, no DNS, no host service, no other job's proxy. Each test checks
# that the job left nothing behind.

load helpers
load http_helpers

nw_suite testnet unreachable

@test "http: the job's environment names the proxy; its other variables are untouched" {
	local id b
	id=$(job_id env)
	b=$(http_bundle "$id" www.test 'env')
	bundle_jq "$b" '.process.env += ["NWT_KEEP=a=b c", "LANG=C.UTF-8"]'
	run run_job "$b" "$id"
	assert_success
	local v
	for v in http_proxy https_proxy HTTP_PROXY HTTPS_PROXY; do
		assert_output_has "$v=$NW_PROXY_URL"
		# Exactly once, and no other value.
		[ "$(grep -c "^$v=" <<<"$output")" -eq 1 ]
	done
	assert_output_has "no_proxy=localhost,127.0.0.1,::1"
	assert_output_has "NO_PROXY=localhost,127.0.0.1,::1"
	assert_output_has "NWT_KEEP=a=b c"
	assert_output_has "LANG=C.UTF-8"
	assert_output_has "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	assert_output_has "HOME=/root"
	assert_output_has "CURL_CA_BUNDLE=/etc/netward-test-ca.pem"
	assert_output_has "SSL_CERT_FILE=/etc/netward-test-ca.pem"
	assert_clean "$id"
}

@test "http: a proxy variable the job brought is replaced by netward's" {
	local id b
	id=$(job_id envreplace)
	b=$(http_bundle "$id" www.test 'env; r http://www.test/')
	bundle_jq "$b" '.process.env += ["http_proxy=http://198.18.0.11:9/", "HTTPS_PROXY=http://198.18.0.11:9/"]'
	run run_job "$b" "$id"
	assert_success
	assert_output_lacks "198.18.0.11:9"
	[ "$(grep -c '^http_proxy=' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^HTTPS_PROXY=' <<<"$output")" -eq 1 ]
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "http: curl fetches allowed domains over HTTP and HTTPS, and is refused others with the reason" {
	local id b
	id=$(job_id curl)
	b=$(http_bundle "$id" www.test '
		r http://www.test/
		r https://www.test/
		r http://www.test:8080/
		r http://other.test/
		r https://other.test/
		r http://evilwww.test/
		r http://198.18.0.10/')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT http://www.test:8080/ 200 " "hello from www.test"
	assert_refused_request http://other.test/ "other.test"
	assert_refused_request http://other.test/ "allowlist"
	assert_refused_tunnel https://other.test/ "other.test"
	assert_refused_request http://evilwww.test/ "evilwww.test"
	# An address literal is not a name on the list.
	assert_refused_request http://198.18.0.10/ "198.18.0.10"
	assert_output_lacks "hello from other.test"
	assert_clean "$id"
}

@test "http: a .domain entry admits the domain and every name below it, nothing else" {
	local id b
	id=$(job_id wildcard)
	b=$(http_bundle "$id" .www.test '
		r http://www.test/
		r http://sub.www.test/
		r https://a.www.test/
		r http://other.test/
		r http://evilexample.test/')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT http://sub.www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://a.www.test/ 200 " "hello from www.test"
	assert_refused_request http://other.test/ "other.test"
	assert_refused_request http://evilexample.test/ "evilexample.test"
	assert_clean "$id"
}

@test "http: busybox wget fetches an allowed domain and gets 403 for another" {
	local id b
	id=$(job_id wget)
	b=$(http_bundle "$id" www.test '
		w http://www.test/
		w http://other.test/')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "WGET http://www.test/ ok " "hello from www.test"
	assert_line_has "WGET http://other.test/ fail " "403"
	assert_output_lacks "hello from other.test"
	assert_clean "$id"
}

@test "http: Python urllib fetches over HTTP and HTTPS and reads the refusal's reason" {
	local id b
	id=$(job_id python)
	b=$(http_bundle "$id" www.test,.www.test '
		python3 -c "import urllib.request; print(urllib.request.urlopen(\"http://www.test/\").read())"
		py http://www.test/ https://www.test/ https://sub.www.test/ http://other.test/ https://other.test/')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "b'hello from www.test\n'"
	assert_line_has "PY http://www.test/ 200 " "hello from www.test"
	assert_line_has "PY https://www.test/ 200 " "hello from www.test"
	assert_line_has "PY https://sub.www.test/ 200 " "hello from www.test"
	assert_line_has "PY http://other.test/ 403 " "netward: "
	assert_line_has "PY http://other.test/ 403 " "other.test"
	# urllib reports a refused tunnel as an error carrying the status.
	assert_line_has "PY https://other.test/ ERR " "403"
	assert_output_lacks "hello from other.test"
	assert_clean "$id"
}

@test "http: with intercept off, the job reaches nothing directly: no address, no DNS, no UDP" {
	local id b
	# With interception (the default) a direct connection on an http port
	# is redirected to the proxy: redirect.bats and intercept_*.bats.
	write_node_config "$NW_CONFIG" '.intercept = false'
	id=$(job_id direct)
	b=$(http_bundle "$id" www.test '
		r http://198.18.0.10/ --noproxy "*" --max-time 3
		r https://198.18.0.10/ --noproxy "*" --max-time 3 -k
		r http://www.test/ --noproxy "*" --max-time 3 --resolve www.test:80:198.18.0.10
		reach 198.18.0.10 80
		reach 198.18.0.2 53
		if /busybox timeout 12 python3 -c "import socket; print(socket.gethostbyname(\"www.test\"))"; then
			echo PYRESOLVE ok
		else
			echo PYRESOLVE fail
		fi
		echo "NSLOOKUP $(/busybox timeout 8 /busybox nslookup www.test 198.18.0.2 2>&1 | tr "\n" " ")"
		echo "IPV6 $(ip -6 -o addr show scope global | wc -l)"
		r http://www.test/')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "RESULT http://198.18.0.10/ 000" ""
	assert_line_has "RESULT https://198.18.0.10/ 000" ""
	assert_line_has "RESULT http://www.test/ 000" ""
	assert_output_has "REACH 198.18.0.10:80 closed"
	assert_output_has "REACH 198.18.0.2:53 closed"
	assert_output_has "PYRESOLVE fail"
	assert_line_has "NSLOOKUP " ""
	if grep '^NSLOOKUP ' <<<"$output" | grep -qF 198.18.0.10; then
		echo "busybox nslookup resolved www.test from inside the job:" >&2
		printf '%s\n' "$output" >&2
		false
	fi
	assert_output_has "IPV6 0"
	# The job does have its proxy: the refusals above are the wiring's.
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "http: the job cannot reach the host's other ports on the gateway" {
	local id b port
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	# The host answers there, on the gateway address too once a job's veth
	# holds it; the test internet's side proves the listener is up.
	curl --noproxy '*' -fsS -m 2 -o /dev/null "http://$TESTNET_HOST_ADDR:$port/"
	id=$(job_id gateway)
	b=$(http_bundle "$id" www.test '
		reach '"$NW_GATEWAY $port"'
		r http://'"$TESTNET_HOST_ADDR:$port"'/ --noproxy "*" --max-time 3
		reach '"$NW_GATEWAY"' 22
		r http://'"$NW_GATEWAY:$port"'/ --noproxy "*" --max-time 3
		r http://'"$NW_GATEWAY:$port"'/
		reach '"$NW_GATEWAY"' 3128
		r http://www.test/')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "REACH $NW_GATEWAY:$port closed"
	# The node's other address: a connection on an http port meets the
	# job's own proxy (interception), never the host's service ("upload
	# sink" below).
	assert_line_has "RESULT http://$TESTNET_HOST_ADDR:$port/ " ""
	assert_output_has "REACH $NW_GATEWAY:22 closed"
	assert_line_has "RESULT http://$NW_GATEWAY:$port/ 000" ""
	# Asked through the proxy, the gateway is refused by name.
	assert_refused_request "http://$NW_GATEWAY:$port/" "$NW_GATEWAY"
	assert_output_lacks "upload sink"
	assert_output_has "REACH $NW_GATEWAY:3128 open"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "http: a job cannot use another job's proxy or reach the other job" {
	local a b ba bb shared addr_a
	shared=$NW_TMP/shared
	mkdir -p "$shared"
	a=$(job_id jobA)
	b=$(job_id jobB)
	# Job A may fetch other.test only; it waits until B is done, then
	# shows its own proxy still serves it.
	ba=$(http_bundle "$a" other.test '
		echo "addr: $(ip -4 -o addr show eth0 | awk "{print \$4}" | cut -d/ -f1)"
		/busybox timeout 25 /busybox nc -l -p 3128 >/shared/a-got &
		i=0
		while [ ! -e /shared/b-done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
		r http://other.test/
		r http://www.test/')
	bundle_share "$ba" "$shared"
	patch_bundle "$ba"
	run_detached "$ba" "$a" "$NW_TMP/a.out"
	wait_for_text "$NW_TMP/a.out" "addr: "
	addr_a=$(sed -n 's/^addr: //p' "$NW_TMP/a.out")
	[[ "$addr_a" == "$NW_SUBNET_PREFIX"* ]]
	sleep 0.3
	# Job B may fetch www.test only.
	bb=$(http_bundle "$b" www.test '
		reach '"$addr_a"' 3128
		r http://other.test/ --noproxy "*" --max-time 3 --resolve other.test:80:'"$addr_a"'
		r http://other.test/ -x http://'"$addr_a"':3128
		r http://other.test/
		r https://other.test/
		r http://www.test/
		touch /shared/b-done')
	bundle_share "$bb" "$shared"
	run run_job "$bb" "$b"
	touch "$shared/b-done"
	assert_success
	assert_output_has "REACH $addr_a:3128 closed"
	assert_line_has "RESULT http://other.test/ 000" ""
	assert_refused_request http://other.test/ "other.test"
	assert_refused_tunnel https://other.test/ "other.test"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_output_lacks "hello from other.test"
	if [ -s "$shared/a-got" ]; then
		echo "job A received bytes from job B:" >&2
		cat "$shared/a-got" >&2
		false
	fi
	assert_clean "$b"
	# A's own proxy still serves A, with A's list.
	local i
	for i in $(seq 1 200); do
		runc state "$a" 2>/dev/null | jq -e '.status == "stopped"' >/dev/null && break
		sleep 0.1
	done
	output=$(cat "$NW_TMP/a.out")
	status=0
	assert_line_has "RESULT http://other.test/ 200 " "hello from other.test"
	assert_refused_request http://www.test/ "www.test"
	runc delete "$a"
	assert_clean "$a"
}

@test "http: an allowed name resolving to a private address is refused" {
	local id b
	nw_unreachable "$TESTNET_PRIVATE" 169.254.169.254
	id=$(job_id private)
	b=$(http_bundle "$id" private.test,loop.test,meta.test,mixed.test,www.test '
		r http://private.test/
		r https://private.test/
		r http://loop.test/
		r http://meta.test/
		r http://mixed.test/
		r http://www.test/')
	run run_job "$b" "$id"
	assert_success
	assert_refused_request http://private.test/ "allow_private_destinations"
	assert_refused_request http://private.test/ "10.99.0.1"
	assert_refused_tunnel https://private.test/ "allow_private_destinations"
	assert_refused_request http://loop.test/ "127.0.0.1"
	assert_refused_request http://meta.test/ "169.254.169.254"
	# One private answer among public ones refuses the name (rebinding).
	assert_refused_request http://mixed.test/ "10.99.0.1"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "http: allow_private_destinations lets a listed private range through the check" {
	local id b
	write_node_config "$NW_CONFIG" '.allow_private_destinations += ["10.99.0.0/16"]'
	nw_unreachable "$TESTNET_PRIVATE" 169.254.169.254
	id=$(job_id privok)
	b=$(http_bundle "$id" private.test,loop.test,www.test '
		r http://private.test/
		r http://loop.test/
		r http://www.test/')
	run run_job "$b" "$id"
	assert_success
	# Nothing answers at 10.99.0.1 (an unreachable route keeps it on this
	# host): the proxy tried, and says the upstream failed (502 or 504),
	# where it refused with 403 before.
	if ! grep -qE '^RESULT http://private.test/ (502|504) ' <<<"$output"; then
		echo "expected 502 or 504 for private.test once its range is allowed:" >&2
		printf '%s\n' "$output" >&2
		false
	fi
	assert_line_has "RESULT http://private.test/ 50" "netward: "
	# Only the listed range: loopback stays refused.
	assert_refused_request http://loop.test/ "allow_private_destinations"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "http: deny_destinations by address refuses what the job lists" {
	local id b
	write_node_config "$NW_CONFIG" '.deny_destinations = ["198.18.0.12/32"]
		| .connect_ports = [443, 6443]'
	id=$(job_id denycidr)
	b=$(http_bundle "$id" api.test,www.test '
		r http://api.test/
		r https://api.test:6443/
		r http://www.test/')
	run run_job "$b" "$id"
	assert_success
	assert_refused_request http://api.test/ "deny_destinations"
	assert_refused_tunnel https://api.test:6443/ "deny_destinations"
	assert_output_lacks "hello from api.test"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}

@test "http: deny_destinations by name and port refuses that port only" {
	local id b
	write_node_config "$NW_CONFIG" '.deny_destinations = ["api.test:6443"]
		| .connect_ports = [443, 6443]'
	id=$(job_id denyname)
	b=$(http_bundle "$id" api.test '
		r https://api.test:6443/
		r http://api.test/')
	run run_job "$b" "$id"
	assert_success
	assert_refused_tunnel https://api.test:6443/ "deny_destinations"
	# Port 80 of the same name is not in the entry.
	assert_line_has "RESULT http://api.test/ 200 " "hello from api.test"
	assert_clean "$id"
}

@test "http: netward status and the access log account for the job's requests" {
	local id b i st
	id=$(job_id status)
	b=$(http_bundle "$id" www.test '
		r http://www.test/
		r http://other.test/
		r https://www.test/
		echo FETCHED
		exec sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/status.out"
	wait_for_text "$NW_TMP/status.out" FETCHED
	grep -q '^RESULT http://www.test/ 200 ' "$NW_TMP/status.out"
	grep -q '^RESULT http://other.test/ 403 ' "$NW_TMP/status.out"
	# The counters reach the state entry on the proxy's own schedule.
	for i in $(seq 1 50); do
		st=$("$NETWARD" --config "$NW_CONFIG" status --json </dev/null |
			jq -c --arg id "$id" '.[] | select(.id == $id)')
		[ -n "$st" ] && jq -e '.requests_allowed >= 2 and .requests_denied >= 1' \
			<<<"$st" >/dev/null && break
		sleep 0.1
	done
	echo "status: $st" >&2
	jq -e --arg p "$NW_SUBNET_PREFIX" '.mode == "http" and .domains == "www.test"
		and .state == "running" and (.address | startswith($p)) and .proxy_pid > 0' <<<"$st"
	jq -e '.requests_allowed >= 2 and .requests_denied >= 1' <<<"$st"
	jq -e '.bytes_down > 0 and .bytes_up > 0' <<<"$st"
	local log=$NW_STATE/jobs/$id/access.log
	cat "$log" >&2
	grep -F 'host=www.test' "$log" | grep -qF 'decision=allow'
	grep -F 'host=other.test' "$log" | grep -F 'decision=deny' | grep -qF 'allowlist'
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
}

# awk's verdict on a measured rate (bytes/s) against the configured one.
rate_within() {
	awk -v got="$1" -v want="$2" 'BEGIN { exit !(got <= want * 1.05 && got >= want * 0.5) }'
}

@test "http: the rate limit holds for a download and an upload" {
	local id b
	write_node_config "$NW_CONFIG" '.rate_limit_bps = 8000000'
	id=$(job_id rate)
	b=$(http_bundle "$id" www.test '
		curl -sS -m 40 -o /dev/null -w "DOWN %{size_download} %{time_total}\n" http://www.test/big
		head -c 6000000 /dev/urandom >/tmp/up
		curl -sS -m 40 -T /tmp/up -w "UP %{size_upload} %{time_total}\n" http://www.test:'"$TESTNET_UPLOAD_PORT"'/')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "received 6000000 bytes"
	local want=1000000 down up
	down=$(awk '$1 == "DOWN" && $2 > 0 { printf "%d", $2 / $3 }' <<<"$output")
	up=$(awk '$1 == "UP" && $2 > 0 { printf "%d", $2 / $3 }' <<<"$output")
	assert_output_has "DOWN $TESTNET_BIG_SIZE "
	assert_output_has "UP 6000000 "
	echo "# download ${down:-?} B/s, upload ${up:-?} B/s, limit $want B/s" >&3
	rate_within "$down" "$want" || {
		echo "download ran at $down B/s; the limit is $want B/s:" >&2
		printf '%s\n' "$output" >&2
		false
	}
	rate_within "$up" "$want" || {
		echo "upload ran at $up B/s; the limit is $want B/s:" >&2
		printf '%s\n' "$output" >&2
		false
	}
	assert_clean "$id"
}

# start_job_without_poststop ID: an http job that only sleeps, patched,
# with its poststop hook taken out so that only the monitor (or gc) can
# clean up after it; runs it detached and checks its proxy is up.
start_job_without_poststop() {
	local id=$1 b proxy
	b=$(http_bundle "$id" www.test 'echo STARTED; exec sleep 300')
	patch_bundle "$b"
	bundle_jq "$b" 'del(.hooks.poststop)'
	[ "$(jq '.hooks.poststop | length' "$b/config.json")" -eq 0 ]
	run_detached "$b" "$id" "$NW_TMP/$id.out"
	wait_for_text "$NW_TMP/$id.out" STARTED
	[ -e "$NW_STATE/jobs/$id/state.json" ]
	proxy=$(job_state_field "$id" proxy_pid)
	[ -n "$proxy" ]
	[ "$(cat "/proc/$proxy/comm")" = netward-proxy ]
}

@test "http: SIGKILL and delete without poststop leave nothing behind" {
	local id proxy mon hostif i
	id=$(job_id sigkill)
	start_job_without_poststop "$id"
	proxy=$(job_state_field "$id" proxy_pid)
	mon=$(job_state_field "$id" monitor_pid)
	hostif=$(job_state_field "$id" host_if)
	ip link show "$hostif" >/dev/null
	kill_job "$id"
	# Before any delete: the monitor sees the namespace go and cleans up.
	for i in $(seq 1 100); do
		pid_gone "$proxy" && ! ip link show "$hostif" >/dev/null 2>&1 &&
			[ ! -e "$NW_STATE/jobs/$id" ] && break
		sleep 0.1
	done
	pid_gone "$proxy"
	pid_gone "$mon"
	[ ! -e "$NW_STATE/jobs/$id" ]
	runc delete "$id"
	eventually_clean "$id" 10
	assert_link_gone "$hostif" rules
}

@test "http: runc delete --force of a running job without poststop leaves nothing behind" {
	local id proxy hostif
	id=$(job_id forcedel)
	start_job_without_poststop "$id"
	proxy=$(job_state_field "$id" proxy_pid)
	hostif=$(job_state_field "$id" host_if)
	[ -n "$proxy" ]
	[ "$proxy" -gt 0 ]
	runc delete --force "$id"
	eventually_clean "$id" 10
	pid_gone "$proxy"
	assert_link_gone "$hostif"
}

@test "http: the proxy runs without capabilities, as non-root, with no_new_privs and seccomp" {
	local id b proxy f
	id=$(job_id sandbox)
	b=$(http_bundle "$id" www.test '
		r http://www.test/
		echo FETCHED
		exec sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/sandbox.out"
	wait_for_text "$NW_TMP/sandbox.out" FETCHED
	proxy=$(job_state_field "$id" proxy_pid)
	[ -n "$proxy" ]
	[ "$proxy" -gt 0 ]
	f=/proc/$proxy/status
	[ "$(cat "/proc/$proxy/comm" 2>/dev/null)" = netward-proxy ] || {
		echo "the proxy (pid $proxy) is not running after serving one request:" >&2
		cat "$NW_TMP/sandbox.out" >&2
		false
	}
	cat "$f" >"$NW_TMP/proxy-status"
	local bad=0 k v
	for k in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(awk -v k="$k:" '$1 == k { print $2 }' "$NW_TMP/proxy-status")
		if [ "$v" != 0000000000000000 ]; then
			echo "proxy $k is '$v'" >&2
			bad=1
		fi
	done
	for k in Uid Gid; do
		if awk -v k="$k:" '$1 == k { for (i = 2; i <= 5; i++) if ($i == 0) f = 1 } END { exit !f }' \
			"$NW_TMP/proxy-status"; then
			echo "proxy runs with $k 0: $(grep "^$k:" "$NW_TMP/proxy-status")" >&2
			bad=1
		fi
	done
	[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$NW_TMP/proxy-status")" = 1 ] || {
		echo "proxy NoNewPrivs is not 1" >&2
		bad=1
	}
	[ "$(awk '$1 == "Seccomp:" { print $2 }' "$NW_TMP/proxy-status")" = 2 ] || {
		echo "proxy Seccomp is not 2 (filter)" >&2
		bad=1
	}
	# No supplementary groups either (root's would leak through).
	[ -z "$(awk '$1 == "Groups:" { $1 = ""; print }' "$NW_TMP/proxy-status" | tr -d ' ')" ] || {
		echo "proxy keeps groups: $(grep '^Groups:' "$NW_TMP/proxy-status")" >&2
		bad=1
	}
	[ "$bad" -eq 0 ] || {
		cat "$NW_TMP/proxy-status" >&2
		false
	}
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
}
