# shellcheck shell=bash
# For http.bats and podman.bats: a small client library the job runs, and
# host-side checks on its output. Loaded after helpers.bash.
# shellcheck disable=SC2154 # $output and $status are set by bats' `run`


NW_GATEWAY=169.254.1.1
# shellcheck disable=SC2034 # used by the suites
NW_PROXY_URL=http://$NW_GATEWAY:3128

# The job-side library, sourced by the job's shell as /nwt/lib.sh. Every
# probe prints one line the host can grep for, so a test asserts on what
# each client really got.
#   r URL [CURL-ARGS...]  RESULT URL CODE BODY (CODE: the HTTP status, the
#                         proxy's CONNECT status when the tunnel was
#                         refused, 000 when nothing answered) and
#                         REASON URL TEXT for an X-Netward-Reason header
#   w URL                 busybox wget: WGET URL ok BODY | WGET URL fail MESSAGE
#   py URL...             Python urllib: PY URL CODE BODY | PY URL ERR TEXT
#   reach HOST PORT       a direct TCP connection, proxy or not:
#                         REACH HOST:PORT open|closed
nw_job_lib() {
	cat <<'EOF'
r() {
	u=$1
	shift
	rm -f /tmp/.h /tmp/.b
	c=$(curl -sS -m 10 -D /tmp/.h -o /tmp/.b -w '%{http_code} %{http_connect}' "$@" "$u" 2>/tmp/.e)
	code=${c% *}
	[ "$code" = 000 ] && code=${c#* }
	[ -n "$code" ] || code=000
	printf 'RESULT %s %s %s\n' "$u" "$code" "$(head -c 400 /tmp/.b 2>/dev/null | tr '\r\n' '  ')"
	[ -s /tmp/.e ] && sed "s|^|CURLERR $u |" /tmp/.e
	grep -i '^x-netward-reason:' /tmp/.h 2>/dev/null | tr -d '\r' | sed "s|^[^:]*: *|REASON $u |"
	return 0
}
w() {
	if out=$(/busybox timeout 15 /busybox wget -q -O - "$1" 2>&1); then
		printf 'WGET %s ok %s\n' "$1" "$(printf '%s' "$out" | tr '\n' ' ')"
	else
		printf 'WGET %s fail %s\n' "$1" "$(printf '%s' "$out" | tr '\n' ' ')"
	fi
}
py() {
	python3 /nwt/fetch.py "$@"
}
reach() {
	if python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)' "$1" "$2" 2>/dev/null; then
		echo "REACH $1:$2 open"
	else
		echo "REACH $1:$2 closed"
	fi
}
EOF
}

nw_job_fetch_py() {
	cat <<'EOF'
import sys
import urllib.error
import urllib.request


def line(s):
    return " ".join(s.split())


for u in sys.argv[1:]:
    try:
        with urllib.request.urlopen(u, timeout=10) as r:
            print("PY", u, r.status, line(r.read().decode(errors="replace")))
    except urllib.error.HTTPError as e:
        print("PY", u, e.code, line(e.read().decode(errors="replace")))
    except Exception as e:
        print("PY", u, "ERR", line(str(e)))
    sys.stdout.flush()
EOF
}

# nw_install_job_lib ROOTFS: puts /nwt/lib.sh and /nwt/fetch.py in a rootfs.
nw_install_job_lib() {
	mkdir -p "$1/nwt"
	nw_job_lib >"$1/nwt/lib.sh"
	nw_job_fetch_py >"$1/nwt/fetch.py"
}

