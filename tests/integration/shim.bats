#!/usr/bin/env bats
# netward-runc with real runc: hooks.d applied as podman applies it (netward's
# own files and another hook beside them), containers no hook matches passed
# through untouched, every other command passed straight through, and bad
# input refused before anything starts. Each job test checks that nothing
# is left behind.

load helpers
load http_helpers
load shim_helpers

nw_suite testnet
setup() {
	nw_suite_setup
	shim_setup
}
teardown() {
	nw_teardown
	nw_unreachable_cleanup
}

FETCH='f() { if wget -q -T 3 -t 1 -O - "$1"; then :; else echo "UNREACHABLE $1"; fi; }'

@test "netward-runc: a container no hook matches runs with its config.json byte-identical" {
	local id b sum
	id=$(job_id plain)
	b=$(job_bundle "$id" "" -- /bin/sh -c 'echo "links: $(ip -o link | wc -l)"; echo ran')
	marker_hook "$NW_HOOKS" 40-marker.json "$NW_TMP/marker"
	sum=$(sha256sum <"$b/config.json")
	run shim_run "$b" "$id"
	assert_success
	assert_output_has "ran"
	[ "$(sha256sum <"$b/config.json")" = "$sum" ]
	[ ! -e "$NW_TMP/marker" ]
	[ ! -e "$b/config.json.tmp" ]
	assert_clean "$id"
}

