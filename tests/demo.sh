#!/bin/bash
# `make demo`: one runc container per netward mode on the test internet
# (tests/lib/testnet.sh), showing what each can and cannot reach. Every
# outcome is also checked: the demo exits non-zero when one is not what
# netward promises. Everything it made is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# helpers.bash serves the bats suites; it needs only these two of bats'.
BATS_TEST_DIRNAME=$ROOT/tests/integration
BATS_TEST_TMPDIR=$(mktemp -d /tmp/netward-demo.XXXXXX)
# shellcheck source=tests/integration/helpers.bash
. "$ROOT/tests/integration/helpers.bash"
set -euo pipefail

NW_TMP=$BATS_TEST_TMPDIR
NW_CONFIG=$NW_TMP/netward.json
NW_LOG=$NW_TMP/netward.log
RATE_BPS=2000000
: >"$NW_TMP/ids"
: >"$NW_TMP/pids"
: >"$NW_TMP/netns"

failures=0
checks=0

say() { printf '%s\n' "$*"; }
section() { printf '\n== %s\n' "$*"; }
indent() { sed 's/^/    | /'; }

# expect DESCRIPTION COMMAND...: runs a check and prints its verdict.
expect() {
	local what=$1
	shift
	checks=$((checks + 1))
	if "$@"; then
		printf '  [ok]   %s\n' "$what"
	else
		printf '  [FAIL] %s\n' "$what"
		failures=$((failures + 1))
	fi
}

# has FILE REGEX: the job's output matched.
has() { grep -qE -- "$2" "$1"; }
lacks() { ! grep -qE -- "$2" "$1"; }

cleanup() {
	local id pid
	set +e
	while read -r id; do
		[ -n "$id" ] && runc delete --force "$id" >/dev/null 2>&1
	done <"$NW_TMP/ids"
	while read -r pid; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done <"$NW_TMP/pids"
	[ -x "$NETWARD" ] && "$NETWARD" --config "$NW_CONFIG" gc >/dev/null 2>&1 </dev/null
	"$NW_TESTNET" down
	rm -rf "$NW_TMP"
}

# Inside a job: `try LABEL COMMAND...` prints "LABEL: reached: <output>" or
# "LABEL: blocked: <error>", each on one line.
TRY='try() {
	l=$1; shift
	if o=$("$@" 2>&1); then r=reached; else r=blocked; fi
	echo "$l: $r: $(printf "%s" "$o" | tr "\n" " ")"
}'

