# TAP for the standalone test scripts (tests/proxy, tests/valgrind): sourced
# after `tmp` is set. Processes added to `pids` and the directory `tmp` are
# removed on exit.
pids=()
n=0 failed=0

tap_cleanup() {
	local p
	# CONT too: a process a test stopped would keep the TERM pending.
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && kill -CONT "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap tap_cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'
	return 0
}
# check NAME CONDITION [DETAIL]: CONDITION is evaluated here.
check() { if eval "$2"; then ok "$1"; else nok "$1" "${3:-}"; fi; }
