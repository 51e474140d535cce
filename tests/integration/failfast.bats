#!/usr/bin/env bats
# What a job sees when the firewall blocks it, from inside real runc
# containers: a refusal at once (TCP reset, ICMP administratively
# prohibited), never a silent drop it must time out on.

load helpers
load http_helpers
load bypass_helpers

nw_suite testnet unreachable

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
    padded = body + b"\0" * (len(body) % 2)
    c = sum(struct.unpack("!%dH" % (len(padded) // 2), padded))
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
		python3 /nwt/probes.py tcp:$TESTNET_WWW:22 tcp:$NW_GATEWAY:22 udp:$TESTNET_DNS:53 \\
			udp:$NW_GATEWAY:123 icmp:$TESTNET_WWW icmp:$NW_GATEWAY
		r http://www.test/
		echo DONE
		exec sleep 300")
	ff_probes >"$b/rootfs/nwt/probes.py"
	patch_bundle "$b"
	bp_caps "$b" CAP_NET_RAW
	run_detached "$b" "$id" "$NW_TMP/job.out"
	wait_for_text "$NW_TMP/job.out" DONE 60
	run cat "$NW_TMP/job.out"
	# Routed (forward chain) and to the node itself (input chain) alike.
	assert_fast TCP "$TESTNET_WWW:22" ConnectionRefusedError/111
	assert_fast TCP "$NW_GATEWAY:22" ConnectionRefusedError/111
	# ICMP type 3 code 13 (communication administratively prohibited):
	# EHOSTUNREACH on a UDP socket.
	assert_fast UDP "$TESTNET_DNS:53" OSError/113
	# (Port 53 there is the job's own resolver, with interception.)
	assert_fast UDP "$NW_GATEWAY:123" OSError/113
	assert_fast ICMP "$TESTNET_WWW" 3/13
	assert_fast ICMP "$NW_GATEWAY" 3/13
	# The proxy still serves.
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	# Each attempt counted (a reset ends a TCP connect: no retries), and
	# the newest FW_BLOCKED_SHOWN (5) of the six destinations listed.
	# Their order within one second is the kernel's (timeouts count in
	# seconds), so the test asks which, not in what order.
	run "$NETWARD" --config "$NW_CONFIG" status --json </dev/null
	assert_success
	echo "$output" >&2
	jq -e --arg id "$id" --arg www "$TESTNET_WWW" --arg gw "$NW_GATEWAY" --arg dns "$TESTNET_DNS" '
		[$www + ":22/tcp", $gw + ":22/tcp", $dns + ":53/udp", $gw + ":123/udp",
		 $www + ":0/icmp", $gw + ":0/icmp"] as $sent
		| .[] | select(.id == $id)
		| .blocked >= 6 and (.blocked_recent | length) == 5
		and (.blocked_recent | all((.address + ":" + (.port | tostring) + "/" + .protocol) as $d
			| $sent | index($d) != null))
		and (.blocked_recent | any(.address == $www))' <<<"$output"
	run "$NETWARD" --config "$NW_CONFIG" status </dev/null
	assert_success
	assert_output_has "BLOCKED"
	assert_output_has "blocked, newest first:"
	assert_output_has "$TESTNET_WWW"
	"$NETWARD" --config "$NW_CONFIG" metrics >"$NW_TMP/m.prom"
	/usr/bin/python3 - "$NW_TMP/m.prom" "$id" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
v = [s.value for f in text_string_to_metric_families(open(sys.argv[1]).read())
     for s in f.samples if s.name == "netward_job_blocked_total" and s.labels["container"] == sys.argv[2]]
assert len(v) == 1 and v[0] >= 6, v
PY
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
	# The end-of-job line carries the same figures.
	grep -E "job ended: mode=http .* blocked=([6-9]|[0-9]{2,}) blocked_recent=[^ ]*$TESTNET_WWW" "$NW_LOG"
}