# http_bundle ID DOMAINS SCRIPT: an http job's bundle, not yet patched,
# whose shell runs SCRIPT with the library loaded; prints its path.
http_bundle() {
	local id=$1 domains=$2 script=$3 b
	b=$(job_bundle "$id" http "$domains" -- /bin/sh -c ". /nwt/lib.sh
$script")
	nw_install_job_lib "$b/rootfs"
	printf '%s\n' "$b"
}

# assert_line_has PREFIX TEXT: some output line starts with PREFIX and
# contains TEXT (fixed strings), e.g.
#   assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
assert_line_has() {
	local prefix=$1 text=$2
	if ! awk -v p="$prefix" -v t="$text" 'index($0, p) == 1 && index($0, t) > 0 { f = 1 }
		END { exit !f }' <<<"$output"; then
		echo "expected a line starting with '$prefix' containing '$text' (status $status):" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

# A refused request: 403 from the proxy, its body and its X-Netward-Reason
# header both saying `netward: ...` with TEXT in it.
assert_refused_request() {
	local url=$1 text=$2
	assert_line_has "RESULT $url 403 " "netward: "
	assert_line_has "RESULT $url 403 " "$text"
	assert_line_has "REASON $url " "$text"
}

# A refused CONNECT: curl never sees the body, only the proxy's status and
# headers.
assert_refused_tunnel() {
	local url=$1 text=$2
	assert_line_has "RESULT $url 403" ""
	assert_line_has "REASON $url " "netward: "
	assert_line_has "REASON $url " "$text"
}

# run_detached BUNDLE ID OUTFILE: `runc run -d`, the job's output in
# OUTFILE; teardown deletes it.
run_detached() {
	echo "$2" >>"$NW_TMP/ids"
	timeout -k 5 "$NW_JOB_TIMEOUT" runc run -d --bundle "$1" "$2" </dev/null >"$3" 2>&1 3>&-
}

# run_until_done BUNDLE ID: the bundle patched and run detached (its output
# in $NW_TMP/job.out) until the job prints DONE (60 s at most); then `run`
# on that output, for the test's assertions, while the job lives on.
run_until_done() {
	patch_bundle "$1"
	run_detached "$1" "$2" "$NW_TMP/job.out"
	wait_for_text "$NW_TMP/job.out" DONE 60
	run cat "$NW_TMP/job.out"
}

# kill_job ID: SIGKILL to the job's container, then up to 5 s until runc
# reports it stopped (delete it after).
kill_job() {
	local _
	runc kill "$1" KILL 2>/dev/null || true
	for _ in $(seq 1 50); do
		runc state "$1" 2>/dev/null | jq -e '.status == "stopped"' >/dev/null && return 0
		sleep 0.1
	done
}

# assert_link_gone HOSTIF [rules]: no link of that name on the host (and,
# with "rules", no mention of it in the ruleset either).
assert_link_gone() {
	if ip link show "$1" >/dev/null 2>&1; then
		echo "link $1 remains" >&2
		return 1
	fi
	if [ "${2:-}" = rules ] && nft list ruleset | grep -qF "$1"; then
		echo "the ruleset still names $1" >&2
		return 1
	fi
}

# job_state_field ID FIELD: a field of the job's state entry.
job_state_field() {
	jq -r --arg f "$2" '.[$f] // empty' "$NW_STATE/jobs/$1/state.json" 2>/dev/null
}

# nw_logged TEXT...: one line of the node log (the test config's "log"
# file, which gets every access-log line too) holds all the TEXTs.
nw_logged() {
	local line t ok
	while read -r line; do
		ok=1
		for t in "$@"; do
			if ! grep -qF -- "$t" <<<"$line"; then
				ok=0
				break
			fi
		done
		[ "$ok" = 1 ] && return 0
	done <"$NW_LOG"
	echo "no node log line holds all of: $*" >&2
	echo "node log ($NW_LOG):" >&2
	tail -n 40 "$NW_LOG" >&2 2>/dev/null
	return 1
}

# wait_stats ID JQ: until the job's status --json entry satisfies JQ (the
# proxy writes its counters on its tick, at most a second apart).
wait_stats() {
	local id=$1 cond=$2 st _
	for _ in $(seq 1 50); do
		st=$("$NETWARD" --config "$NW_CONFIG" status --json </dev/null |
			jq -c --arg id "$id" '.[] | select(.id == $id)')
		jq -e "$cond" <<<"$st" >/dev/null && return 0
		sleep 0.1
	done
	echo "status never satisfied $cond: $st" >&2
	return 1
}

# wait_for_text FILE TEXT [SECONDS [N]]: until FILE holds TEXT on N lines (1).
wait_for_text() {
	local file=$1 text=$2 secs=${3:-20} n=${4:-1} _
	for _ in $(seq 1 $((secs * 10))); do
		[ "$(grep -cF -- "$text" "$file" 2>/dev/null)" -ge "$n" ] && return 0
		sleep 0.1
	done
	echo "fewer than $n lines with '$text' in $file:" >&2
	cat "$file" >&2 2>/dev/null
	return 1
}

# eventually_clean ID [SECONDS]: assert_clean, allowing the monitor some
# time to notice that the job is gone.
eventually_clean() {
	local id=$1 secs=${2:-10} _
	for _ in $(seq 1 $((secs * 10))); do
		assert_clean "$id" 2>/dev/null && return 0
		sleep 0.1
	done
	assert_clean "$id"
}

pid_gone() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$state" = Z ] || [ "$state" = X ]
}

# pid_killed PID: gone, or on its way out: SIGKILL pending (bit 8 of a
# pending mask) or already exiting (PF_EXITING, 0x4, in the flags of
# /proc/PID/stat).
pid_killed() {
	local pid=$1 mask flags rest
	pid_gone "$pid" && return 0
	for mask in $(awk '/^(ShdPnd|SigPnd):/ {print $2}' "/proc/$pid/status" 2>/dev/null); do
		[ $((0x$mask & 0x100)) -ne 0 ] && return 0
	done
	rest=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || return 0
	flags=$(awk '{print $7}' <<<"$rest")
	[ -n "$flags" ] && [ $((flags & 4)) -ne 0 ] && return 0
	pid_gone "$pid"
}

# assert_cut_off HOSTIF PID...: what poststop leaves when it returns: the
# job's link gone or down (a veth delivers nothing while an end is down)
# and each PID (its monitor, its proxy) killed.
assert_cut_off() {
	local hostif=$1 pid flags
	shift
	if flags=$(ip -j link show "$hostif" 2>/dev/null | jq -r '.[0].flags | join(" ")'); then
		if grep -qw UP <<<"$flags"; then
			echo "link $hostif is still up ($flags)" >&2
			return 1
		fi
	fi
	for pid in "$@"; do
		pid_killed "$pid" && continue
		echo "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) was not killed" >&2
		return 1
	done
}

# The hierarchy with the memory controller, as "v2 MOUNT" or "v1 MOUNT".
memory_hierarchy() {
	local u v1
	u=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)
	if [ -n "$u" ] && grep -qw memory "$u/cgroup.controllers" 2>/dev/null; then
		echo "v2 $u"
		return
	fi
	v1=$(findmnt -rn -t cgroup -o TARGET,OPTIONS | awk '$2 ~ /(^|,)memory(,|$)/ { print $1; exit }')
	[ -n "$v1" ] && echo "v1 $v1"
}

