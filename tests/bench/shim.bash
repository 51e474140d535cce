# shellcheck shell=bash
# `make bench`, netward-runc part (sourced by tests/bench/run): what the
# runtime shim costs a container that no hooks.d hook matches, against the
# bare runtime in the same rounds. The hooks.d directory holds netward's
# three files and another hook, as a node would; the bundle has no
# annotation, so netward-runc reads config.json and hooks.d, matches
# nothing and execs runc.

# R (results), W, ROOT, NETWARD, RUNS, PAUSE_MS, TAG and the helpers come
# from tests/bench/run.
# shellcheck disable=SC2034,SC2154
NETWARD_RUNC=$ROOT/build/netward-runc

shim_hooks_dir() {
	local d=$W/hooks.d f
	mkdir -p "$d"
	for f in "$ROOT"/packaging/hooks/*.json; do
		jq --arg p "$NETWARD" --arg c "$W/hook.json" '.hook.path = $p
			| .hook.args |= map(if . == "/etc/netward/netward.json" then $c else . end)' \
			"$f" >"$d/${f##*/}"
	done
	jq -n '{version: "1.0.0", hook: {path: "/bin/true"},
		when: {annotations: {"^io\\.example\\.marker$": "^on$"}}, stages: ["createRuntime"]}' \
		>"$d/40-other.json"
}

shim_benches() {
	[ -x "$NETWARD_RUNC" ] || {
		R[hook,shim-run]="failed: no $NETWARD_RUNC"
		return
	}
	log "shim: netward-runc against bare runc, a container no hook matches"
	shim_hooks_dir
	local shim=("$NETWARD_RUNC" --netward-config "$W/hook.json" --netward-hooks-dir "$W/hooks.d")
	make_job_bundle "$W/b-shim-bare" bare '["/busybox", "true"]'
	make_job_bundle "$W/b-shim" bare '["/busybox", "true"]'
	echo "$TAG-sb" >>"$W/ids"
	echo "$TAG-s" >>"$W/ids"
	start_times "$W/starts-shim.json" --baseline shim-bare \
		"shim-bare=runc run --bundle $W/b-shim-bare $TAG-sb" \
		"shim-run=${shim[*]} run --bundle $W/b-shim $TAG-s"
	# The shim's own work, without a container's noise: the same command
	# line with /bin/true as the real runtime, against /bin/true alone.
	RUNS=$((RUNS * 10)) PAUSE_MS=0 start_times "$W/starts-shim-exec.json" --baseline exec-bare \
		"exec-bare=/bin/true run --bundle $W/b-shim $TAG-x" \
		"exec-shim=${shim[*]} --netward-runtime /bin/true run --bundle $W/b-shim $TAG-x"
	cmp -s "$W/b-shim/config.json" "$W/b-shim-bare/config.json" ||
		R[hook,shim-run]="failed: netward-runc changed config.json of a container no hook matches"
}

report_shim() {
	local k label med mn mx over res
	echo
	echo "### netward-runc, a container no hooks.d hook matches (hooks.d: netward's three files and one other; ms)"
	echo
	echo "\"over\" is the median of the per-round differences to the bare runtime's run of the same round."
	echo
	echo "| configuration | median | min | max | over | target | result |"
	echo "|---|---|---|---|---|---|---|"
	for k in shim-bare shim-run exec-bare exec-shim; do
		case $k in
		shim-bare) label="runc run of /bin/true, bare ($RUNS rounds)" ;;
		shim-run) label="netward-runc run, then runc ($RUNS rounds)" ;;
		exec-bare) label="/bin/true as the runtime, bare ($((RUNS * 10)) rounds)" ;;
		exec-shim) label="netward-runc, then /bin/true as the runtime ($((RUNS * 10)) rounds)" ;;
		esac
		over=
		if ! read -r med mn mx over <<<"$(cell hook,$k)" || ! num "$med"; then
			echo "| $label | $(cell hook,$k) | | | | | |"
			continue
		fi
		res=–
		case $k in
		shim-run | exec-shim)
			res=$(num "$over" && verdict 'a <= 2' a="$over" || echo MISS)
			echo "| $label | $med | $mn | $mx | $(awk -v a="$over" 'BEGIN {printf "%+.2f", a}') | ≤ 2 ms | $res |"
			;;
		*) echo "| $label | $med | $mn | $mx | – | – | – |" ;;
		esac
	done
}
