# shellcheck shell=bash
# `make bench`, blocked part (sourced by tests/bench/run): how long a
# direct TCP connect from an http job takes to fail. The firewall answers
# it with a reset; a silent drop would show as the probe's 1 s timeout.
# The probe runs in the job's network namespace (nsenter), so its packets
# take the job's own veth and the host's rules as the job's would.

# An address no rule lets an http job reach directly (the benchmarking
# range; nothing needs to listen there).
BLOCKED_DEST=198.18.0.10
BLOCKED_TRIES=200

blocked_bench() {
	local b=$W/b-blocked id=$TAG-blocked pid
	log "blocked: $BLOCKED_TRIES direct connects from an http job"
	make_job_bundle "$b" http '["/busybox", "sleep", "120"]' || {
		R[blocked]="failed: patch-bundle"
		return
	}
	echo "$id" >>"$W/ids"
	if ! timeout 60 runc run -d --bundle "$b" "$id" </dev/null >"$W/blocked-run.log" 2>&1; then
		R[blocked]="failed: $(tail -n 1 "$W/blocked-run.log")"
		return
	fi
	pid=$(runc state "$id" | jq -r .pid)
	R[blocked]=$(nsenter -t "$pid" -n python3 - "$BLOCKED_DEST" "$BLOCKED_TRIES" <<'PY' 2>&1 | tail -n 1
import socket, sys, time
dest, n = sys.argv[1], int(sys.argv[2])
ms, how = [], set()
for i in range(n):
    t = time.perf_counter()
    try:
        socket.create_connection((dest, 22), timeout=1).close()
        how.add("open")
    except OSError as e:
        how.add(type(e).__name__)
    ms.append((time.perf_counter() - t) * 1000)
ms.sort()
print("%.3f %.3f %.3f %s" % (ms[len(ms) // 2], ms[len(ms) * 99 // 100], ms[-1], "+".join(sorted(how))))
PY
	)
	timeout 60 runc delete --force "$id" >/dev/null 2>&1
}

report_blocked() {
	local med p99 mx how
	echo
	echo "### Blocked connections ($BLOCKED_TRIES direct TCP connects from an http job to $BLOCKED_DEST:22; ms)"
	echo
	echo "| median | p99 | max | what the job got | target | result |"
	echo "|---|---|---|---|---|---|"
	if read -r med p99 mx how <<<"$(cell blocked)" && num "$med"; then
		echo "| $med | $p99 | $mx | $how | median < 10 ms, refused | $([ "$how" = ConnectionRefusedError ] && verdict 'm < 10' m="$med" || echo MISS) |"
	else
		echo "| $(cell blocked) | | | | median < 10 ms, refused | MISS |"
	fi
}
