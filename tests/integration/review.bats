#!/usr/bin/env bats
# Attacks on netward's newest parts, each a finding that is still open:
# every test here fails until its hole is closed.
#   - netward-runc applies hooks.d on create and run only: `restore` (how
#     containerd and Docker start a container from a checkpoint) starts the
#     bundle's config.json as the engine wrote it, without netward's hooks.
#   - firewalld: netward binds the interface pattern "nw+" to its zone
#     (target ACCEPT) while it has jobs; every host interface whose name
#     starts with "nw", job or not, is then accepted from any source, though
#     netward's own table only judges its jobs' interfaces.
#   - iptables (ufw, Docker): NETWARD-INPUT/-FORWARD accept "-i nw+ -s
#     <subnet>": any host link named nw* whose peer uses a job-subnet
#     source passes the host firewall while netward has a job.

load helpers
load http_helpers
load shim_helpers

setup_file() { nw_setup_file; }
teardown_file() { nw_teardown_file; }
setup() {
	nw_ensure_testnet
	nw_setup
}
teardown() {
	nw_teardown
	if [ -n "${RV_HOSTFW:-}" ]; then rv_hostfw_restore; fi
}

# ---- netward-runc restore ----

@test "review: netward-runc restore applies netward's hooks like create and run" {
	local b fake
	shim_setup
	fake=$(fake_runtime)
	b=$(job_bundle "$(job_id restore)" http www.test -- /bin/true)
	# The same bundle through create: netward's hooks are in config.json
	# when the real runtime reads it (the shim's own behaviour, for contrast).
	cp "$b/config.json" "$NW_TMP/orig.json"
	FAKE_BUNDLE=$b run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" \
		--netward-hooks-dir "$NW_HOOKS" --netward-runtime "$fake" \
		create --bundle "$b" rv-create
	assert_success
	jq -e '.hooks.createRuntime | map(.path) | index("'"$NETWARD"'") != null' "$NW_TMP/fake.config"
	# restore, as containerd's runc shim calls it for a checkpointed task.
	cp "$NW_TMP/orig.json" "$b/config.json"
	rm -f "$NW_TMP/fake.config"
	FAKE_BUNDLE=$b run "$NETWARD_RUNC" --netward-config "$NW_CONFIG" \
		--netward-hooks-dir "$NW_HOOKS" --netward-runtime "$fake" \
		restore --image-path "$NW_TMP/ckpt" --work-path "$NW_TMP/work" --bundle "$b" --detach rv-restore
	# Either netward-runc applies the hooks (the real runtime sees them) or
	# it refuses the command; running the runtime on the unpatched config
	# starts an annotated job with the engine's network.
	if [ "$status" -eq 0 ]; then
		[ "$(sed -n 2p "$NW_TMP/fake.args")" = restore ]
		run jq -e '(.hooks.createRuntime // []) | map(.path) | index("'"$NETWARD"'") != null' \
			"$NW_TMP/fake.config"
		if [ "$status" -ne 0 ]; then
			echo "netward-runc ran 'restore' on a config.json with no netward hook:" >&2
			jq -c '.hooks // {}' "$NW_TMP/fake.config" >&2
			return 1
		fi
	else
		assert_output_has restore
	fi
}

# ---- firewalld and interfaces named nw* ----

# What hostfw.bats saves and restores, for the one firewalld test here.
rv_hostfw_save() {
	nft list ruleset >"$NW_TMP/ruleset.orig"
	sysctl -n net.ipv4.ip_forward >"$NW_TMP/ip_forward.orig"
	: >"$NW_TMP/daemons"
	RV_HOSTFW=1
}

rv_hostfw_restore() {
	local pid
	tac "$NW_TMP/daemons" 2>/dev/null | while read -r pid; do
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	if [ -f "$NW_TMP/dbus-started" ]; then
		rm -f /run/dbus/system_bus_socket /run/dbus/pid
	fi
	if [ -f "$NW_TMP/ufw-enabled" ]; then
		ufw --force disable >/dev/null 2>&1 || true
	fi
	rm -f /etc/firewalld/zones/netward.xml /etc/firewalld/zones/netward.xml.old
	ip link del nwrvtest0 2>/dev/null || true
	nft flush ruleset
	nft -f "$NW_TMP/ruleset.orig"
	sysctl -qw net.ipv4.ip_forward="$(cat "$NW_TMP/ip_forward.orig")"
}

rv_wait_for() {
	local what=$1 _
	shift
	for _ in $(seq 150); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "$what did not come up" >&2
	return 1
}

rv_system_bus() {
	dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.ListNames >/dev/null 2>&1
}

rv_start_firewalld() {
	command -v firewalld >/dev/null || skip "firewalld is not installed (tests/deps.sh installs it)"
	if ! rv_system_bus; then
		mkdir -p /run/dbus
		rm -f /run/dbus/system_bus_socket /run/dbus/pid
		dbus-daemon --system --fork --print-pid >"$NW_TMP/dbus.pid" 3>&-
		cat "$NW_TMP/dbus.pid" >>"$NW_TMP/daemons"
		touch "$NW_TMP/dbus-started"
		rv_wait_for "the system bus" rv_system_bus
	fi
	mkdir -p /etc/firewalld/zones
	cp "$NW_ROOT/packaging/firewalld/netward.xml" /etc/firewalld/zones/netward.xml
	firewalld --nofork --nopid --log-target=file --log-file "$NW_TMP/firewalld.log" 3>&- &
	echo $! >>"$NW_TMP/daemons"
	rv_wait_for firewalld firewall-cmd --state
	rv_wait_for "firewalld's table" nft list table inet firewalld
}

