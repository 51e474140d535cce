#!/usr/bin/env bats
# What a job sees when the firewall blocks it, from inside real runc
# containers: a refusal at once (TCP reset, ICMP administratively
# prohibited), never a silent drop it must time out on.

load helpers
load http_helpers
load bypass_helpers

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

# The job's probes, each printing one line:
#   TCP HOST:PORT RESULT SECONDS     RESULT: open, or ExceptionName/errno
#   UDP HOST:PORT RESULT SECONDS     (a connected socket: send, then recv)
#   ICMP HOST TYPE/CODE SECONDS       the first ICMP message back for an
#                                     echo request (raw socket), or none
ff_probes() {
	cat <<'PY'
import socket, struct, sys, time
WAIT = 5
def tcp(h, p):
    t = time.monotonic()
    try:
        socket.create_connection((h, p), timeout=WAIT).close()
        r = "open"
    except OSError as e:
        r = "%s/%s" % (type(e).__name__, e.errno)
    print("TCP %s:%d %s %.3f" % (h, p, r, time.monotonic() - t), flush=True)
def udp(h, p):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(WAIT)
    s.connect((h, p))
    t = time.monotonic()
    try:
        s.send(b"x")
        s.recv(100)
        r = "answer"
    except OSError as e:
        r = "%s/%s" % (type(e).__name__, e.errno)
    print("UDP %s:%d %s %.3f" % (h, p, r, time.monotonic() - t), flush=True)
def icmp(h):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(WAIT)
    body = struct.pack("!BBHHH", 8, 0, 0, 0x4e57, 1) + b"netward"
    c = sum(struct.unpack("!%dH" % (len(body) // 2), body + b"\0" * (len(body) % 2)))
    c = (c >> 16) + (c & 0xffff)
    c = ~(c + (c >> 16)) & 0xffff
    body = body[:2] + struct.pack("!H", c) + body[4:]
    t = time.monotonic()
    s.sendto(body, (h, 0))
    try:
        pkt = s.recv(2048)
        ihl = (pkt[0] & 15) * 4
        r = "%d/%d" % (pkt[ihl], pkt[ihl + 1])
    except OSError:
        r = "none"
    print("ICMP %s %s %.3f" % (h, r, time.monotonic() - t), flush=True)
for a in sys.argv[1:]:
    kind, _, dest = a.partition(":")
    if kind == "icmp":
        icmp(dest)
    else:
        h, _, p = dest.rpartition(":")
        (tcp if kind == "tcp" else udp)(h, int(p))
PY
}

# assert_fast KIND DEST RESULT: the probe's line shows RESULT within a
# second (the probes wait WAIT = 5 s: a drop shows as a timeout).
assert_fast() {
	local line
	line=$(grep -E "^$1 $2 " <<<"$output") || {
		echo "no $1 line for $2 in: $output" >&2
		return 1
	}
	echo "$line" >&2
	awk -v want="$3" '{ exit !($3 == want && $4 < 1.0) }' <<<"$line"
}

@test "failfast: a direct connection from an http job is refused at once: TCP reset, UDP and ICMP get administratively prohibited" {
	local id b
	id=$(job_id failfast)
	b=$(http_bundle "$id" www.test "
		python3 /nwt/probes.py tcp:$TESTNET_WWW:80 tcp:$NW_GATEWAY:22 udp:$TESTNET_DNS:53 \\
			udp:$NW_GATEWAY:53 icmp:$TESTNET_WWW icmp:$NW_GATEWAY
		r http://www.test/")
	ff_probes >"$b/rootfs/nwt/probes.py"
	patch_bundle "$b"
	bp_caps "$b" CAP_NET_RAW
	run runc_run "$b" "$id"
	assert_success
	# Routed (forward chain) and to the node itself (input chain) alike.
	assert_fast TCP "$TESTNET_WWW:80" ConnectionRefusedError/111
	assert_fast TCP "$NW_GATEWAY:22" ConnectionRefusedError/111
	# ICMP type 3 code 13 (communication administratively prohibited):
	# EHOSTUNREACH on a UDP socket.
	assert_fast UDP "$TESTNET_DNS:53" OSError/113
	assert_fast UDP "$NW_GATEWAY:53" OSError/113
	assert_fast ICMP "$TESTNET_WWW" 3/13
	assert_fast ICMP "$NW_GATEWAY" 3/13
	# The proxy still serves.
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_clean "$id"
}
