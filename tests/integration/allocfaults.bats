#!/usr/bin/env bats
# netward when an allocation fails: gc under memory pressure must never
# take a live job for a dead one. A failed strdup() is injected with an
# LD_PRELOAD shim (tests/lib/failstrdup.c) at each copy gc makes of a live
# job's interface name, from reading its record to listing the firewall.

load helpers
load http_helpers

nw_suite testnet

# af_shim DIR: builds DIR/failstrdup.so, or says why not.
af_shim() {
	command -v cc >/dev/null || {
		echo "a C compiler is needed to build tests/lib/failstrdup.c"
		return 1
	}
	cc -shared -fPIC -O1 -o "$1/failstrdup.so" "$NW_ROOT/tests/lib/failstrdup.c" -ldl 2>&1
}

@test "allocfaults: a strdup failing anywhere in gc leaves a live http job, its link, rules and record alone" {
	local id b hostif n out rc oom=0
	out=$(af_shim "$NW_TMP") || skip "$out"
	id=$(job_id gcoom)
	b=$(http_bundle "$id" www.test 'r http://www.test/; echo FETCHED; exec sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/$id.out"
	wait_for_text "$NW_TMP/$id.out" FETCHED 30
	hostif=$(job_state_field "$id" host_if)
	[ -n "$hostif" ]
	# The shim counts calls with the name, so each n fails a later copy;
	# 16 covers the record, gc's live list and the firewall listing.
	for n in $(seq 1 16); do
		rc=0
		out=$(NW_FAIL_STRDUP=$hostif NW_FAIL_STRDUP_AT=$n LD_PRELOAD=$NW_TMP/failstrdup.so \
			"$NETWARD" --config "$NW_CONFIG" gc </dev/null 2>&1) || rc=$?
		if [ "$rc" -ne 0 ]; then
			[[ "$out" == *"Cannot allocate memory"* ]] || {
				echo "gc (strdup $n of $hostif failing) failed otherwise: $out" >&2
				return 1
			}
			oom=$((oom + 1))
		fi
		if [ -z "$(job_state_field "$id" host_if)" ]; then
			echo "gc with strdup $n of $hostif failing removed the live job's record: $out" >&2
			return 1
		fi
		if ! ip link show "$hostif" >/dev/null 2>&1 ||
			! nft list ruleset | grep -qF "\"$hostif\""; then
			echo "gc with strdup $n of $hostif failing removed the live job's link or rules: $out" >&2
			return 1
		fi
	done
	# The injection reached gc's own copies, not only calls it may ignore.
	[ "$oom" -ge 2 ]
	# ...and the job still fetches through its proxy.
	run timeout -k 2 40 runc exec "$id" /bin/sh -c '. /nwt/lib.sh; r http://www.test/' </dev/null 3>&-
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	kill_job "$id"
	runc delete --force "$id" 2>/dev/null || true
	eventually_clean "$id" 15
}