# run_demo_job NAME MODE DOMAINS SCRIPT: runs the job, shows its output,
# leaves it in $NW_TMP/NAME.out.
run_demo_job() {
	local name=$1 mode=$2 domains=$3 script=$4 id b rc=0
	id=demo-$name-$$
	b=$(job_bundle "$id" "$mode" "$domains" -- /bin/sh -c "$TRY
$script")
	say "  runc run (io.netward.network=$mode${domains:+, io.netward.domains=$domains}):"
	run_job "$b" "$id" >"$NW_TMP/$name.out" 2>&1 || rc=$?
	indent <"$NW_TMP/$name.out"
	expect "the $mode container ran (exit status $rc)" [ "$rc" -eq 0 ]
}

if [ "$(id -u)" -ne 0 ]; then
	echo "netward demo: needs root (runc, network namespaces, nftables)" >&2
	exit 1
fi
if [ ! -x "$NETWARD" ]; then
	echo "netward demo: no binary at $NETWARD (run make first)" >&2
	exit 1
fi
trap cleanup EXIT
nw_baseline >"$NW_TMP/baseline"

section "The test internet"
"$NW_TESTNET" up 2>&1 | indent
say "  www.test $TESTNET_WWW (HTTP, HTTPS), other.test $TESTNET_OTHER,"
say "  api.test $TESTNET_API (the orchestrator API, in deny_destinations), DNS $TESTNET_DNS"

write_node_config "$NW_CONFIG" --argjson rate "$RATE_BPS" --arg api "$TESTNET_API/32" \
	'.rate_limit_bps = $rate | .deny_destinations = [$api]'
section "Node config ($NW_CONFIG)"
indent <"$NW_CONFIG"
say "  allowed_modes: the modes jobs may ask for (the packaged default is none only)."
say "  dns_servers: whom each http job's proxy asks (full jobs use their own resolver)."
say "  allow_private_destinations (http), full_allow_private_destinations (full):"
say "    jobs reach only global addresses unless a range is listed here. The test"
say "    internet, 198.18.0.0/15, is a benchmarking range, not global, so both list it."
say "  rate_limit_bps: each http job's limit in each direction ($((RATE_BPS / 8)) bytes/s)."
say "  deny_destinations: out of every job's reach (here api.test, standing in for"
say "    the orchestrator's API)."

port=$(free_port)
host_listener 0.0.0.0 "$port"
say "  a node service listens on the host, port $port (every address)"

section "none: no network at all"
run_demo_job none none "" '
echo "interfaces: $(ip -o link | cut -d: -f2 | tr -d " " | tr "\n" " ")"
try "http://www.test/" /busybox timeout 5 /busybox wget -q -O - http://www.test/
try "http://198.18.0.10/" /busybox timeout 5 /busybox wget -q -O - http://198.18.0.10/'
expect "only loopback inside" has "$NW_TMP/none.out" '^interfaces: lo $'
expect "www.test is out of reach" has "$NW_TMP/none.out" '^http://www.test/: blocked'
expect "198.18.0.10 is out of reach" has "$NW_TMP/none.out" '^http://198.18.0.10/: blocked'

section "full: any protocol, through its own veth and NAT; not the node, other jobs, deny_destinations or unlisted private ranges"
run_demo_job full full "" '
echo "eth0: $(ip -4 -o addr show eth0 | awk "{print \$4}")"
try "http://www.test/" /busybox timeout 5 /busybox wget -q -O - http://www.test/
try "http://198.18.0.10/" /busybox timeout 5 /busybox wget -q -O - http://198.18.0.10/
try "https://www.test/" curl -fsS -m 5 https://www.test/
try "host service 198.18.0.1:'"$port"'" curl -fsS -m 3 http://198.18.0.1:'"$port"'/
try "host service 169.254.1.1:'"$port"'" curl -fsS -m 3 http://169.254.1.1:'"$port"'/
try "http://api.test/" curl -fsS -m 3 http://api.test/'
f=$NW_TMP/full.out
expect "an address from the node subnet on eth0" has "$f" "^eth0: $NW_SUBNET_PREFIX"
expect "www.test reached by name" has "$f" '^http://www.test/: reached: hello from www.test'
expect "198.18.0.10 reached by address" has "$f" '^http://198.18.0.10/: reached: hello from www.test'
expect "TLS to www.test works" has "$f" '^https://www.test/: reached: hello from www.test'
expect "the host's service is refused (198.18.0.1)" has "$f" '^host service 198.18.0.1:[0-9]+: blocked'
expect "the host's service is refused (gateway)" has "$f" '^host service 169.254.1.1:[0-9]+: blocked'
expect "api.test is refused by deny_destinations" has "$f" '^http://api.test/: blocked'

section "http: HTTP(S) to listed domains only, through netward's proxy, rate limited"
run_demo_job http http "www.test,api.test" '
env | grep -i _proxy= | sort
try "https://www.test/" curl -fsS -m 10 https://www.test/
try "http://www.test/" curl -fsS -m 10 http://www.test/
try "http://other.test/" curl -sS -m 10 -w " [HTTP %{http_code}]" http://other.test/
try "http://api.test/" curl -sS -m 10 -w " [HTTP %{http_code}]" http://api.test/
try "direct 198.18.0.10" curl --noproxy "*" -fsS -m 3 http://198.18.0.10/
try "DNS lookup at 198.18.0.2" /busybox nslookup -timeout=2 -retry=1 www.test 198.18.0.2
try "DNS lookup of www.test" /busybox nslookup -timeout=2 -retry=1 www.test
try "DNS lookup of other.test" /busybox nslookup -timeout=2 -retry=1 other.test
echo "downloading 1 MiB of /big at a limit of '"$RATE_BPS"' bit/s..."
try "speed" curl -fsS -m 30 -r 0-1048575 -o /dev/null -w "%{speed_download}" http://www.test/big'
f=$NW_TMP/http.out
expect "http_proxy points at the job's proxy" has "$f" '^http_proxy=http://169\.254\.1\.1:3128$'
expect "https://www.test/ through the proxy works" has "$f" '^https://www.test/: reached: hello from www.test'
expect "http://www.test/ through the proxy works" has "$f" '^http://www.test/: reached: hello from www.test'
expect "other.test is denied with 403 and a reason" has "$f" '^http://other.test/: reached: .+\[HTTP 403\]$'
expect "api.test is denied by deny_destinations with 403" has "$f" '^http://api.test/: reached: .+\[HTTP 403\]$'
expect "a direct connection to 198.18.0.10 is refused (an address is not on the list)" has "$f" '^direct 198.18.0.10: blocked'
expect "DNS to the test internet's server fails" has "$f" '^DNS lookup at 198.18.0.2: blocked'
expect "the job's own resolver (the gateway) answers www.test" has "$f" '^DNS lookup of www.test: reached: .*198\.18\.0\.10'
expect "and gives NXDOMAIN for other.test" has "$f" '^DNS lookup of other.test: blocked: .*NXDOMAIN'
speed=$(sed -n 's/^speed: reached: \([0-9.]*\).*/\1/p' "$f")
say "  download speed: ${speed:-?} bytes/s; limit $((RATE_BPS / 8)) bytes/s"
# The bucket may start full, so allow twice the rate; unthrottled, the
# test internet moves hundreds of MB/s.
expect "the download was throttled to about $((RATE_BPS / 8)) bytes/s" \
	awk -v s="${speed:-0}" -v r="$((RATE_BPS / 8))" 'BEGIN { exit !(s > 0 && s <= 2 * r) }'

section "http, no proxy configured: a Node.js program that ignores http_proxy"
if command -v node >/dev/null; then
	say "  Node.js's https.get and fetch read no proxy variables; netward intercepts"
	say "  their connections and judges them on the TLS server name, and the job's"
	say "  resolver (its gateway) answers only the names on its list."
	run_demo_job node http "www.test" '
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY
export NODE_EXTRA_CA_CERTS=/etc/netward-test-ca.pem
echo "proxy variables: $(env | grep -ci _proxy=)"
echo "resolv.conf: $(grep nameserver /etc/resolv.conf)"
cat >/tmp/get.js <<"JS"
const [how, url] = process.argv.slice(2);
const said = (what) => console.log(how + " " + url + ": " + what);
const failed = (e) => said("blocked: " + ((e.cause && e.cause.code) || e.code || e.message));
if (how === "fetch") {
	fetch(url).then(async (r) => said("reached: " + r.status + " " + (await r.text()).trim()), failed);
} else {
	require("https").get(url, (r) => {
		let b = "";
		r.on("data", (d) => (b += d));
		r.on("end", () => said("reached: " + r.statusCode + " " + b.trim()));
	}).on("error", failed);
}
JS
for u in https://www.test/ https://other.test/; do
	node /tmp/get.js fetch $u
	node /tmp/get.js https.get $u
done'
	f=$NW_TMP/node.out
	expect "the job has no proxy configured" has "$f" '^proxy variables: 0$'
	expect "its resolver is the gateway" has "$f" '^resolv.conf: nameserver 169\.254\.1\.1'
	expect "fetch reaches https://www.test/" has "$f" '^fetch https://www.test/: reached: 200 hello from www.test'
	expect "https.get reaches https://www.test/" has "$f" '^https.get https://www.test/: reached: 200 hello from www.test'
	expect "fetch of other.test fails at once (NXDOMAIN)" has "$f" '^fetch https://other.test/: blocked: ENOTFOUND'
	expect "https.get of other.test fails at once (NXDOMAIN)" has "$f" '^https.get https://other.test/: blocked: ENOTFOUND'
	expect "the proxy logged the intercepted requests" grep -q 'host=www.test .*decision=allow' "$NW_LOG"
else
	say "  skipped: node is not installed (tests/deps.sh installs nodejs)"
fi

section "netward status while a job runs"
sid=demo-status-$$
sb=$(job_bundle "$sid" http www.test -- /bin/sh -c \
	'curl -fsS -m 5 -o /dev/null http://www.test/; curl -sS -m 5 -o /dev/null http://other.test/; sleep 4')
patch_bundle "$sb"
runc_run "$sb" "$sid" >"$NW_TMP/status-job.out" 2>&1 &
status_job=$!
for _ in $(seq 1 50); do
	[ -e "$NW_STATE/jobs/$sid" ] && break
	sleep 0.1
done
sleep 1.5
"$NETWARD" --config "$NW_CONFIG" status 2>&1 </dev/null | indent || true
"$NETWARD" --config "$NW_CONFIG" status --json >"$NW_TMP/status.json" 2>&1 </dev/null || true
status_lists() { jq -e --arg id "$1" 'any(.[]; .id == $id)' "$NW_TMP/status.json" >/dev/null; }
expect "netward status lists the running job" status_lists "$sid"
wait "$status_job" || true

section "Cleanup"
for id in demo-none-$$ demo-full-$$ demo-http-$$ demo-node-$$ "$sid"; do
	expect "nothing of $id remains" assert_clean "$id"
done

printf '\n%d of %d expectations met\n' "$((checks - failures))" "$checks"
[ "$failures" -eq 0 ]