# rv_probe NS PORT: an HTTP request from the other end of nwrvtest0 to the
# host's listener; prints the status code, 000 when refused or dropped.
rv_probe() {
	ip netns exec "$1" curl --noproxy '*' -sS -m 3 -o /dev/null -w '%{http_code}' \
		"http://10.254.77.1:$2/" 2>/dev/null || true
}

@test "review: firewalld: while a job runs, a host interface named nw* that is no job's is not accepted" {
	local ns=nwt-rv-$$ port id b
	ip link show nwrvtest0 >/dev/null 2>&1 && skip "a link nwrvtest0 exists already"
	rv_hostfw_save
	# Another link of the host's (a VPN, a bridge, a lab network) that
	# happens to be named nw...; nothing of netward's.
	test_netns "$ns"
	ip link add nwrvtest0 type veth peer name rvpeer netns "$ns"
	ip addr add 10.254.77.1/30 dev nwrvtest0
	ip link set nwrvtest0 up
	ip -n "$ns" addr add 10.254.77.2/30 dev rvpeer
	ip -n "$ns" link set rvpeer up
	ip -n "$ns" link set lo up
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	ip route get 10.254.77.2 | grep -q 'dev nwrvtest0' || skip "10.254.77.0/30 is routed elsewhere on this node"
	# Without a firewall the link reaches the port; firewalld's default
	# zone then keeps it off.
	[ "$(rv_probe "$ns" "$port")" = 200 ] || skip "the host's port $port is not reachable from nwrvtest0 even without firewalld"
	rv_start_firewalld
	[ "$(rv_probe "$ns" "$port")" = 000 ] || skip "firewalld's default zone accepts port $port here"
	# A job starts: netward binds "nw+" to its zone.
	id=$(job_id fwd)
	b=$(http_bundle "$id" www.test 'echo STARTED; exec sleep 60')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/job.out"
	wait_for_text "$NW_TMP/job.out" STARTED
	firewall-cmd --zone=netward --list-interfaces | grep -qF "nw+"
	run rv_probe "$ns" "$port"
	# The job still runs (and the binding is its) when the probe is answered.
	runc state "$id" | jq -e '.status == "running"' >/dev/null
	kill_job "$id"
	if [ "$output" != 000 ]; then
		echo "while a job ran, the non-job link nwrvtest0 reached the host's port $port (HTTP $output)" >&2
		firewall-cmd --get-zone-of-interface=nwrvtest0 >&2 || true
		return 1
	fi
}

# rv_link NS: the non-job link nwrvtest0 (host 10.254.77.1) to a namespace
# at 10.254.77.2; skips when the node routes that range elsewhere.
rv_link() {
	local ns=$1
	ip link show nwrvtest0 >/dev/null 2>&1 && skip "a link nwrvtest0 exists already"
	test_netns "$ns"
	ip link add nwrvtest0 type veth peer name rvpeer netns "$ns"
	ip addr add 10.254.77.1/30 dev nwrvtest0
	ip link set nwrvtest0 up
	ip -n "$ns" addr add 10.254.77.2/30 dev rvpeer
	ip -n "$ns" link set rvpeer up
	ip -n "$ns" link set lo up
	ip route get 10.254.77.2 | grep -q 'dev nwrvtest0' || skip "10.254.77.0/30 is routed elsewhere on this node"
}

@test "review: ufw: while a job runs, a host link named nw* that is no job's does not pass INPUT with a job-subnet source" {
	local ns=nwt-rv-$$ port id b src=${NW_SUBNET_PREFIX}250.2
	command -v ufw >/dev/null || skip "ufw is not installed (tests/deps.sh installs it)"
	rv_hostfw_save
	rv_link "$ns"
	# Something on that link uses an address of the job subnet (no job has
	# it); the host routes it back through the link.
	ip -n "$ns" addr add "$src/32" dev rvpeer
	ip route add "$src/32" dev nwrvtest0
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	probe() {
		ip netns exec "$ns" curl --noproxy '*' -sS -m 3 --interface "$src" -o /dev/null \
			-w '%{http_code}' "http://10.254.77.1:$port/" 2>/dev/null || true
	}
	[ "$(probe)" = 200 ] || skip "port $port is not reachable from nwrvtest0 even without ufw"
	touch "$NW_TMP/ufw-enabled"
	ufw --force enable >/dev/null
	[ "$(probe)" = 000 ] || skip "ufw's default policy accepts port $port here"
	id=$(job_id ufw)
	b=$(http_bundle "$id" www.test 'echo STARTED; exec sleep 60')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/job.out"
	wait_for_text "$NW_TMP/job.out" STARTED
	run probe
	runc state "$id" | jq -e '.status == "running"' >/dev/null
	kill_job "$id"
	if [ "$output" != 000 ]; then
		echo "while a job ran, $src on the non-job link nwrvtest0 reached the host's port $port (HTTP $output)" >&2
		iptables -S NETWARD-INPUT >&2 || true
		return 1
	fi
}