# Other runs on this machine (make demo, another suite run alone) take the
# shared test internet down when they finish; a test that finds it gone
# builds it again rather than failing on a missing CA.
nw_ensure_testnet() {
	"$NW_TESTNET" status 3>&- || "$NW_TESTNET" up 3>&-
}

# nw_unreachable ADDR...: the test names private.test (10.99.0.1) and
# meta.test (169.254.169.254) point outside the test internet, where this
# host's default route would carry a proxy's connection off the machine.
# An `unreachable` route for each keeps every packet here (a connect fails
# at once); nw_unreachable_cleanup removes the routes this test added.
nw_unreachable() {
	local a
	for a in "$@"; do
		if ! ip route show table main exact "$a/32" | grep -q .; then
			ip route add unreachable "$a/32"
			echo "$a/32" >>"$NW_TMP/routes"
		fi
	done
}

nw_unreachable_cleanup() {
	local r
	[ -n "${NW_TMP:-}" ] && [ -f "$NW_TMP/routes" ] || return 0
	while read -r r; do
		[ -n "$r" ] && ip route del unreachable "$r" 2>/dev/null
	done <"$NW_TMP/routes"
	rm -f "$NW_TMP/routes"
}

# nw_tls_cut_py: Python for a job's script, defining tls_cut(s, ca, name,
# mode, host): on the connected socket s, a TLS handshake for the server
# name NAME (verified against CA) whose ClientHello goes out whole (MODE
# whole), one byte per TCP segment (bytes) or in two TLS records (records),
# then GET / with Host HOST. Returns "ok BODY" (the body's words) or
# "closed" where the other side ended the connection first.
nw_tls_cut_py() {
	cat <<'PY'
import socket, ssl, time
def tls_cut(s, ca, name, mode, host):
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ssl.create_default_context(cafile=ca).wrap_bio(inc, out, server_hostname=name)
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    if mode == "bytes":
        for i in range(len(hello)):
            s.send(hello[i:i + 1])
            time.sleep(0.002)
    elif mode == "records":
        body = hello[5:]
        k = len(body) // 2
        rec = lambda p: hello[:3] + len(p).to_bytes(2, "big") + p
        s.sendall(rec(body[:k]))
        time.sleep(0.05)
        s.sendall(rec(body[k:]))
    else:
        s.sendall(hello)
    while True:
        try:
            o.do_handshake()
            break
        except ssl.SSLWantReadError:
            d = out.read()
            if d:
                s.sendall(d)
            try:
                d = s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                return "closed"
            inc.write(d)
    s.sendall(out.read())
    o.write(b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")
    s.sendall(out.read())
    got = b""
    while True:
        try:
            d = o.read(65536)
            if not d:
                break
            got += d
        except ssl.SSLWantReadError:
            d = s.recv(65536)
            if not d:
                break
            inc.write(d)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
    return "ok " + " ".join(got.split(b"\r\n\r\n", 1)[-1].decode().split())
PY
}
