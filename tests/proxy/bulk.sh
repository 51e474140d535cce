#!/bin/bash
# Bulk transfers through the standalone `netward proxy` on loopback: large
# downloads and uploads, plain HTTP and through CONNECT, with fast, slow
# (4 KiB socket buffers, 4 KiB at a time) and bursty (1 MiB, then 50 ms of
# nothing) peers on either side. Every byte is checked (the origin serves
# and hashes a known pattern: tests/lib/flow-servers.py bulk, the client is
# tests/lib/flow-client.py). A transfer that stops moving fails on the
# client's per-read timeout, not on how long the whole takes. Prints TAP.
# Needs root (the proxy drops to uid 65534), curl, python3.
# check evaluates its condition later, so the conditions are single-quoted.
# shellcheck disable=SC2016
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
netward=${NETWARD:-$root/build/netward}
tmp=$(mktemp -d /tmp/netward-bulk.XXXXXX)
. "$here/../lib/tap.sh"
. "$here/lib.sh"
# Sizes: large ones where the peers are fast, smaller ones where a peer is
# slow on purpose (the point there is the proxy's waiting, not volume).
big=${NW_BULK_BIG:-$((256 << 20))} small=${NW_BULK_SMALL:-$((24 << 20))}

for t in curl python3; do
	command -v "$t" >/dev/null || { echo "1..1"; echo "ok 1 - bulk # skip no $t"; exit 0; }
done

base=$((20000 + RANDOM % 20000))
bulk=$((base + 1)) pport=$((base + 3))
origin=127.0.0.2:$bulk

python3 "$root/tests/lib/flow-servers.py" bulk --bind 127.0.0.2 --port "$bulk" 2>"$tmp/bulk.err" &
pids+=("$!")
# The rate limit at its ceiling: this measures the proxy's flow, not the
# limiter (smoke.sh tests that).
cat >"$tmp/netward.json" <<JSON
{"allowed_modes": ["http"], "allow_private_destinations": ["127.0.0.0/8"],
 "dns_servers": ["127.0.0.53:53"], "connect_ports": [$bulk], "http_ports": [$bulk],
 "log": "$tmp/access.log", "rate_limit_bps": 100000000000}
JSON
"$netward" --config "$tmp/netward.json" proxy --listen "127.0.0.1:$pport" \
	--domains 127.0.0.2 --job-id job-bulk 2>"$tmp/proxy.err" &
proxy=$!
pids+=("$proxy")
wait_port 127.0.0.2 "$bulk" && wait_port 127.0.0.1 "$pport" ||
	{ echo "not ok 1 - proxy and origin start"; cat "$tmp"/*.err; echo "1..1"; exit 1; }

fc() { timeout 600 python3 "$root/tests/lib/flow-client.py" "$@" --timeout 30 2>&1; }
mib() { echo "$(($1 >> 20)) MiB"; }

# The stall's first case: curl with default buffers, a plain GET of a large body.
want=$(python3 - "$big" <<'PY'
import hashlib, sys
n = int(sys.argv[1]); p = bytes(range(251)) * 1045; h = hashlib.sha256()
while n > 0:
    h.update(p[:min(n, len(p))]); n -= min(n, len(p))
print(h.hexdigest())
PY
)
got=$(curl -s -x "http://127.0.0.1:$pport" --speed-limit 1 --speed-time 30 \
	"http://$origin/bytes/$big" | sha256sum | cut -c1-64)
check "curl, plain GET of $(mib "$big"): every byte" '[ "$got" = "$want" ]' "got $got want $want"

# get|put, size, client options, origin pace, via: plain|connect
run_case() {
	local t0=$SECONDS
	local op=$1 size=$2 copts=$3 opace=$4 via=$5 out conn=
	[ "$via" = connect ] && conn=--connect
	if [ "$op" = get ]; then
		# shellcheck disable=SC2086
		out=$(fc get "127.0.0.1:$pport" "$origin" "$size" $copts $conn --opace "$opace")
		check "$via GET $(mib "$size"), client ${copts:-fast}, origin $opace ($((SECONDS - t0)) s)" \
			'[ "$out" = "GET $size ok" ]' "$out"
	else
		# shellcheck disable=SC2086
		out=$(fc put "127.0.0.1:$pport" "$origin" "$size" $copts $conn --opace "$opace")
		local sent
		# shellcheck disable=SC2034 # read by the condition check evaluates
		sent=$(sed -n 's/^PUTSHA //p' <<<"$out")
		check "$via PUT $(mib "$size"), client ${copts:-fast}, origin $opace ($((SECONDS - t0)) s)" \
			'[ -n "$sent" ] && grep -qx "PUT received $size $sent" <<<"$out"' "$out"
	fi
}

for via in plain connect; do
	for op in get put; do
		run_case "$op" "$big" "" fast "$via"
		run_case "$op" "$small" "--pace slow --rcvbuf 4096 --sndbuf 4096" fast "$via"
		run_case "$op" "$small" "--pace bursty" fast "$via"
		run_case "$op" "$small" "" slow "$via"
		run_case "$op" "$small" "" bursty "$via"
		run_case "$op" "$small" "--pace slow --rcvbuf 4096 --sndbuf 4096" bursty "$via"
	done
done

check "the access log has every transfer" \
	'[ "$(grep -c "decision=allow" "$tmp/access.log")" -ge $((n - 1)) ]' "$(tail -n 3 "$tmp/access.log")"
kill -TERM "$proxy"
wait "$proxy"
rc=$?
check "SIGTERM: clean exit 0" '[ "$rc" = 0 ]' "rc=$rc $(cat "$tmp/proxy.err")"
echo "1..$n"
[ "$failed" -eq 0 ]
