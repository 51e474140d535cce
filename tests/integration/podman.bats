#!/usr/bin/env bats
# netward under podman, installed the way packaging/hooks/ installs it: the
# hooks.d entries (precreate, createRuntime, poststop) with their paths
# pointed at this build and a test node config, passed with --hooks-dir.
# The image is a local busybox rootfs (no registry); the host's /usr is
# mounted read-only so curl and python3 run inside.

load helpers
load http_helpers
load seccomp_helpers
load intercept_helpers

NWP_IMAGE=localhost/nwtest-netward:latest

setup_file() {
	nw_setup_file
	command -v podman >/dev/null || return 0
	local d
	d=$(mktemp -d /tmp/nwtest-podman-image.XXXXXX)
	mkdir -p "$d/rootfs"/{etc,tmp,proc,sys,dev,root,run,usr,nwt}
	install -m 0755 "$(command -v busybox)" "$d/rootfs/busybox"
	# Merged-/usr hosts: the same links as the host, /usr mounted at run time.
	local l
	for l in bin sbin lib lib32 lib64 libx32; do
		if [ -L "/$l" ]; then
			ln -sfn "$(readlink "/$l")" "$d/rootfs/$l"
		elif [ -d "/$l" ]; then
			mkdir -p "$d/rootfs/$l"
		fi
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$d/rootfs/etc/passwd"
	printf 'root:x:0:\n' >"$d/rootfs/etc/group"
	printf 'hosts: files dns\n' >"$d/rootfs/etc/nsswitch.conf"
	nw_install_job_lib "$d/rootfs"
	ic_install "$d/rootfs"
	tar -C "$d/rootfs" -cf "$d/rootfs.tar" .
	podman rmi -f "$NWP_IMAGE" >/dev/null 2>&1 3>&- || true
	podman import "$d/rootfs.tar" "$NWP_IMAGE" 2>/dev/null 3>&- | tail -n 1 >"$BATS_FILE_TMPDIR/image-id" || true
	rm -rf "$d"
}

teardown_file() {
	if command -v podman >/dev/null; then
		local img c
		img=$(cat "$BATS_FILE_TMPDIR/image-id" 2>/dev/null || true)
		# Only this suite's containers: named nwtest-*, from its image.
		for c in $(podman ps -aq --filter name='^nwtest-' --filter "ancestor=${img:-$NWP_IMAGE}" \
			2>/dev/null 3>&-); do
			podman rm -f "$c" >/dev/null 2>&1 3>&- || true
		done
		podman rmi -f "$NWP_IMAGE" >/dev/null 2>&1 3>&- || true
		if [ -n "$img" ]; then
			podman rmi -f "$img" >/dev/null 2>&1 3>&- || true
		fi
	fi
	nw_teardown_file
}

