# shellcheck shell=bash
# shellcheck disable=SC2154 # $output and $status are set by bats' `run`
# For the intercept_*.bats suites: clients that ignore the proxy, run inside
# an http job with the proxy variables unset, so every connection they make
# is one netward intercepts. Loaded after helpers.bash and http_helpers.bash.
#
# Job-side functions (/nwt/ic.sh, sourced after /nwt/lib.sh), one line each:
#   nget URL        Node.js https.get / http.get:  NGET URL CODE BODY ms=N
#                                                  NGET URL ERR CODE TEXT ms=N
#   nfetch URL      Node.js fetch (undici):        NFETCH URL ... (the same)
#   pyd URL         Python urllib, ProxyHandler({}): PYD URL ... (the same)
#   cn URL [ARGS]   curl --noproxy '*':            CN URL CODE BODY rc=RC ms=N
#   wg URL          GNU wget --no-proxy:           WG URL rc=RC BODY|TEXT ms=N
#   hello IP PORT NAME MODE
#                   a TLS ClientHello for NAME sent straight to IP:PORT,
#                   whole, one byte per segment (bytes) or in two TLS
#                   records (records); completes the handshake and GETs /:
#                   HELLO NAME IP:PORT MODE ok BODY | closed | ERR TEXT
#   udpq HOST PORT  a connected UDP socket: send, then wait for the ICMP
#                   error: UDPQ HOST:PORT RESULT SECONDS

# The intercept listener: proxy_port + 1 on the gateway.
# shellcheck disable=SC2034 # used by the suites
NW_INTERCEPT_PORT=3129

ic_lib() {
	cat <<'EOF'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY
export NODE_EXTRA_CA_CERTS=/etc/netward-test-ca.pem
now_ms() { python3 -c 'import time; print(int(time.monotonic() * 1000))'; }
nget() { node /nwt/cli.js get "$1"; }
nfetch() { node /nwt/cli.js fetch "$1"; }
pyd() { python3 /nwt/pyd.py "$1"; }
cn() {
	u=$1
	shift
	t0=$(now_ms)
	c=$(curl --noproxy '*' -sS -m 10 -o /tmp/.cb -w '%{http_code}' "$@" "$u" 2>/tmp/.ce)
	rc=$?
	t1=$(now_ms)
	printf 'CN %s %s %s rc=%s ms=%s\n' "$u" "${c:-000}" \
		"$(head -c 300 /tmp/.cb 2>/dev/null | tr '\r\n' '  ')$(tr '\r\n' '  ' </tmp/.ce)" "$rc" $((t1 - t0))
	rm -f /tmp/.cb /tmp/.ce
}
wg() {
	t0=$(now_ms)
	o=$(wget --no-proxy -nv -T 10 -t 1 --ca-certificate=/etc/netward-test-ca.pem -O - "$1" 2>&1)
	rc=$?
	t1=$(now_ms)
	printf 'WG %s rc=%s %s ms=%s\n' "$1" "$rc" "$(printf '%s' "$o" | tr '\r\n' '  ')" $((t1 - t0))
}
hello() { python3 /nwt/hello.py "$@"; }
udpq() { python3 /nwt/udpq.py "$@"; }
EOF
}

ic_node_js() {
	cat <<'EOF'
// node /nwt/cli.js get|fetch URL: one line, NGET/NFETCH URL CODE BODY ms=N
// or ... ERR CODE TEXT ms=N. No proxy is configured: Node ignores the
// proxy variables anyway, and the job's shell unset them.
const [, , kind, url] = process.argv;
const t0 = Date.now();
const tag = kind === "get" ? "NGET" : "NFETCH";
const flat = (s) => String(s).replace(/\s+/g, " ").trim();
const out = (s) => console.log(`${tag} ${url} ${s} ms=${Date.now() - t0}`);
const fail = (e) => {
	const c = (e && e.cause) || e || {};
	out(`ERR ${c.code || c.name || "error"} ${flat(c.message || e)}`);
};
if (kind === "get") {
	const mod = url.startsWith("https:") ? require("https") : require("http");
	const req = mod.get(url, { timeout: 10000 }, (res) => {
		let b = "";
		res.on("data", (d) => (b += d));
		res.on("end", () => out(`${res.statusCode} ${flat(b).slice(0, 300)}`));
		res.on("error", fail);
	});
	req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "TIMEOUT" })));
	req.on("error", fail);
} else {
	fetch(url, { signal: AbortSignal.timeout(10000) })
		.then(async (r) => out(`${r.status} ${flat(await r.text()).slice(0, 300)}`))
		.catch(fail);
}
EOF
}

