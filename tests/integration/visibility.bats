#!/usr/bin/env bats
# What operators see, from inside real runc containers: `netward metrics`
# (parsed by the Prometheus client library's own text parser), report mode
# and `netward domains`.

load helpers
load http_helpers

PY3=/usr/bin/python3

nw_suite testnet
setup() {
	nw_suite_setup
	"$PY3" -c 'import prometheus_client' 2>/dev/null ||
		skip "python3-prometheus-client is missing (tests/deps.sh installs it)"
}
teardown() {
	nw_teardown
	nw_unreachable_cleanup
}

# prom FILE SELECTOR...: each SELECTOR "name{l=v,...}" printed with the
# value of the one sample it matches (name as exposed, _total included),
# parsed by prometheus_client; a sample that is missing fails.
prom() {
	"$PY3" - "$@" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
for sel in sys.argv[2:]:
    name, _, rest = sel.partition("{")
    want = dict(kv.split("=", 1) for kv in rest.rstrip("}").split(",") if kv)
    got = [s for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in want.items())]
    if len(got) != 1:
        sys.exit("%s: %d samples match" % (sel, len(got)))
    print(sel, int(got[0].value))
PY
}

# prom_value FILE SELECTOR: the value alone.
prom_value() {
	prom "$@" | awk '{ print $2 }'
}

