#!/usr/bin/env bats
# Packaging: `make deb` and `make rpm`, the two packages' file sets, lintian,
# and the installed .deb at work under podman through its hooks.d entries
# (no --hooks-dir), on the test internet (tests/lib/testnet.sh).
#
# The packages are built once, into a directory of this file's own, by
# setup_file; the first two tests report how that went. Tests that install
# the .deb install it themselves and purge it again in teardown, restoring
# whatever /etc/netward held before.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
# podman runs runc, as in the other suites (tests/lib/containers.conf).
export CONTAINERS_CONF=$ROOT/tests/lib/containers.conf
IMAGE=localhost/netward-pkgtest:latest
NODE_CONF=/etc/netward/netward.json
RUN_OPTS=(--pull=never --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024
	-v /usr:/usr:ro)

setup_file() {
	local rc
	export DIST=$BATS_FILE_TMPDIR/dist
	rc=0
	(cd "$ROOT" && make --no-print-directory deb DIST="$DIST") \
		>"$BATS_FILE_TMPDIR/deb.log" 2>&1 || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/deb.rc"
	rc=0
	(cd "$ROOT" && make --no-print-directory rpm DIST="$DIST") \
		>"$BATS_FILE_TMPDIR/rpm.log" 2>&1 || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/rpm.rc"
}

teardown_file() {
	if command -v podman >/dev/null && [ "$(id -u)" -eq 0 ]; then
		podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
	fi
}

