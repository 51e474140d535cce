#!/usr/bin/env bats
# The container seccomp additions hold through every system call entry: a
# 64-bit x86 job asks for AF_VSOCK through the native socket(2), the i386
# socketcall(SYS_SOCKET/SYS_SOCKETPAIR) and socket(2) (int $0x80), and the
# x32 socket(2). Under runc with no profile and with a podman-style profile
# (socketcall allowed, the x86 and x32 architectures listed); podman itself
# is in podman.bats.

load helpers
load seccomp_helpers

setup_file() {
	nw_setup_file
	local why
	if why=$(nw_sockentry_build "$BATS_FILE_TMPDIR"); then
		nw_sockentry_host "$BATS_FILE_TMPDIR/sockentry" >"$BATS_FILE_TMPDIR/host"
	else
		echo "SKIP $why" >"$BATS_FILE_TMPDIR/host"
	fi
}
teardown_file() { nw_teardown_file; }

setup() {
	nw_setup
	local s
	s=$(sed -n 's/^SKIP //p' "$BATS_FILE_TMPDIR/host")
	[ -z "$s" ] || skip "$s"
}
teardown() { nw_teardown; }

# podman's default profile (containers-common's seccomp.json) as podman
# hands it to the runtime for a container with runc's default capabilities:
# the rules that apply on x86-64, the x86 and x32 architectures listed.
podman_style_profile() {
	local caps='["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]'
	jq --argjson caps "$caps" '{
		defaultAction, defaultErrnoRet,
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [.syscalls[]
			| select(((.includes.arches // ["amd64"]) | index("amd64"))
				and (((.includes.caps // []) - $caps) == [])
				and ((.excludes.caps // []) - ((.excludes.caps // []) - $caps) == [])
				and ((.excludes.arches // []) | index("amd64") | not))
			| {names, action} + (if .errnoRet then {errnoRet} else {} end)
				+ (if (.args // []) != [] then {args} else {} end)]
	}' /usr/share/containers/seccomp.json
}

# sock_job MODE PROFILE: runs sockentry in a job of MODE; PROFILE "none"
# (config.json without linux.seccomp) or "podman".
sock_job() {
	local mode=$1 profile=$2 id b domains=
	id=$(job_id "$mode-$profile")
	[ "$mode" = http ] && domains=www.test
	b=$(job_bundle "$id" "$mode" $domains -- /sockentry AF_VSOCK AF_INET AF_UNIX)
	install -m 0755 "$BATS_FILE_TMPDIR/sockentry" "$b/rootfs/sockentry"
	case $profile in
	none) bundle_jq "$b" 'del(.linux.seccomp)' ;;
	podman)
		[ -r /usr/share/containers/seccomp.json ] ||
			skip "no podman profile at /usr/share/containers/seccomp.json (golang-github-containers-common)"
		podman_style_profile >"$NW_TMP/profile.json"
		bundle_jq "$b" --slurpfile p "$NW_TMP/profile.json" '.linux.seccomp = $p[0]'
		;;
	esac
	run run_job "$b" "$id"
	assert_success
	nw_assert_no_refused_family
	# The profile netward adds lists every ABI: 32-bit programs keep their
	# other sockets rather than being killed for a foreign architecture.
	[ "$profile" != none ] || assert_output_has "i386-socket AF_INET open"
	assert_clean "$id"
}

@test "seccomp entries: none job, runc without a profile" { sock_job none none; }
@test "seccomp entries: http job, runc without a profile" { sock_job http none; }
@test "seccomp entries: full job, runc without a profile" { sock_job full none; }
@test "seccomp entries: none job, runc with a podman-style profile" { sock_job none podman; }
@test "seccomp entries: http job, runc with a podman-style profile" { sock_job http podman; }
@test "seccomp entries: full job, runc with a podman-style profile" { sock_job full podman; }