@test "netward-runc: none through runc, the job sees only loopback" {
	local id b
	id=$(job_id none)
	b=$(job_bundle "$id" none -- /bin/sh -c "$FETCH"'
		echo "links: $(ip -o link | wc -l)"
		f http://198.18.0.10/')
	run shim_run "$b" "$id"
	assert_success
	assert_output_has "links: 1"
	assert_output_has "UNREACHABLE http://198.18.0.10/"
	assert_output_lacks "hello from"
	# netward set the job up (a fresh namespace alone would look the same).
	grep -q "container=$id .*job set up: mode=none" "$NW_LOG"
	# The hooks went into the bundle's config.json.
	jq -e '.hooks.createRuntime | length == 1' "$b/config.json"
	jq -e '.hooks.poststop | length == 1' "$b/config.json"
	assert_clean "$id"
}

@test "netward-runc: full through runc reaches the test internet" {
	local id b
	id=$(job_id full)
	b=$(job_bundle "$id" full -- /bin/sh -c "$FETCH"'
		echo "addr: $(ip -4 -o addr show eth0 | awk "{print \$4}")"
		f http://www.test/')
	run shim_run "$b" "$id"
	assert_success
	assert_output_has "addr: $NW_SUBNET_PREFIX"
	assert_output_has "hello from www.test"
	assert_clean "$id"
}

@test "netward-runc: http through runc, allowed domain reached, another refused with the reason" {
	local id b
	id=$(job_id http)
	b=$(http_bundle "$id" www.test '
		r http://www.test/
		r https://www.test/
		r http://other.test/')
	run shim_run "$b" "$id"
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_refused_request http://other.test/ "other.test"
	assert_clean "$id"
}

@test "netward-runc: a refusal reaches the caller with its reason, and nothing starts" {
	local id b
	id=$(job_id refused)
	write_node_config "$NW_CONFIG" '.allowed_modes = ["none"]'
	b=$(job_bundle "$id" full -- /bin/sh -c 'echo JOB-RAN')
	run shim_run "$b" "$id"
	assert_refused "$id" "allowed_modes"
}

@test "netward-runc: a second hooks.d hook applies beside netward's, and leaves nothing" {
	local id b
	id=$(job_id marker)
	marker_hook "$NW_HOOKS" 40-marker.json "$NW_TMP/marker"
	b=$(job_bundle "$id" full -- /bin/sh -c "$FETCH"'
		f http://www.test/')
	bundle_annotate "$b" io.example.marker on
	run shim_run "$b" "$id"
	assert_success
	assert_output_has "hello from www.test"
	runc delete "$id" 2>/dev/null || true
	cat "$NW_TMP/marker"
	grep -qx "marker creating $id" "$NW_TMP/marker"
	grep -qx "marker stopped $id" "$NW_TMP/marker"
	# Lowercase name order: 40-marker before 50-netward.
	jq -e '.hooks.createRuntime | map(.args[0]) == ["marker-hook", "netward"]' "$b/config.json"
	assert_clean "$id"
}

@test "netward-runc: later directory overrides by file name; lowercase name order" {
	local fake b
	fake=$(fake_runtime)
	b=$NW_TMP/bundle
	mkdir -p "$b" "$NW_TMP/d1" "$NW_TMP/d2"
	echo '{"ociVersion":"1.0.2","process":{"args":["/bin/sh"]},"annotations":{"k":"v"}}' >"$b/config.json"
	local w='{"always": true}'
	marker_hook "$NW_TMP/d1" B.json /dev/null "$w"
	marker_hook "$NW_TMP/d1" a.json /dev/null "$w"
	marker_hook "$NW_TMP/d1" c.json /dev/null "$w"
	jq '.hook.args = ["first-c"]' "$NW_TMP/d1/c.json" >"$NW_TMP/d1/c.json.x" && mv "$NW_TMP/d1/c.json.x" "$NW_TMP/d1/c.json"
	jq '.hook.args = ["first-a"]' "$NW_TMP/d1/a.json" >"$NW_TMP/d1/a.json.x" && mv "$NW_TMP/d1/a.json.x" "$NW_TMP/d1/a.json"
	jq '.hook.args = ["first-B"]' "$NW_TMP/d1/B.json" >"$NW_TMP/d1/B.json.x" && mv "$NW_TMP/d1/B.json.x" "$NW_TMP/d1/B.json"
	jq '.hook.args = ["second-c"]' "$NW_TMP/d1/c.json" >"$NW_TMP/d2/c.json"
	# Not *.json: ignored, as podman ignores it.
	echo 'not json' >"$NW_TMP/d2/README"
	FAKE_BUNDLE=$b run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" --netward-runtime "$fake" \
		--netward-hooks-dir "$NW_TMP/d1" --netward-hooks-dir "$NW_TMP/d2" create -b "$b" x
	assert_success
	jq -e '.hooks.createRuntime | map(.args[0]) == ["first-a", "first-B", "second-c"]' "$NW_TMP/fake.config"
	# The runtime got the arguments as given, argv[0] its own path.
	[ "$(cat "$NW_TMP/fake.args")" = "$(printf '%s\n' "$fake" create -b "$b" x)" ]
}

@test "netward-runc: hooks.d from the node config and NETWARD_HOOKS_DIR" {
	local fake b
	fake=$(fake_runtime)
	b=$NW_TMP/bundle
	mkdir -p "$b"
	echo '{"ociVersion":"1.0.2","annotations":{"io.example.marker":"on"}}' >"$b/config.json"
	marker_hook "$NW_TMP/cfgdir" m.json /dev/null
	write_node_config "$NW_CONFIG" --arg d "$NW_TMP/cfgdir" --arg r "$fake" \
		'.hooks_dirs = [$d] | .oci_runtime = $r'
	FAKE_BUNDLE=$b run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" create -b "$b" x
	assert_success
	jq -e '.hooks.createRuntime | length == 1' "$NW_TMP/fake.config"
	# The environment names other directories: none of them has a hook.
	echo '{"ociVersion":"1.0.2","annotations":{"io.example.marker":"on"}}' >"$b/config.json"
	NETWARD_HOOKS_DIR=$NW_TMP/empty FAKE_BUNDLE=$b run "$NETWARD_RUNC" \
		--netward-config "$NW_CONFIG" create -b "$b" x
	assert_success
	jq -e '.hooks == null' "$NW_TMP/fake.config"
}

@test "netward-runc: bad input is one line naming the file, and the runtime never runs" {
	local fake b sum
	fake=$(fake_runtime)
	b=$NW_TMP/bundle
	mkdir -p "$b"
	echo '{"ociVersion":"1.0.2","annotations":{"io.netward.network":"none"}}' >"$b/config.json"
	sum=$(sha256sum <"$b/config.json")
	shim() {
		rm -f "$NW_TMP/fake.args"
		run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" --netward-runtime "$fake" \
			--netward-hooks-dir "$NW_HOOKS" "$@"
		[ "$status" -ne 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[ ! -e "$NW_TMP/fake.args" ]
		[ "$(sha256sum <"$b/config.json")" = "$sum" ]
	}
	# A malformed hooks.d file.
	echo '{"version": "1.0.0", "hook": ' >"$NW_HOOKS/60-broken.json"
	shim create -b "$b" x
	assert_output_has "netward-runc: hooks.d file $NW_HOOKS/60-broken.json: invalid JSON"
	# A pattern RE2 and POSIX ERE would read differently.
	jq -n '{version: "1.0.0", hook: {path: "/bin/true"}, when: {annotations: {"\\d": "x"}},
		stages: ["prestart"]}' >"$NW_HOOKS/60-broken.json"
	shim create -b "$b" x
	assert_output_has "60-broken.json: when.annotations: pattern"
	# A hook whose program does not exist.
	jq -n '{version: "1.0.0", hook: {path: "/nonexistent/hook"}, when: {always: true},
		stages: ["prestart"]}' >"$NW_HOOKS/60-broken.json"
	shim create -b "$b" x
	assert_output_has "60-broken.json: hook.path /nonexistent/hook: No such file"
	rm "$NW_HOOKS/60-broken.json"
	# A missing bundle.
	shim create -b "$NW_TMP/nobundle" x
	assert_output_has "opening bundle $NW_TMP/nobundle: No such file"
	# A config.json over the size limit (oci.h OCI_CONFIG_MAX, 4 MiB).
	local big=$NW_TMP/big
	mkdir -p "$big"
	{
		printf '{"ociVersion": "1.0.2", "annotations": {"pad": "'
		head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' x
		printf '"}}'
	} >"$big/config.json"
	shim create -b "$big" x
	assert_output_has "config.json is larger than"
	# A precreate hook that fails: the container is not created.
	jq -n '{version: "1.0.0", hook: {path: "/bin/false"}, when: {always: true},
		stages: ["precreate"]}' >"$NW_HOOKS/70-false.json"
	shim create -b "$b" x
	assert_output_has "precreate hook /bin/false of hooks.d file 70-false.json: exited with status 1"
	rm "$NW_HOOKS/70-false.json"
	# An option that hides the command.
	shim --unknown-global create -b "$b" x
	assert_output_has "unknown global option --unknown-global"
}

@test "netward-runc: a missing or non-executable real runtime is a clear error" {
	run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" --netward-runtime /nonexistent/runc state x
	[ "$status" -ne 0 ]
	assert_output_has "netward-runc: the real runtime /nonexistent/runc is not an executable file"
	run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" --netward-runtime "$NW_CONFIG" state x
	[ "$status" -ne 0 ]
	assert_output_has "is not an executable file"
	PATH=/nonexistent run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" --netward-runtime nosuchruntime state x
	[ "$status" -ne 0 ]
	assert_output_has "the real runtime \"nosuchruntime\" is not in PATH"
	# Never itself, found in PATH under the real runtime's name.
	mkdir -p "$NW_TMP/bin"
	ln -s "$NETWARD_RUNC" "$NW_TMP/bin/runc"
	PATH=$NW_TMP/bin run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" state x
	[ "$status" -ne 0 ]
	assert_output_has "is not in PATH"
}

@test "netward-runc: every other command, exit codes and signals pass straight through" {
	local fake
	run runc --version
	local want=$output
	run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" --version
	assert_success
	[ "$output" = "$want" ]
	run runc features
	want=$output
	run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" features
	[ "$output" = "$want" ]
	# runc's error line carries the second it was written: two calls may
	# straddle one.
	run runc state nwt-no-such-container
	local want_status=$status
	want=$(sed 's/time="[^"]*"//' <<<"$output")
	run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" state nwt-no-such-container
	[ "$status" -eq "$want_status" ]
	[ "$(sed 's/time="[^"]*"//' <<<"$output")" = "$want" ]
	fake=$(fake_runtime)
	FAKE_EXIT=42 run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" --netward-runtime "$fake" \
		--root /r kill x KILL
	[ "$status" -eq 42 ]
	[ "$(cat "$NW_TMP/fake.args")" = "$(printf '%s\n' "$fake" --root /r kill x KILL)" ]
	# A runtime killed by a signal: the engine sees the signal, not an exit.
	printf '#!/bin/sh\nkill -TERM $$\n' >"$NW_TMP/sig-runtime"
	chmod 0755 "$NW_TMP/sig-runtime"
	FDS=$NW_TMP/fds run bash -c '"$1" --netward-config "$2" --netward-runtime "$3" state x; echo "status=$?"' \
		_ "$NETWARD_RUNC" "$NW_CONFIG" "$NW_TMP/sig-runtime"
	assert_output_has "status=143"
}

@test "netward-runc: the real runtime gets the engine's file descriptors, and no other" {
	local b=$NW_TMP/bundle
	mkdir -p "$b"
	echo '{"ociVersion":"1.0.2","annotations":{"io.example.marker":"on"}}' >"$b/config.json"
	marker_hook "$NW_HOOKS" 40-marker.json /dev/null
	jq '.stages += ["precreate"] | .hook.path = "/bin/cat" | .hook.args = ["cat"]' \
		"$NW_HOOKS/40-marker.json" >"$NW_HOOKS/41-cat.json"
	# The shell's own descriptors show too: compare with a direct start.
	printf '#!/bin/sh\nls /proc/$$/fd >"$FDS"\n' >"$NW_TMP/fd-runtime"
	chmod 0755 "$NW_TMP/fd-runtime"
	FDS=$NW_TMP/fds-bare bash -c '"$1" create x 5</dev/null 3>&- 4>&-' _ "$NW_TMP/fd-runtime"
	grep -qx 5 "$NW_TMP/fds-bare"
	# As an engine with a console socket or --preserve-fds would: fd 5 open.
	FDS=$NW_TMP/fds run bash -c '"$1" --netward-config "$2" --netward-runtime "$3" --netward-hooks-dir "$4" \
		create --preserve-fds 3 -b "$5" x 5</dev/null 3>&- 4>&-' \
		_ "$NETWARD_RUNC" "$NW_CONFIG" "$NW_TMP/fd-runtime" "$NW_HOOKS" "$b"
	assert_success
	# The hooks matched, so the whole path ran (hooks.d, precreate, rewrite).
	jq -e '.hooks.createRuntime | length == 2' "$b/config.json"
	diff "$NW_TMP/fds-bare" "$NW_TMP/fds"
}
