#!/usr/bin/env bats
# Side paths past netward's setup, each tried for real:
#   - netward-runc's `restore` (how containerd and Docker start a container
#     from a checkpoint) runs the bundle with netward's hooks, as create and
#     run do, never on the config.json as the engine wrote it.
#   - firewalld: netward binds each job's own host interface to its zone
#     (target ACCEPT), so another host link merely named nw... keeps the
#     zone it had while jobs run.
#   - iptables (ufw, Docker): NETWARD-INPUT/-FORWARD match netward's
#     interface group as well as the name, so a host link named nw... whose
#     peer uses a job-subnet source is neither routed past the host
#     firewall nor let in to the host's services (the latter the guard's
#     XFRM policy also stops).

load helpers
load http_helpers
load hostfw_helpers
load shim_helpers

nw_suite testnet
teardown() {
	nw_teardown
	if [ -n "${SP_HOSTFW:-}" ]; then
		ip link del nwrvtest0 2>/dev/null || true
		hostfw_restore
	fi
}

# ---- netward-runc restore ----

@test "sidepaths: netward-runc restore applies netward's hooks like create and run" {
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

# sp_probe NS PORT: an HTTP request from the other end of nwrvtest0 to the
# host's listener; prints the status code, 000 when refused or dropped.
sp_probe() {
	ip netns exec "$1" curl --noproxy '*' -sS -m 3 -o /dev/null -w '%{http_code}' \
		"http://10.254.77.1:$2/" 2>/dev/null || true
}

@test "sidepaths: firewalld: while a job runs, a host interface named nw* that is no job's is not accepted" {
	local ns=nwt-rv-$$ port id b
	ip link show nwrvtest0 >/dev/null 2>&1 && skip "a link nwrvtest0 exists already"
	hostfw_save
	SP_HOSTFW=1
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
	[ "$(sp_probe "$ns" "$port")" = 200 ] || skip "the host's port $port is not reachable from nwrvtest0 even without firewalld"
	start_firewalld
	[ "$(sp_probe "$ns" "$port")" = 000 ] || skip "firewalld's default zone accepts port $port here"
	# A job starts: netward binds its interface, and only that, to its zone.
	id=$(job_id fwd)
	b=$(http_bundle "$id" www.test 'echo STARTED; exec sleep 60')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/job.out"
	wait_for_text "$NW_TMP/job.out" STARTED
	[ "$(firewall-cmd --zone=netward --list-interfaces)" = "$(job_state_field "$id" host_if)" ]
	run sp_probe "$ns" "$port"
	# The job still runs (and the binding is its) when the probe is answered.
	runc state "$id" | jq -e '.status == "running"' >/dev/null
	kill_job "$id"
	if [ "$output" != 000 ]; then
		echo "while a job ran, the non-job link nwrvtest0 reached the host's port $port (HTTP $output)" >&2
		firewall-cmd --get-zone-of-interface=nwrvtest0 >&2 || true
		return 1
	fi
}

# sp_link NS: the non-job link nwrvtest0 (host 10.254.77.1) to a namespace
# at 10.254.77.2; skips when the node routes that range elsewhere.
sp_link() {
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

@test "sidepaths: ufw: while a job runs, a host link named nw* that is no job's does not pass INPUT with a job-subnet source" {
	local ns=nwt-rv-$$ port id b src=${NW_SUBNET_PREFIX}250.2
	command -v ufw >/dev/null || skip "ufw is not installed (tests/deps.sh installs it)"
	hostfw_save
	SP_HOSTFW=1
	sp_link "$ns"
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

# sp_udp_listener PORT FILE: a UDP receiver on the test internet (all of its
# addresses) appending each datagram's text to FILE.
sp_udp_listener() {
	ip netns exec "$TESTNET_NS" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, _ = s.recvfrom(512)
    with open(sys.argv[2], "ab") as f:
        f.write(data + b"\n")
' "$1" "$2" </dev/null >/dev/null 2>&1 3>&- &
	echo "$!" >>"$NW_TMP/pids"
}

# sp_send NS SRC PORT TEXT: datagrams from SRC in NS to the test internet.
sp_send() {
	ip netns exec "$1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(3):
    s.sendto(sys.argv[4].encode(), (sys.argv[2], int(sys.argv[3])))
    time.sleep(0.1)
' "$2" "$TESTNET_WWW" "$3" "$4"
}

@test "sidepaths: ufw: while a full job runs, a host link named nw* that is no job's is not routed past ufw with a job-subnet source" {
	local ns=nwt-sp-$$ port=$((20000 + $$ % 20000)) id b src=${NW_SUBNET_PREFIX}250.2
	local got=$NW_TMP/udp.got
	command -v ufw >/dev/null || skip "ufw is not installed (tests/deps.sh installs it)"
	hostfw_save
	SP_HOSTFW=1
	sp_link "$ns"
	ip -n "$ns" addr add "$src/32" dev rvpeer
	ip -n "$ns" route add 198.18.0.0/15 via 10.254.77.1
	ip route add "$src/32" dev nwrvtest0
	: >"$got"
	sp_udp_listener "$port" "$got"
	touch "$NW_TMP/ufw-enabled"
	ufw --force enable >/dev/null
	# A full job: netward turns on forwarding and opens ufw's FORWARD
	# (default deny routed) for its own interfaces.
	id=$(job_id ufwfwd)
	b=$(job_bundle "$id" full -- /bin/sh -c 'echo STARTED; exec sleep 60')
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/job.out"
	wait_for_text "$NW_TMP/job.out" STARTED
	iptables -S NETWARD-FORWARD | grep -q -- '-j ACCEPT'
	sp_send "$ns" "$src" "$port" THROUGH-UFW
	# Then without ufw, the same datagrams must arrive, or this node does
	# not route them at all and the check above proved nothing.
	ufw --force disable >/dev/null
	sp_send "$ns" "$src" "$port" WITHOUT-UFW
	for _ in $(seq 30); do grep -q WITHOUT-UFW "$got" && break; sleep 0.1; done
	runc state "$id" | jq -e '.status == "running"' >/dev/null
	kill_job "$id"
	grep -q WITHOUT-UFW "$got" || skip "datagrams from $src on nwrvtest0 are not routed here even without ufw"
	if grep -q THROUGH-UFW "$got"; then
		echo "while a full job ran, $src on the non-job link nwrvtest0 was routed past ufw" >&2
		iptables -S NETWARD-FORWARD >&2 || true
		return 1
	fi
}