setup() {
	nw_ensure_testnet
	nw_setup
	command -v podman >/dev/null || skip "podman is not installed"
	podman image exists "$NWP_IMAGE" || skip "could not build the local test image with podman import"
	NWP_HOOKS=$NW_TMP/hooks.d
	mkdir -p "$NWP_HOOKS"
	local f
	for f in "$NW_ROOT"/packaging/hooks/*.json; do
		jq --arg nw "$NETWARD" --arg cfg "$NW_CONFIG" '
			.hook.path = $nw
			| .hook.args |= map(if . == "/etc/netward/netward.json" then $cfg else . end)' \
			"$f" >"$NWP_HOOKS/$(basename "$f")"
	done
	# Every entry must have been rewritten: an unchanged path would silently
	# disable the hook (PITFALLS: hooks.d).
	if grep -l '/etc/netward/netward.json\|/usr/libexec/oci' "$NWP_HOOKS"/*.json; then
		echo "hooks.d entries not rewritten" >&2
		false
	fi
	[ "$(ls "$NWP_HOOKS" | wc -l)" -ge 3 ]
	# Can podman run a container here at all (no hooks involved)?
	if ! out=$(timeout 60 podman run --rm --pull never --network none "${NWP_RUN_OPTS[@]}" "$NWP_IMAGE" \
		/busybox echo podman-works 2>&1 3>&-) || [ "$out" != podman-works ]; then
		skip "podman cannot run containers here: $out"
	fi
	: >"$NW_TMP/cids"
}

teardown() {
	local cid
	if [ -n "${NW_TMP:-}" ] && [ -f "$NW_TMP/cids" ]; then
		while read -r cid; do
			[ -n "$cid" ] && podman rm -f "$cid" >/dev/null 2>&1 3>&-
		done <"$NW_TMP/cids"
	fi
	nw_teardown
}

# Limits runc may set as podman asks; the defaults exceed what some
# sandboxes allow the container's init.
NWP_RUN_OPTS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024
	-v /usr:/usr:ro -v /etc/ssl:/etc/ssl:ro -v /etc/alternatives:/etc/alternatives:ro)

# nwp_run NAME MODE DOMAINS [PODMAN-OPTS...] -- SCRIPT: a podman container
# with the netward hooks, running SCRIPT with /nwt/lib.sh loaded; its id
# goes to $NW_TMP/NAME.cid. MODE/DOMAINS empty: no such annotation.
nwp_run() {
	local name=$1 mode=$2 domains=$3
	shift 3
	local -a opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	local script=$1
	[ -n "$mode" ] && opts+=(--annotation "io.netward.network=$mode")
	[ -n "$domains" ] && opts+=(--annotation "io.netward.domains=$domains")
	local cidfile=$NW_TMP/$name.cid
	rm -f "$cidfile"
	# No --rm: podman 4.3's run --rm can lose the exit code to its own
	# cleanup ("no such exit code"); the container is removed below.
	timeout -k 5 "$NW_JOB_TIMEOUT" podman --hooks-dir "$NWP_HOOKS" run --pull never \
		--name "nwtest-$name-$$" --cidfile "$cidfile" "${NWP_RUN_OPTS[@]}" \
		-v "$TESTNET_CA:/etc/netward-test-ca.pem:ro" \
		-e CURL_CA_BUNDLE=/etc/netward-test-ca.pem -e SSL_CERT_FILE=/etc/netward-test-ca.pem \
		"${opts[@]}" "$NWP_IMAGE" /bin/sh -c ". /nwt/lib.sh
$script" </dev/null 3>&-
	local rc=$?
	if [ -s "$cidfile" ]; then
		cat "$cidfile" >>"$NW_TMP/cids"
		podman --hooks-dir "$NWP_HOOKS" rm -f "$(cat "$cidfile")" >/dev/null 2>&1 || true
	fi
	return "$rc"
}

nwp_cid() {
	cat "$NW_TMP/$1.cid"
}

@test "podman http: curl reaches the allowed domain over HTTP and HTTPS; others get 403 with the reason" {
	run nwp_run http http www.test --network none -- '
		env | grep -i "_proxy=" | sed "s/^/ENV /"
		r http://www.test/
		r https://www.test/
		r http://other.test/
		r https://other.test/
		py http://www.test/ http://other.test/'
	assert_success
	assert_output_has "ENV http_proxy=$NW_PROXY_URL"
	assert_output_has "ENV HTTPS_PROXY=$NW_PROXY_URL"
	assert_output_has "ENV no_proxy=localhost,127.0.0.1,::1"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_refused_request http://other.test/ "other.test"
	assert_refused_tunnel https://other.test/ "other.test"
	assert_line_has "PY http://www.test/ 200 " "hello from www.test"
	assert_line_has "PY http://other.test/ 403 " "netward: "
	assert_output_lacks "hello from other.test"
	assert_clean "$(nwp_cid http)"
}

@test "podman http: a CONNECT tunnel whose ClientHello names a server outside the list is cut off" {
	run nwp_run sni http www.test --network none -- '
		for n in www.test other.test; do
			out=$(printf "GET / HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n" |
				timeout 15 openssl s_client -quiet -verify_return_error \
				-CAfile /etc/netward-test-ca.pem -proxy '"$NW_GATEWAY"':3128 \
				-connect www.test:443 -servername $n 2>&1)
			echo "SCLIENT $n rc=$? $(printf "%s" "$out" | tr "\r\n" "  ")"
		done'
	assert_success
	assert_line_has "SCLIENT www.test rc=0" "hello from www.test"
	assert_line_has "SCLIENT other.test rc=1" ""
	[ -z "$(grep '^SCLIENT other.test' <<<"$output" | grep -F 'hello from')" ]
	assert_clean "$(nwp_cid sni)"
}

@test "podman http: the job reaches nothing directly" {
	run nwp_run httpdirect http www.test --network none -- '
		r http://198.18.0.10/ --noproxy "*" --max-time 3
		reach 198.18.0.2 53
		echo "LINKS $(ip -o link | wc -l)"
		r http://www.test/'
	assert_success
	# Intercepted: an address is not on the job's list.
	assert_line_has "RESULT http://198.18.0.10/ 403 " "netward: "
	assert_output_has "REACH 198.18.0.2:53 closed"
	assert_output_has "LINKS 2"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$(nwp_cid httpdirect)"
}

@test "podman http: programs that ignore the proxy (Node.js, curl --noproxy) reach the allowed name through the resolver precreate gives the job; others fail at once" {
	ic_need node
	run nwp_run intercept http www.test --network none -- '
		. /nwt/ic.sh
		sed "s/^/RESOLV /" /etc/resolv.conf
		echo "PROXYVARS $(env | grep -ci "_proxy=")"
		nget https://www.test/; nfetch https://www.test/; nfetch https://other.test/
		cn https://www.test/; cn http://www.test/; cn https://other.test/
		pyd http://www.test/'
	assert_success
	assert_output_has "RESOLV nameserver $NW_GATEWAY"
	assert_output_has "PROXYVARS 0"
	assert_line_has "NGET https://www.test/ 200 " "hello from www.test"
	assert_line_has "NFETCH https://www.test/ 200 " "hello from www.test"
	assert_line_has "CN https://www.test/ 200 " "hello from www.test"
	assert_line_has "CN http://www.test/ 200 " "hello from www.test"
	assert_line_has "PYD http://www.test/ 200 " "hello from www.test"
	ic_assert_resolve_fail "NFETCH https://other.test/ "
	ic_assert_resolve_fail "CN https://other.test/ "
	assert_output_lacks "hello from other.test"
	nw_logged "host=www.test " "decision=allow"
	assert_clean "$(nwp_cid intercept)"
}

@test "podman http: podman's own network (bridge) is refused with the reason" {
	run nwp_run bridge http www.test --network bridge -- 'echo JOB-RAN'
	assert_refused "$(nwp_cid bridge 2>/dev/null || echo none)" "interface"
}

@test "podman none: podman's own network (bridge) is refused with the reason" {
	run nwp_run nonebridge none "" --network bridge -- 'echo JOB-RAN'
	assert_refused "$(nwp_cid nonebridge 2>/dev/null || echo none)" "interface"
}

# podman refuses --dns with --network none ("conflicting options") and
# writes no resolv.conf there, so the job gets the test DNS by a mount.
@test "podman full: the job reaches the test internet by address and by name" {
	printf 'nameserver %s\n' "$TESTNET_DNS" >"$NW_TMP/resolv.conf"
	run nwp_run full full "" --network none -v "$NW_TMP/resolv.conf:/etc/resolv.conf:ro" -- '
		echo "ADDR $(ip -4 -o addr show eth0 | awk "{print \$4}")"
		r http://198.18.0.10/
		r http://www.test/
		r https://www.test/'
	assert_success
	assert_output_has "ADDR $NW_SUBNET_PREFIX"
	assert_line_has "RESULT http://198.18.0.10/ 200 " "hello from www.test"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_output_lacks "_proxy="
	assert_clean "$(nwp_cid full)"
}

# nwp_start NAME DOMAINS SCRIPT: a detached http container (no --rm), its
# id in $NW_TMP/NAME.cid.
nwp_start() {
	local name=$1 domains=$2 script=$3 cidfile=$NW_TMP/$1.cid
	rm -f "$cidfile"
	timeout -k 5 "$NW_JOB_TIMEOUT" podman --hooks-dir "$NWP_HOOKS" run -d --pull never \
		--name "nwtest-$name-$$" --cidfile "$cidfile" "${NWP_RUN_OPTS[@]}" --network none \
		-v "$TESTNET_CA:/etc/netward-test-ca.pem:ro" \
		-e CURL_CA_BUNDLE=/etc/netward-test-ca.pem \
		--annotation io.netward.network=http --annotation "io.netward.domains=$domains" \
		"$NWP_IMAGE" /bin/sh -c ". /nwt/lib.sh
$script" </dev/null >/dev/null 3>&-
	local rc=$?
	[ -s "$cidfile" ] && cat "$cidfile" >>"$NW_TMP/cids"
	return "$rc"
}

# nwp_wait_log CID TEXT: until the container's output holds TEXT.
nwp_wait_log() {
	local i
	for i in $(seq 1 200); do
		podman logs "$1" 2>/dev/null | grep -qF -- "$2" && return 0
		sleep 0.1
	done
	echo "'$2' never appeared in the output of $1:" >&2
	podman logs "$1" >&2 2>&1
	return 1
}

@test "podman http: kill and rm leave nothing behind" {
	local cid proxy
	nwp_start kill www.test 'r http://www.test/; echo FETCHED; exec sleep 300'
	cid=$(nwp_cid kill)
	nwp_wait_log "$cid" FETCHED
	podman logs "$cid" 2>&1 | grep -q '^RESULT http://www.test/ 200 hello from www.test'
	proxy=$(job_state_field "$cid" proxy_pid)
	[ -n "$proxy" ]
	[ "$(cat "/proc/$proxy/comm")" = netward-proxy ]
	podman kill "$cid" >/dev/null
	podman rm -f "$cid" >/dev/null
	eventually_clean "$cid" 10
	pid_gone "$proxy"
}

@test "podman http: a restarted container gets its network again, and a stop cleans up" {
	local cid n
	nwp_start restart www.test 'r http://www.test/; echo FETCHED; exec sleep 300'
	cid=$(nwp_cid restart)
	nwp_wait_log "$cid" FETCHED
	# Hooks come from --hooks-dir again: podman builds the spec anew at start.
	podman --hooks-dir "$NWP_HOOKS" restart -t 1 "$cid" >/dev/null
	# The second run prints its own result.
	for n in $(seq 1 200); do
		[ "$(podman logs "$cid" 2>&1 | grep -c '^FETCHED')" -ge 2 ] && break
		sleep 0.1
	done
	run podman logs "$cid"
	[ "$(grep -c '^RESULT http://www.test/ 200 hello from www.test' <<<"$output")" -eq 2 ] || {
		echo "expected two successful fetches, one per run:" >&2
		printf '%s\n' "$output" >&2
		false
	}
	# The first run's leftovers (its monitor noticing the old process go)
	# must not take the second run's wiring down a moment later.
	sleep 2
	local proxy hostif
	proxy=$(job_state_field "$cid" proxy_pid)
	hostif=$(job_state_field "$cid" host_if)
	[ -n "$proxy" ]
	[ "$(cat "/proc/$proxy/comm" 2>/dev/null)" = netward-proxy ] || {
		echo "the second run's proxy ($proxy) is gone" >&2
		false
	}
	ip link show "$hostif" >/dev/null
	podman stop -t 1 "$cid" >/dev/null
	# Stopped (not removed): podman ran poststop, nothing of the job is left.
	for n in $(seq 1 100); do
		[ ! -e "$NW_STATE/jobs/$cid" ] && break
		sleep 0.1
	done
	[ ! -e "$NW_STATE/jobs/$cid" ]
	podman rm -f "$cid" >/dev/null
	eventually_clean "$cid" 10
}

# The container seccomp additions on podman's own profile (socketcall
# allowed, x86 and x32 listed): no entry opens AF_VSOCK, in any mode.
@test "podman: no system call entry opens a refused socket family (none, http, full)" {
	local why host mode domains
	why=$(nw_sockentry_build "$NW_TMP") || skip "$why"
	host=$(nw_sockentry_host "$NW_TMP/sockentry")
	[[ $host != SKIP* ]] || skip "${host#SKIP }"
	for mode in none http full; do
		domains=
		[ "$mode" = http ] && domains=www.test
		run nwp_run "sock$mode" "$mode" "$domains" --network none \
			-v "$NW_TMP/sockentry:/sockentry:ro" -- '/sockentry AF_VSOCK AF_INET AF_UNIX'
		assert_success
		nw_assert_no_refused_family
		assert_clean "$(nwp_cid "sock$mode")"
	done
}
