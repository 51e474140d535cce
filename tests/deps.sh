#!/bin/bash
# Installs, with apt-get, whatever building, testing and the demo need and
# this machine lacks. Quiet when everything is there.
set -euo pipefail
pkgs=(build-essential pkg-config clang llvm
      libseccomp-dev libcap-dev libyajl-dev libnl-3-dev libnl-route-3-dev
      libnftables-dev libc-ares-dev
      runc podman nftables iproute2 dnsmasq-base nginx-light busybox-static
      curl wget python3 openssl jq bats procps psmisc valgrind strace apache2-utils
      debhelper dpkg-dev fakeroot lintian rpm cpio
      docker.io ufw firewalld iptables dbus containerd crun
      clang-format libclang-rt-dev python3-prometheus-client
      nodejs bind9-dnsutils squid tinyproxy)
# clang-format: `make check` starts with make format-check. libclang-rt-dev:
# clang's libFuzzer runtime for make fuzz-check (clang only recommends it).
# python3-prometheus-client: the metrics tests parse with a real Prometheus
# text parser. nodejs, bind9-dnsutils (dig, nslookup): clients that ignore
# the proxy, and the job's DNS, in the interception tests and make demo.
# squid, tinyproxy: make bench measures the proxy beside them (their
# services are not started at install, as below).
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "netward: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "netward: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The host firewalls (docker.io, ufw, firewalld) are for tests/integration/
# hostfw.bats, which starts and stops them itself: their packages must not
# start them at install, or every other suite would run behind them.
no_start=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	no_start=1
fi
rc=0
apt-get install -y -qq "${missing[@]}" >/dev/null || rc=$?
[ -z "$no_start" ] || rm -f /usr/sbin/policy-rc.d
exit "$rc"
