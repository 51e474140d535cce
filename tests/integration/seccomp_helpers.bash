# shellcheck shell=bash
# shellcheck disable=SC2154
# The socket-entry attack (tests/lib/sockentry.c) for seccomp.bats and
# podman.bats: every way a 64-bit x86 process can ask for a socket of a
# family the container seccomp additions refuse.

# nw_sockentry_build DIR: builds DIR/sockentry (static), or says why not.
nw_sockentry_build() {
	[ "$(uname -m)" = x86_64 ] || {
		echo "the 32-bit and x32 entries are x86-64's; this machine is $(uname -m)"
		return 1
	}
	command -v gcc >/dev/null || {
		echo "gcc is not installed"
		return 1
	}
	gcc -O1 -static -o "$1/sockentry" "$NW_ROOT/tests/lib/sockentry.c" 2>&1 || {
		echo "cannot build tests/lib/sockentry.c statically (libc6-dev)"
		return 1
	}
}

# nw_sockentry_host BIN: the attack works on the host (outside any job),
# or the reason it cannot show anything here. Prints the entries to test.
nw_sockentry_host() {
	local bin=$1 probe out
	probe=$("$bin" probe)
	grep -qx 'ia32 yes' <<<"$probe" || {
		echo "SKIP the kernel has no IA32 emulation (int \$0x80 getpid failed)"
		return 0
	}
	out=$("$bin" AF_VSOCK)
	grep -qx 'native-socket AF_VSOCK open' <<<"$out" || {
		echo "SKIP the kernel has no AF_VSOCK sockets: the attack cannot be shown"
		return 0
	}
	grep -qx 'i386-socketcall-socket AF_VSOCK open' <<<"$out" || {
		echo "SKIP socketcall(SYS_SOCKET, AF_VSOCK) fails on the host: $out"
		return 0
	}
	if grep -qx 'x32 yes' <<<"$probe"; then
		echo "ENTRIES native i386 x32"
	else
		echo "ENTRIES native i386 (the kernel has no x32 ABI)"
	fi
}

# nw_assert_no_refused_family: the last `run` of `sockentry AF_VSOCK AF_INET
# AF_UNIX` opened no AF_VSOCK socket through any entry, and the program did
# run (a native AF_INET socket and an AF_UNIX pair opened).
nw_assert_no_refused_family() {
	if grep -E ' AF_VSOCK open$' <<<"$output"; then
		echo "a refused family opened (above); all output:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
	local l
	for l in 'native-socket AF_INET open' 'native-socketpair AF_UNIX open' \
		'i386-socketcall-socket AF_VSOCK ' 'i386-socket AF_VSOCK ' 'x32-socket AF_VSOCK '; do
		grep -q "^$l" <<<"$output" || {
			echo "expected a line '$l...' from sockentry:" >&2
			printf '%s\n' "$output" >&2
			return 1
		}
	done
}