@test "visibility: metrics parse, carry the job's counters and the node's, and gc writes them as a textfile" {
	local id rid b m=$NW_TMP/metrics.prom tf=$NW_TMP/textfile before after refused
	write_node_config "$NW_CONFIG"
	"$NETWARD" --config "$NW_CONFIG" metrics >"$NW_TMP/before.prom"
	before=$(prom_value "$NW_TMP/before.prom" 'netward_setups_total{mode=http}' 2>/dev/null || echo 0)
	refused=$(prom_value "$NW_TMP/before.prom" 'netward_refusals_total{reason=policy}' 2>/dev/null || echo 0)
	id=$(job_id metrics)
	b=$(http_bundle "$id" www.test '
		r http://www.test/
		r http://other.test/
		echo DONE
		exec sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/job.out"
	wait_for_text "$NW_TMP/job.out" DONE 60
	wait_stats "$id" '.requests_allowed >= 1 and .requests_denied >= 1'
	run "$NETWARD" --config "$NW_CONFIG" metrics </dev/null
	assert_success
	printf '%s\n' "$output" >"$m"
	run prom "$m" \
		"netward_job_requests_total{container=$id,mode=http,decision=allowed}" \
		"netward_job_requests_total{container=$id,mode=http,decision=denied}" \
		"netward_job_requests_total{container=$id,decision=reported}" \
		"netward_job_bytes_down_total{container=$id,job=$id}" \
		"netward_job_bytes_up_total{container=$id}" \
		"netward_job_live_connections{container=$id}" \
		"netward_job_log_lines_dropped_total{container=$id}" \
		"netward_jobs{mode=http}" "netward_jobs{mode=none}" "netward_jobs{mode=full}" \
		"netward_setups_total{mode=http}"
	echo "$output" >&2
	assert_success
	assert_line_has "netward_job_requests_total{container=$id,mode=http,decision=allowed} " " 1"
	assert_line_has "netward_job_requests_total{container=$id,mode=http,decision=denied} " " 1"
	assert_line_has "netward_job_requests_total{container=$id,decision=reported} " " 0"
	[ "$(prom_value "$m" "netward_job_bytes_down_total{container=$id}")" -gt 0 ]
	[ "$(prom_value "$m" 'netward_jobs{mode=http}')" -ge 1 ]
	after=$(prom_value "$m" 'netward_setups_total{mode=http}')
	[ "$after" -eq $((before + 1)) ]
	# A job this node refuses at prestart is counted under the stage that
	# refused it: patched under one config, started under a stricter one.
	rid=$(job_id refused)
	b=$(http_bundle "$rid" www.test 'true')
	patch_bundle "$b"
	write_node_config "$NW_CONFIG" '.domain_allowlist = ["other.test"]'
	run runc_run "$b" "$rid"
	[ "$status" -ne 0 ]
	"$NETWARD" --config "$NW_CONFIG" metrics >"$m"
	[ "$(prom_value "$m" 'netward_refusals_total{reason=policy}')" -eq $((refused + 1)) ]
	write_node_config "$NW_CONFIG"
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
	# gc writes the textfile only where the directory exists.
	NETWARD_TEXTFILE_DIR=$tf "$NETWARD" --config "$NW_CONFIG" gc </dev/null
	[ ! -e "$tf" ]
	mkdir "$tf"
	NETWARD_TEXTFILE_DIR=$tf "$NETWARD" --config "$NW_CONFIG" gc </dev/null
	[ -z "$(find "$tf" -name '.*')" ]
	run prom "$tf/netward.prom" 'netward_jobs{mode=http}' 'netward_setups_total{mode=http}'
	assert_success
}

# The test internet's names: www.test, a.www.test and sub.www.test share a
# server; other.test another; meta.test resolves to 169.254.169.254 and
# loop.test to 127.0.0.1; far.test is one more name of www.test's server.
@test "visibility: report mode lets names outside the list through, logged and counted, never past the ceiling, SSRF rules or deny_destinations; domains prints the list" {
	local id b log
	write_node_config "$NW_CONFIG" '.report_unlisted_domains = true
		| .domain_allowlist = [".www.test", "other.test", "meta.test", "loop.test", "far.test"]
		| .deny_destinations = ["far.test"]'
	id=$(job_id report)
	b=$(http_bundle "$id" www.test '
		r http://www.test/
		r http://a.www.test/
		r https://sub.www.test/
		r http://other.test/
		r http://api.test/
		r http://meta.test/
		r http://loop.test/
		r http://far.test/
		echo DONE
		exec sleep 300')
	run_until_done "$b" "$id"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT http://a.www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://sub.www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT http://other.test/ 200 " "hello from other.test"
	# The node's ceiling, the private-range rule and deny_destinations hold.
	assert_refused_request http://api.test/ 'domain \"api.test\" is not in this job'"'"'s allowlist'
	assert_refused_request http://meta.test/ "a private address"
	assert_refused_request http://loop.test/ "a private address"
	assert_refused_request http://far.test/ "in deny_destinations"
	log=$NW_STATE/jobs/$id/access.log
	grep -E 'host=a\.www\.test .*decision=report ' "$log"
	grep -E 'host=sub\.www\.test .*decision=report ' "$log"
	grep -E 'host=other\.test .*decision=report ' "$log"
	grep -E 'host=www\.test .*decision=allow ' "$log"
	run grep -E 'host=(api|meta|loop|far)\.test .*decision=(allow|report) ' "$log"
	[ "$status" -ne 0 ]
	wait_stats "$id" '.requests_reported == 3 and .requests_allowed == 1 and .requests_denied == 4'
	"$NETWARD" --config "$NW_CONFIG" metrics >"$NW_TMP/m.prom"
	[ "$(prom_value "$NW_TMP/m.prom" "netward_job_requests_total{container=$id,decision=reported}")" -eq 3 ]
	run "$NETWARD" --config "$NW_CONFIG" status </dev/null
	assert_success
	assert_output_has "3 request(s) outside its domains allowed by report_unlisted_domains"
	# Three names under www.test and one other.
	run "$NETWARD" --config "$NW_CONFIG" domains "$id"
	assert_success
	echo "domains: $output" >&2
	[ "$output" = "other.test,.www.test" ]
	# The list it prints is one this node admits.
	run "$NETWARD" --config "$NW_CONFIG" explain --network http --domains "$output"
	assert_success
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
	# The end-of-job line in the node log carries the same figures.
	grep -E "job ended: mode=http .*allowed=1 denied=4 reported=3 " "$NW_LOG"
}

@test "visibility: without report mode a name outside the list is refused, and domains names what was allowed" {
	local id b
	id=$(job_id noreport)
	b=$(http_bundle "$id" www.test,other.test '
		r http://www.test/
		r http://a.www.test/
		r http://other.test/
		echo DONE
		exec sleep 300')
	run_until_done "$b" "$id"
	assert_refused_request http://a.www.test/ "is not in this job's allowlist"
	run "$NETWARD" --config "$NW_CONFIG" domains "$id"
	assert_success
	[ "$output" = "other.test,www.test" ]
	run "$NETWARD" --config "$NW_CONFIG" domains nosuchjob
	[ "$status" -eq 1 ]
	assert_output_has "no job with container id"
	kill_job "$id"
	runc delete "$id"
	eventually_clean "$id" 10
}
