#!/usr/bin/env bats
# netward on a node with its own firewall: Docker (iptables FORWARD policy
# DROP, nft and legacy backends), ufw (default deny incoming), firewalld
# (default zone), and an nftables table netward does not know. For each, a
# none, an http and a full job run as on a bare node; afterwards the host
# firewall's tables are exactly as they were before the jobs (netward's
# additions gone, nothing else touched). A table netward cannot open makes
# it refuse the job, naming the table and the fix. Every test restores the
# host: daemons stopped, ufw disabled, nftables and iptables-legacy
# rulesets, links and sysctls as they were.

load helpers
load http_helpers

FETCH='f() { if wget -q -T 3 -t 1 -O - "$1"; then :; else echo "UNREACHABLE $1"; fi; }'

setup_file() { nw_setup_file; }
teardown_file() { nw_teardown_file; }
setup() {
	nw_ensure_testnet
	nw_setup
	hostfw_save
}
teardown() {
	nw_teardown
	hostfw_restore
}

# ---- saving and restoring the host ----

hostfw_save() {
	nft list ruleset >"$NW_TMP/ruleset.orig"
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
	nft flush ruleset
	nft -f "$NW_TMP/ruleset.orig"
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

wait_for() {
	local what=$1 i
	shift
	for i in $(seq 150); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "$what did not come up" >&2
	return 1
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

# ---- the jobs ----

job_none() {
	local id b
	id=$(job_id none)
	b=$(job_bundle "$id" none -- /bin/sh -c "$FETCH"'
		echo "links: $(ip -o link | wc -l)"
		f http://198.18.0.10/')
	run run_job "$b" "$id"
	assert_success
	assert_output_has "links: 1"
	assert_output_has "UNREACHABLE http://198.18.0.10/"
	assert_clean "$id"
}

job_http() {
	local id b
	id=$(job_id http)
	b=$(http_bundle "$id" www.test 'r http://www.test/; r https://www.test/; r http://198.18.0.10/; reach 198.18.0.10 80')
	run run_job "$b" "$id"
	assert_success
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT https://www.test/ 200 " "hello from www.test"
	assert_line_has "RESULT http://198.18.0.10/ 403 " ""
	assert_output_has "REACH 198.18.0.10:80 closed"
	assert_clean "$id"
}

job_full() {
	local id b
	id=$(job_id full)
	b=$(job_bundle "$id" full -- /bin/sh -c "$FETCH"'
		f http://www.test/
		f http://198.18.0.10/
		f http://169.254.1.1:3128/')
	run run_job "$b" "$id"
	assert_success
	[ "$(grep -c '^hello from www.test$' <<<"$output")" -eq 2 ] || {
		printf '%s\n' "$output" >&2
		false
	}
	assert_output_has "UNREACHABLE http://169.254.1.1:3128/"
	assert_clean "$id"
}

# firewalld makes a zone's chains the first time the zone is used and
# keeps them, empty and reached by no rule, after netward unbinds its
# interfaces; they are left out (with blank lines), and no rule may still
# name netward's interfaces.
without_zone_chains() {
	awk '/^$/ { next }
		/^\tchain [a-zA-Z_]*_netward[a-z_]* \{$/ { skip = 1; next }
		skip { if ($0 == "\t}") skip = 0; next }
		{ print }'
}

# The three modes, then the firewall's tables as they were before them.
all_modes_leave_firewall_as_found() {
	local before
	before=$(foreign_tables | without_zone_chains)
	job_none
	job_http
	job_full
	run foreign_tables
	assert_output_lacks '"nw*"'
	assert_output_lacks 'nw+'
	run diff <(printf '%s\n' "$before") <(foreign_tables | without_zone_chains)
	if [ "$status" -ne 0 ]; then
		echo "the host firewall's tables changed:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_success
	assert_output_lacks "drops the jobs' traffic (policy drop); http jobs are refused"
}

@test "hostfw: Docker (iptables-nft, FORWARD policy DROP): none, http and full jobs work" {
	start_dockerd
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "table ip filter, chain FORWARD (hook forward): drops the jobs' traffic (policy drop); netward opens it at job setup"
	all_modes_leave_firewall_as_found
}

@test "hostfw: Docker on iptables-legacy (FORWARD policy DROP): none, http and full jobs work" {
	local bin=$NW_TMP/legacy-bin t
	iptables-legacy -w 5 -t filter -L -n >/dev/null 2>&1 ||
		skip "this kernel has no legacy iptables (ip_tables module)"
	mkdir -p "$bin"
	for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
		ln -sf "/usr/sbin/${t/iptables/iptables-legacy}" "$bin/$t"
	done
	touch "$NW_TMP/legacy-used"
	start_dockerd "$bin"
	iptables-legacy -S FORWARD | grep -qx -- '-P FORWARD DROP'
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "iptables-legacy: filter table, INPUT or FORWARD policy DROP; netward opens it at job setup"
	all_modes_leave_firewall_as_found
}

@test "hostfw: ufw (default deny incoming and routed): none, http and full jobs work" {
	start_ufw
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "table ip filter, chain INPUT (hook input): drops the jobs' traffic"
	all_modes_leave_firewall_as_found
}

@test "hostfw: firewalld (default zone): none, http and full jobs work" {
	start_firewalld
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "firewalld: table inet firewalld, chain filter_INPUT (hook input): drops the jobs' traffic"
	all_modes_leave_firewall_as_found
	# The binding netward made is gone with its last job.
	run firewall-cmd --zone=netward --list-interfaces
	assert_output_lacks "nw+"
}

@test "hostfw: without netward's zone file firewalld jobs are refused naming the fix" {
	local id b
	start_firewalld
	rm /etc/firewalld/zones/netward.xml
	firewall-cmd --reload >/dev/null
	id=$(job_id nozone)
	b=$(job_bundle "$id" full -- /bin/sh -c 'echo RAN')
	run run_job "$b" "$id"
	assert_refused "$id" 'firewalld has no zone'
	grep -qF 'firewalld has no zone "netward": install netward'"'"'s zone file as /usr/lib/firewalld/zones/netward.xml' "$NW_LOG"
	assert_output_lacks RAN
}

@test "hostfw: an nftables table that drops the jobs' traffic refuses them, naming it and the fix" {
	local id b before
	nft -f - <<-'EOF'
		table inet nwt_hostile {
			chain input { type filter hook input priority 0; policy drop; iifname "lo" accept; ct state established,related accept; tcp dport 22 accept; }
			chain forward { type filter hook forward priority 0; counter; reject; }
		}
	EOF
	before=$(foreign_tables)
	id=$(job_id hostile-http)
	b=$(http_bundle "$id" www.test 'echo RAN')
	run run_job "$b" "$id"
	assert_refused "$id" 'the host firewall would drop this http job'"'"'s traffic: nftables, table inet nwt_hostile, chain input (hook input): policy drop; open it for netward'"'"'s interfaces: nft insert rule inet nwt_hostile input iifname'
	grep -qF 'nft insert rule inet nwt_hostile input iifname "nw*" ip saddr 10.213.0.0/16 accept' "$NW_LOG"
	assert_output_lacks RAN
	id=$(job_id hostile-full)
	b=$(job_bundle "$id" full -- /bin/sh -c 'echo RAN')
	run run_job "$b" "$id"
	assert_refused "$id" "chain forward (hook forward): rule reject in chain forward"
	assert_output_lacks RAN
	run "$NETWARD" --config "$NW_CONFIG" status
	assert_output_has "chain input (hook input): drops the jobs' traffic (policy drop); http jobs are refused until you open it"
	[ "$before" = "$(foreign_tables)" ]
	# The fix the message names is enough.
	nft insert rule inet nwt_hostile input iifname '"nw*"' ip saddr 10.213.0.0/16 accept
	nft insert rule inet nwt_hostile forward iifname '"nw*"' ip saddr 10.213.0.0/16 accept
	nft insert rule inet nwt_hostile forward oifname '"nw*"' ip daddr 10.213.0.0/16 accept
	job_http
	job_full
}

@test "hostfw: a job that died without its teardown: gc removes what netward added to Docker's table" {
	local id b mon before
	start_dockerd
	before=$(foreign_tables)
	id=$(job_id gc)
	b=$(job_bundle "$id" full -- /bin/sh -c 'sleep 300')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/out"
	iptables -S NETWARD-FORWARD | grep -q -- '-s 10.213.0.0/16 -i nw+'
	iptables -S DOCKER-USER | grep -q -- '-j NETWARD-FORWARD'
	# No monitor, no poststop: nothing tears the job down but gc.
	mon=$(job_state_field "$id" monitor_pid)
	[ "$mon" -gt 0 ]
	kill -KILL "$mon"
	kill_job "$id"
	iptables -S NETWARD-FORWARD >/dev/null
	run "$NETWARD" --config "$NW_CONFIG" gc
	assert_success
	run iptables -S NETWARD-FORWARD
	[ "$status" -ne 0 ]
	[ "$before" = "$(foreign_tables)" ]
	runc delete --force "$id"
	assert_clean "$id"
}