ic_pyd_py() {
	cat <<'EOF'
import sys, time, urllib.error, urllib.request
url = sys.argv[1]
t0 = time.monotonic()
def out(s):
    print("PYD %s %s ms=%d" % (url, " ".join(s.split()), (time.monotonic() - t0) * 1000), flush=True)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(url, timeout=10) as r:
        out("%d %s" % (r.status, r.read(300).decode(errors="replace")))
except urllib.error.HTTPError as e:
    out("%d %s" % (e.code, e.read(300).decode(errors="replace")))
except Exception as e:
    r = getattr(e, "reason", e)
    out("ERR %s %s" % (type(r).__name__, r))
EOF
}

# The ClientHello, cut three ways, straight to the address (no CONNECT):
# what netward intercepts and must read whole before it decides.
ic_hello_py() {
	nw_tls_cut_py
	cat <<'EOF'
import socket, ssl, sys, time
ip, port, name, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ca = "/etc/netward-test-ca.pem"
def run():
    s = socket.create_connection((ip, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return tls_cut(s, ca, name, mode, name)
try:
    r = run()
except Exception as e:
    r = "ERR " + " ".join(str(e).split())
print("HELLO", name, "%s:%d" % (ip, port), mode, r, flush=True)
EOF
}

# UDP to HOST:PORT from a connected socket: the ICMP error the firewall
# sends back surfaces as the errno of the recv; WAIT (5 s) bounds a drop.
ic_udpq_py() {
	cat <<'EOF'
import socket, sys, time
WAIT = 5
h, p = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(WAIT)
s.connect((h, p))
t = time.monotonic()
try:
    # A QUIC Initial starts with a long-header byte; the content is moot.
    s.send(b"\xc3" + b"\x00" * 1199)
    s.recv(2048)
    r = "answer"
except OSError as e:
    r = "%s/%s" % (type(e).__name__, e.errno)
print("UDPQ %s:%d %s %.4f" % (h, p, r, time.monotonic() - t), flush=True)
EOF
}

# ic_install ROOTFS: the scripts above into a job's /nwt.
ic_install() {
	mkdir -p "$1/nwt"
	ic_lib >"$1/nwt/ic.sh"
	ic_node_js >"$1/nwt/cli.js"
	ic_pyd_py >"$1/nwt/pyd.py"
	ic_hello_py >"$1/nwt/hello.py"
	ic_udpq_py >"$1/nwt/udpq.py"
}

# ic_bundle ID DOMAINS SCRIPT: an http job's bundle (not yet patched) whose
# shell runs SCRIPT with no proxy variables and the functions above.
ic_bundle() {
	local id=$1 domains=$2 script=$3 b
	b=$(http_bundle "$id" "$domains" ". /nwt/ic.sh
$script")
	ic_install "$b/rootfs"
	printf '%s\n' "$b"
}

# ic_need TOOL...: skip the test, naming the tool, when the host lacks one
# (the job runs the host's binaries from /usr).
ic_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || skip "$t is not installed (tests/deps.sh installs it)"
	done
}

# ic_wait_log ID TEXT [N]: until the job's access log holds N (1) lines
# with TEXT.
ic_wait_log() {
	wait_for_text "$NW_STATE/jobs/$1/access.log" "$2" 5 "${3:-1}"
}

# ic_assert_resolve_fail LINE-PREFIX: the client's line says the name did
# not resolve (a definite NXDOMAIN, not a timeout), and it came back well
# within glibc's first resolver timeout (RES_TIMEOUT, 5 s): a refusal, not
# a wait.
ic_assert_resolve_fail() {
	local prefix=$1 line ms
	line=$(awk -v p="$prefix" 'index($0, p) == 1' <<<"$output" | head -n 1)
	if [ -z "$line" ]; then
		echo "no line starting with '$prefix':" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
	if ! grep -qE 'ENOTFOUND|Name or service not known|Could not resolve host|unable to resolve host|rc=6 ' <<<"$line"; then
		echo "not a name-resolution failure: $line" >&2
		return 1
	fi
	ms=$(sed -n 's/.* ms=\([0-9]*\)$/\1/p' <<<"$line")
	if [ -z "$ms" ] || [ "$ms" -ge 5000 ]; then
		echo "the failure took ${ms:-?} ms (a timeout, not an answer): $line" >&2
		return 1
	fi
}

# ic_count TEXT...: how many node log lines hold all the TEXTs.
ic_count() {
	local f=$NW_LOG t
	local data
	data=$(cat "$f" 2>/dev/null)
	for t in "$@"; do
		data=$(grep -F -- "$t" <<<"$data")
	done
	grep -c . <<<"$data"
}
