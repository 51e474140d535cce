# shellcheck shell=bash
# Host firewalls for the suites that run them beside netward (hostfw.bats,
# sidepaths.bats): saving and restoring the node's firewall, and starting
# dockerd, ufw and firewalld (on a system bus of its own where none runs).
# Needs helpers.bash.

# ---- saving and restoring the host ----

hostfw_save() {
	nw_firewall_save "$NW_TMP"
	iptables-legacy-save >"$NW_TMP/legacy.orig" 2>/dev/null || true
	sysctl -n net.ipv4.ip_forward >"$NW_TMP/ip_forward.orig"
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort >"$NW_TMP/links.orig"
	: >"$NW_TMP/daemons"
}

hostfw_restore() {
	local pid t l
	if [ -f "$NW_TMP/ufw-enabled" ]; then
		ufw --force disable >/dev/null 2>&1 || true
	fi
	# Newest first: firewalld before its bus, dockerd before its containerd.
	tac "$NW_TMP/daemons" 2>/dev/null | while read -r pid; do
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	if [ -f "$NW_TMP/dbus-started" ]; then
		rm -f /run/dbus/system_bus_socket /run/dbus/pid
	fi
	rm -f /etc/firewalld/zones/netward.xml /etc/firewalld/zones/netward.xml.old
	nw_firewall_restore "$NW_TMP"
	if [ -f "$NW_TMP/legacy-used" ]; then
		for t in filter nat mangle raw; do
			iptables-legacy -t "$t" -F 2>/dev/null || true
			iptables-legacy -t "$t" -X 2>/dev/null || true
		done
		for c in INPUT FORWARD OUTPUT; do iptables-legacy -P "$c" ACCEPT 2>/dev/null || true; done
		iptables-legacy-restore <"$NW_TMP/legacy.orig" 2>/dev/null || true
	fi
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort >"$NW_TMP/links.now"
	for l in $(comm -13 "$NW_TMP/links.orig" "$NW_TMP/links.now"); do
		case "$l" in docker0 | veth*) ip link del "$l" 2>/dev/null || true ;; esac
	done
	sysctl -qw net.ipv4.ip_forward="$(cat "$NW_TMP/ip_forward.orig")"
}

# The rules of every other firewall, without counters, netward's own table
# left out: what must read the same before and after the jobs. iptables'
# tables as iptables-save prints them (a built-in chain iptables-nft
# created empty reads as the ACCEPT policy it is), the rest as nft does.
foreign_tables() {
	local fam name
	nft -j list tables | jq -r '.nftables[] | select(.table) | .table | "\(.family) \(.name)"' |
		while read -r fam name; do
			case "$fam $name" in
			"inet netward" | "ip filter" | "ip nat" | "ip mangle" | "ip raw" | "ip security") continue ;;
			"ip6 filter" | "ip6 nat" | "ip6 mangle" | "ip6 raw" | "ip6 security") continue ;;
			esac
			nft -s list table "$fam" "$name"
		done
	local save
	for save in iptables-nft-save ip6tables-nft-save iptables-legacy-save; do
		echo "== $save"
		"$save" 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' || true
	done
}

# ---- the daemons ----

# wait_for WHAT CMD...: until CMD succeeds, for at most 30 s.
wait_for() {
	local what=$1
	shift
	eventually 30 "$@" >/dev/null 2>&1 || {
		echo "$what did not come up" >&2
		return 1
	}
}

# start_dockerd [PATH-PREFIX]: dockerd on its own socket and data root,
# with forwarding off beforehand, so that it sets the FORWARD policy to
# DROP as it does on a node where it starts first.
start_dockerd() {
	local d=$NW_TMP/docker
	command -v dockerd >/dev/null || skip "docker.io is not installed (tests/deps.sh installs it)"
	# A second dockerd would fight the node's own over docker0 and its rules.
	if docker -H unix:///run/docker.sock info >/dev/null 2>&1; then
		skip "a dockerd already runs on this node; these tests start their own"
	fi
	mkdir -p "$d"
	sysctl -qw net.ipv4.ip_forward=0
	PATH=${1:+$1:}$PATH dockerd --data-root "$d/data" --exec-root "$d/exec" \
		-H "unix://$d/sock" --pidfile "$d/pid" --containerd-namespace nwt-docker \
		>"$d/log" 2>&1 3>&- &
	echo $! >>"$NW_TMP/daemons"
	# `docker info` answers once its networks, and their rules, are made.
	wait_for dockerd docker -H "unix://$d/sock" info || { tail -20 "$d/log" >&2; return 1; }
	wait_for "Docker's FORWARD policy" sh -c "PATH=${1:+$1:}\$PATH iptables -S FORWARD | grep -qx -- '-P FORWARD DROP'"
}

start_ufw() {
	command -v ufw >/dev/null || skip "ufw is not installed (tests/deps.sh installs it)"
	touch "$NW_TMP/ufw-enabled"
	ufw --force enable >/dev/null
	iptables -S INPUT | grep -qx -- '-P INPUT DROP'
}

system_bus() {
	dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.ListNames >/dev/null 2>&1
}

# firewalld needs a system bus; there is no systemd here, so it gets one
# of its own (when none is running) and runs in the foreground.
start_firewalld() {
	command -v firewalld >/dev/null || skip "firewalld is not installed (tests/deps.sh installs it)"
	if ! system_bus; then
		mkdir -p /run/dbus
		rm -f /run/dbus/system_bus_socket /run/dbus/pid
		dbus-daemon --system --fork --print-pid >"$NW_TMP/dbus.pid" 3>&-
		cat "$NW_TMP/dbus.pid" >>"$NW_TMP/daemons"
		touch "$NW_TMP/dbus-started"
		wait_for "the system bus" system_bus
	fi
	mkdir -p /etc/firewalld/zones
	cp "$NW_ROOT/packaging/firewalld/netward.xml" /etc/firewalld/zones/netward.xml
	firewalld --nofork --nopid --log-target=file --log-file "$NW_TMP/firewalld.log" 3>&- &
	echo $! >>"$NW_TMP/daemons"
	wait_for firewalld firewall-cmd --state
	wait_for "firewalld's table" nft list table inet firewalld
}