# The one package file of a kind in $DIST, or a failure saying why not.
deb_file() {
	local f=("$DIST"/netward_*.deb)
	[ "$(cat "$BATS_FILE_TMPDIR/deb.rc")" -eq 0 ] ||
		fail_with "make deb failed:" "$(tail -30 "$BATS_FILE_TMPDIR/deb.log")"
	[ ${#f[@]} -eq 1 ] && [ -f "${f[0]}" ] || fail_with "expected one .deb, got: ${f[*]}"
	DEB=${f[0]}
}

rpm_file() {
	local f=("$DIST"/netward-[0-9]*.rpm)
	[ "$(cat "$BATS_FILE_TMPDIR/rpm.rc")" -eq 0 ] ||
		fail_with "make rpm failed:" "$(tail -30 "$BATS_FILE_TMPDIR/rpm.log")"
	[ ${#f[@]} -eq 1 ] && [ -f "${f[0]}" ] || fail_with "expected one .rpm, got: ${f[*]}"
	RPM=${f[0]}
}

fail_with() {
	printf '%s\n' "$@" >&2
	return 1
}

# File and symlink paths (no directories), one per line, sorted, after
# mapping away what differs only by each distribution's convention:
#  - Debian bookworm keeps systemd units and presets in /lib/systemd,
#    Fedora in /usr/lib/systemd;
#  - the licence is /usr/share/doc/netward/copyright (DEP-5, pointing at
#    /usr/share/common-licenses/Apache-2.0) in the .deb and
#    /usr/share/licenses/netward/LICENSE in the .rpm;
#  - the .deb carries changelog.gz in its docs, the .rpm its %changelog in
#    the header;
#  - the .rpm carries /usr/lib/.build-id links, the .deb puts build ids in
#    its -dbgsym package.
normalise() {
	sed -e 's|^\./|/|' \
		-e 's|^/lib/systemd/|/usr/lib/systemd/|' \
		-e 's|^/usr/share/doc/netward/copyright$|(licence)|' \
		-e 's|^/usr/share/licenses/netward/LICENSE$|(licence)|' |
		grep -v -e '^/usr/lib/\.build-id/' -e '^/usr/share/doc/netward/changelog\.gz$' |
		LC_ALL=C sort
}

deb_paths() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $6 }' | normalise; }
rpm_paths() {
	rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$1" 2>/dev/null |
		awk '$1 !~ /^d/ { print $2 }' | normalise
}
cpio_paths() { rpm2cpio "$1" | cpio -itv --quiet 2>/dev/null | awk '$1 !~ /^d/ { print $9 }' | normalise; }

# --- building -------------------------------------------------------------

@test "make deb builds dist/netward_VERSION_ARCH.deb" {
	deb_file
	[[ "$DEB" == */netward_"$(cat "$ROOT/VERSION")"_*.deb ]]
	dpkg-deb --info "$DEB" >/dev/null
}

@test "make rpm builds dist/netward-VERSION-RELEASE.ARCH.rpm" {
	command -v rpmbuild >/dev/null || skip "rpmbuild is not installed (apt-get install rpm)"
	rpm_file
	[[ "$RPM" == */netward-"$(cat "$ROOT/VERSION")"-*.rpm ]]
	rpm -qp "$RPM" >/dev/null 2>&1
}

@test "the .rpm holds the same files as the .deb" {
	command -v rpmbuild >/dev/null || skip "rpmbuild is not installed (apt-get install rpm)"
	command -v rpm2cpio >/dev/null && command -v cpio >/dev/null ||
		skip "rpm2cpio or cpio is not installed"
	deb_file
	rpm_file
	deb_paths "$DEB" >"$BATS_TEST_TMPDIR/deb"
	rpm_paths "$RPM" >"$BATS_TEST_TMPDIR/rpm"
	cpio_paths "$RPM" >"$BATS_TEST_TMPDIR/cpio"
	# The set is what the packaging promises, not an empty match.
	for p in /usr/libexec/oci/hooks.d/netward /usr/bin/netward /etc/netward/netward.json \
		/usr/bin/netward-runc /usr/share/man/man8/netward-runc.8.gz \
		/usr/share/containers/oci/hooks.d/50-netward-precreate.json \
		/usr/share/containers/oci/hooks.d/50-netward-createruntime.json \
		/usr/share/containers/oci/hooks.d/50-netward-poststop.json \
		/usr/lib/systemd/system/netward-gc.service /usr/lib/systemd/system/netward-gc.timer \
		/usr/lib/tmpfiles.d/netward.conf /usr/share/man/man8/netward.8.gz \
		/usr/share/man/man5/netward.json.5.gz /usr/share/doc/netward/README.md \
		/usr/share/doc/netward/examples/http-packages.json \
		/usr/share/doc/netward/examples/internal-mirror.json \
		/usr/share/doc/netward/examples/full-lan-closed.json \
		/usr/share/bash-completion/completions/netward \
		/usr/lib/firewalld/zones/netward.xml '(licence)'; do
		grep -qxF -- "$p" "$BATS_TEST_TMPDIR/deb" || fail_with "the .deb lacks $p"
	done
	run diff -u "$BATS_TEST_TMPDIR/deb" "$BATS_TEST_TMPDIR/rpm"
	[ "$status" -eq 0 ] || fail_with "rpm -qlp differs from dpkg-deb -c:" "$output"
	run diff -u "$BATS_TEST_TMPDIR/deb" "$BATS_TEST_TMPDIR/cpio"
	[ "$status" -eq 0 ] || fail_with "rpm2cpio | cpio -t differs from dpkg-deb -c:" "$output"
}

@test "both packages treat /etc/netward/netward.json as a kept config file" {
	command -v rpmbuild >/dev/null || skip "rpmbuild is not installed (apt-get install rpm)"
	deb_file
	rpm_file
	run dpkg-deb -I "$DEB" conffiles
	[ "$status" -eq 0 ]
	[ "$output" = /etc/netward/netward.json ]
	run rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$RPM"
	[[ "$output" == *"cn /etc/netward/netward.json"* ]] ||
		fail_with "not %config(noreplace) in the .rpm:" "$output"
	# The packaged default is the narrowest policy.
	dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./etc/netward/netward.json >"$BATS_TEST_TMPDIR/conf"
	[ "$(tr -d ' \n' <"$BATS_TEST_TMPDIR/conf")" = '{"allowed_modes":["none"]}' ]
}

@test "lintian reports no errors on the .deb" {
	command -v lintian >/dev/null || skip "lintian is not installed"
	deb_file
	run lintian "$DEB"
	local warnings
	warnings=$(printf '%s\n' "$output" | grep -E '^W: ' || true)
	[ -z "$warnings" ] || printf '# lintian: %s\n' "$warnings" >&3
	if printf '%s\n' "$output" | grep -qE '^E: '; then
		fail_with "lintian errors:" "$output"
	fi
}

@test "the man pages render without groff warnings" {
	for m in "$ROOT"/packaging/man/netward.8 "$ROOT"/packaging/man/netward.json.5 \
		"$ROOT"/packaging/man/netward-runc.8; do
		run env LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$m"
		[ "$status" -eq 0 ] && [ -z "$output" ] || fail_with "$m:" "$output"
	done
}

# --- the installed .deb ---------------------------------------------------

# Installs the .deb on this host. /etc/netward is saved first and put back
# by teardown after the purge.
install_deb() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (installs the .deb)"
	command -v dpkg >/dev/null || skip "dpkg is not installed"
	if dpkg-query -W -f='${db:Status-Status}' netward 2>/dev/null | grep -qx installed; then
		skip "netward is already installed as a package here; these tests install and purge it (dpkg -P netward to run them)"
	fi
	deb_file
	if [ -e /etc/netward ]; then
		cp -a /etc/netward "$BATS_TEST_TMPDIR/etc-netward.saved"
		rm -f "$NODE_CONF"
	fi
	INSTALLED=1
	run env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB"
	[ "$status" -eq 0 ] || fail_with "dpkg -i failed:" "$output"
}

need_podman() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (podman with netward's hooks)"
	command -v podman >/dev/null || skip "podman is not installed"
}

# A local image: no registry. Its /usr (and so /bin, /lib) is the host's,
# mounted read-only by RUN_OPTS, which gives the job curl and a shell.
make_image() {
	podman image exists "$IMAGE" && return 0
	local d=$BATS_TEST_TMPDIR/rootfs
	mkdir -p "$d"/{usr,etc,tmp,proc,sys,dev,run}
	ln -s usr/bin "$d/bin"
	ln -s usr/sbin "$d/sbin"
	ln -s usr/lib "$d/lib"
	ln -s usr/lib64 "$d/lib64"
	echo 'root:x:0:0:root:/:/bin/sh' >"$d/etc/passwd"
	echo 'root:x:0:' >"$d/etc/group"
	tar -C "$d" -cf "$BATS_TEST_TMPDIR/rootfs.tar" .
	podman import -q "$BATS_TEST_TMPDIR/rootfs.tar" "$IMAGE" >/dev/null
}

testnet_up() {
	run "$ROOT/tests/lib/testnet.sh" up
	[ "$status" -eq 0 ] || fail_with "testnet.sh up failed:" "$output"
	TESTNET=1
	eval "$("$ROOT/tests/lib/testnet.sh" env)"
}

teardown() {
	if [ -n "${TESTNET:-}" ]; then
		"$ROOT/tests/lib/testnet.sh" down >/dev/null 2>&1 || true
	fi
	local c
	for c in ${CONTAINERS:-}; do
		podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
	done
	if [ -n "${INSTALLED:-}" ]; then
		# A test that failed with a job running must not leave the package.
		DEBIAN_FRONTEND=noninteractive NETWARD_REMOVE_JOBS=1 dpkg -P netward >/dev/null 2>&1 ||
			true
		if [ -d "$BATS_TEST_TMPDIR/etc-netward.saved" ]; then
			rm -rf /etc/netward
			cp -a "$BATS_TEST_TMPDIR/etc-netward.saved" /etc/netward
		fi
	fi
}

@test "installed .deb: the binary runs and accepts its default and example configs" {
	install_deb
	run /usr/bin/netward --version
	[ "$status" -eq 0 ]
	[ "$output" = "netward $(cat "$ROOT/VERSION")" ]
	run netward check-config
	[ "$status" -eq 0 ] || fail_with "$output"
	# The examples are templates: they fail, naming each placeholder.
	for f in /usr/share/doc/netward/examples/*.json; do
		run netward check-config "$f"
		[ "$status" -eq 1 ] && [[ "$output" == *placeholder* ]] || fail_with "$f:" "$output"
	done
	# Completion is where bash-completion looks for it.
	run bash -c '. /usr/share/bash-completion/completions/netward
		COMP_WORDS=(netward check); COMP_CWORD=1; _netward; echo "${COMPREPLY[*]}"'
	[ "$output" = check-config ] || fail_with "completion:" "$output"
	for f in precreate createruntime poststop; do
		python3 -m json.tool "/usr/share/containers/oci/hooks.d/50-netward-$f.json" >/dev/null
	done
	[ "$(stat -c %a /etc/netward/netward.json)" = 644 ]
	man -w netward >/dev/null
	man -w 5 netward.json >/dev/null
}

@test "installed .deb: podman runs an http job through hooks.d, filtered by domain" {
	need_podman
	install_deb
	make_image
	testnet_up
	cat >"$NODE_CONF" <<-EOF
		{"allowed_modes": ["none", "http"],
		 "dns_servers": ["$TESTNET_DNS"],
		 "allow_private_destinations": ["198.18.0.0/15"]}
	EOF
	run podman run "${RUN_OPTS[@]}" -v "$TESTNET_CA:/ca.pem:ro" \
		--annotation io.netward.network=http --annotation io.netward.domains=www.test \
		"$IMAGE" sh -c '
			echo "proxy=$http_proxy"
			curl -sS -m 20 http://www.test/
			curl -sS -m 20 --cacert /ca.pem https://www.test/
			echo "other=$(curl -s -o /dev/null -w "%{http_code}" -m 20 http://other.test/)"
			echo "direct=$(curl --noproxy "*" -s -m 5 -o /dev/null -w "%{http_code}" http://'"$TESTNET_WWW"'/)"
			echo "ifs=$(ls /sys/class/net | tr "\n" " ")"'
	printf '# %s\n' "${lines[@]}" >&3
	[ "$status" -eq 0 ] || fail_with "podman run exited $status:" "$output"
	[[ "$output" == *"proxy=http://"* ]]
	[ "$(printf '%s\n' "$output" | grep -c '^hello from www.test$')" -eq 2 ]
	[[ "$output" == *"other=403"* ]]
	# A direct connection is intercepted: the proxy refuses the IP literal.
	[[ "$output" == *"direct=403"* ]]
	# Nothing of the job is left once it is gone.
	run netward status --json
	[ "$status" -eq 0 ]
	[[ "$output" != *www.test* ]] || fail_with "a job is still listed:" "$output"
}

@test "installed .deb: the default config refuses full, and podman shows netward's reason" {
	need_podman
	install_deb
	make_image
	run podman run "${RUN_OPTS[@]}" --annotation io.netward.network=full "$IMAGE" true
	[ "$status" -ne 0 ] || fail_with "a full job ran on a node that allows only none"
	[[ "$output" == *"allowed_modes"* ]] ||
		fail_with "podman's error does not carry netward's reason:" "$output"
	# Mode none, which the default allows, runs with loopback only.
	run podman run "${RUN_OPTS[@]}" --annotation io.netward.network=none "$IMAGE" \
		ls /sys/class/net
	[ "$status" -eq 0 ] || fail_with "a none job was refused:" "$output"
	[ "$output" = lo ]
}

@test "dpkg -r and -P remove netward cleanly, and podman runs containers as before" {
	need_podman
	install_deb
	make_image
	run env DEBIAN_FRONTEND=noninteractive dpkg -r netward
	[ "$status" -eq 0 ] || fail_with "dpkg -r failed:" "$output"
	[[ "$output" != *warning* ]] || fail_with "dpkg -r warned:" "$output"
	for f in /usr/libexec/oci/hooks.d/netward /usr/bin/netward /usr/bin/netward-runc \
		/usr/share/containers/oci/hooks.d/50-netward-precreate.json \
		/usr/share/containers/oci/hooks.d/50-netward-createruntime.json \
		/usr/share/containers/oci/hooks.d/50-netward-poststop.json \
		/usr/share/man/man8/netward.8.gz; do
		[ ! -e "$f" ] && [ ! -L "$f" ] || fail_with "$f survived dpkg -r"
	done
	[ -f "$NODE_CONF" ] # a removed package keeps its config
	run env DEBIAN_FRONTEND=noninteractive dpkg -P netward
	[ "$status" -eq 0 ] || fail_with "dpkg -P failed:" "$output"
	[[ "$output" != *warning* ]] || fail_with "dpkg -P warned:" "$output"
	[ ! -e "$NODE_CONF" ]
	[ ! -e /etc/netward ]
	run dpkg-query -W -f='${db:Status-Status}' netward
	[ "$output" != installed ]
	[ "$output" != config-files ]
	run podman run "${RUN_OPTS[@]}" "$IMAGE" true
	[ "$status" -eq 0 ] || fail_with "podman failed after removal:" "$output"
	run podman run "${RUN_OPTS[@]}" --annotation io.netward.network=full "$IMAGE" true
	[ "$status" -eq 0 ] || fail_with "an annotated container failed after removal:" "$output"
}

# --- upgrade and removal with jobs running -------------------------------

# A copy of the .deb that says it is one version newer, for the upgrade.
newer_deb() {
	local d=$BATS_TEST_TMPDIR/newer v
	rm -rf "$d"
	dpkg-deb -R "$DEB" "$d"
	v=$(sed -n 's/^Version: //p' "$d/DEBIAN/control")
	sed -i "s/^Version: .*/Version: $v+1/" "$d/DEBIAN/control"
	dpkg-deb -b "$d" "$BATS_TEST_TMPDIR/netward_newer.deb" >/dev/null
	echo "$BATS_TEST_TMPDIR/netward_newer.deb"
}

# What netward left on the node: its table, its links, its state.
netward_leftovers() {
	nft list table inet netward >/dev/null 2>&1 && echo "table inet netward"
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^nw[0-9a-f]{13}$' |
		sed 's/^/link /'
	[ -e /run/netward ] && echo "/run/netward: $(ls -A /run/netward | tr '\n' ' ')"
	true
}

# podman exec does not see the environment precreate added: name the
# job's proxy (the gateway and the default proxy_port).
JOB_PROXY=http://169.254.1.1:3128

http_config() {
	cat >"$NODE_CONF" <<-EOF
		{"allowed_modes": ["none", "http"],
		 "dns_servers": ["$TESTNET_DNS"],
		 "allow_private_destinations": ["198.18.0.0/15"]}
	EOF
}

@test "an upgrade while an http job runs keeps the job working, and the new build tears it down" {
	need_podman
	install_deb
	make_image
	testnet_up
	http_config
	local c newer
	c=$(podman run -d "${RUN_OPTS[@]}" --annotation io.netward.network=http \
		--annotation io.netward.domains=www.test "$IMAGE" sleep 300)
	CONTAINERS=$c
	run podman exec "$c" curl -sS -m 20 -x "$JOB_PROXY" http://www.test/
	[ "$output" = "hello from www.test" ] || fail_with "before the upgrade:" "$output"
	newer=$(newer_deb)
	run env DEBIAN_FRONTEND=noninteractive dpkg -i "$newer"
	[ "$status" -eq 0 ] || fail_with "the upgrade failed:" "$output"
	[[ "$(dpkg-query -W -f='${Version}' netward)" == *+1 ]]
	run podman exec "$c" curl -sS -m 20 -x "$JOB_PROXY" http://www.test/
	[ "$output" = "hello from www.test" ] || fail_with "after the upgrade:" "$output"
	run netward status --json
	[[ "$output" == *www.test* ]] || fail_with "the job is no longer listed:" "$output"
	podman rm -f -t 0 "$c" >/dev/null
	run netward status --json
	[[ "$output" != *www.test* ]] || fail_with "the new build left the job:" "$output"
}

@test "dpkg -r refuses while a job runs, and once it is stopped leaves nothing of netward" {
	need_podman
	install_deb
	make_image
	testnet_up
	http_config
	local c left
	c=$(podman run -d "${RUN_OPTS[@]}" --annotation io.netward.network=http \
		--annotation io.netward.domains=www.test "$IMAGE" sleep 300)
	CONTAINERS=$c
	run env DEBIAN_FRONTEND=noninteractive dpkg -r netward
	[ "$status" -ne 0 ] || fail_with "dpkg -r removed netward under a running job"
	[[ "$output" == *"1 job(s) still use netward's network"* ]] || fail_with "$output"
	[ -x /usr/bin/netward ]
	run podman exec "$c" curl -sS -m 20 -x "$JOB_PROXY" http://www.test/
	[ "$output" = "hello from www.test" ] || fail_with "the refused removal hurt the job:" "$output"
	podman rm -f -t 0 "$c" >/dev/null
	run env DEBIAN_FRONTEND=noninteractive dpkg -r netward
	[ "$status" -eq 0 ] || fail_with "dpkg -r failed:" "$output"
	left=$(netward_leftovers)
	[ -z "$left" ] || fail_with "dpkg -r left:" "$left"
}
