#!/usr/bin/env bats
# The proxy never connects a job to the node's own addresses, even global
# ones, and learns of an address the moment the kernel has it: `netward
# proxy` in a network namespace of its own, with addresses and local routes
# added and removed under it while it runs.

NS=
setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a network namespace)"
	command -v curl >/dev/null || skip "needs curl"
	NETWARD=${NETWARD:-$BATS_TEST_DIRNAME/../../build/netward}
	NS=nwna-$$-$BATS_TEST_NUMBER
	T=$(mktemp -d /tmp/nwna.XXXXXX)
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add nwna0 type veth peer name nwna1
	ip -n "$NS" link set nwna0 up
	ip -n "$NS" link set nwna1 up
	# A global address the node does not hold yet, routed out of nwna0.
	ip -n "$NS" route add 93.184.216.0/24 dev nwna0
	cat >"$T/netward.json" <<-EOF
		{"allowed_modes": ["http"], "dns_servers": ["127.0.0.53"],
		 "http_ports": [8080], "log": "$T/access.log"}
	EOF
	ip netns exec "$NS" python3 -m http.server --bind 0.0.0.0 8080 --directory "$T" \
		>"$T/origin.log" 2>&1 &
	echo $! >"$T/origin.pid"
	ip netns exec "$NS" "$NETWARD" --config "$T/netward.json" proxy --listen 127.0.0.1:3128 \
		--domains 93.184.216.34,45.10.20.200 --job-id nodeaddr >"$T/proxy.log" 2>&1 &
	echo $! >"$T/proxy.pid"
	local i
	for i in $(seq 1 50); do
		grep -q listening "$T/proxy.log" &&
			ip netns exec "$NS" curl -s -m 1 -o /dev/null http://127.0.0.1:8080/ && return 0
		sleep 0.1
	done
	cat "$T/proxy.log" "$T/origin.log" >&2
	return 1
}

teardown() {
	[ -n "$NS" ] || return 0
	local f
	for f in proxy proxy2 origin; do
		[ -f "$T/$f.pid" ] && kill "$(cat "$T/$f.pid")" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns delete "$NS" 2>/dev/null
	rm -rf "$T"
}

# via URL: the status and the proxy's reason header.
via() {
	ip netns exec "$NS" curl -s -m 5 -o /dev/null -D - -x "${PROXY:-127.0.0.1:3128}" "$1" |
		tr -d '\r' | awk 'NR == 1 {s = $2} tolower($1) == "x-netward-reason:" {$1 = ""; r = $0}
			END {print s r}'
}

# refused ADDR: the proxy refuses http://ADDR:8080/ as an address of this
# node. allowed ADDR: no such refusal (the reply stays in $output).
refused() {
	run via "http://$1:8080/"
	echo "$output"
	[[ $output == "403 "*"$1 is an address of this node"* ]]
}
allowed() {
	run via "http://$1:8080/"
	echo "$output"
	[[ $output != *"address of this node"* ]]
}

@test "nodeaddr: an address added while the proxy runs is refused at once, and reachable once removed" {
	ip -n "$NS" addr add 93.184.216.34/32 dev nwna0
	refused 93.184.216.34
	ip -n "$NS" addr del 93.184.216.34/32 dev nwna0
	# No longer the node's: the proxy connects (nothing answers out of
	# the veth), so it is no refusal by the node rule.
	allowed 93.184.216.34
	[[ $output == 50[24]* ]]
}

@test "nodeaddr: a local route with a preferred source (AnyIP) is the node's in all its range" {
	# The kernel's per-address answer (a UDP socket's source address)
	# took 45.10.20.200 for another host here, since it answers with the
	# route's source, 127.0.0.1: the proxy connected, and the node's own
	# service on 0.0.0.0:8080 answered the job with 200.
	ip -n "$NS" route add local 45.10.20.128/25 dev lo src 127.0.0.1
	refused 45.10.20.200
	ip -n "$NS" route del local 45.10.20.128/25 dev lo src 127.0.0.1
	allowed 45.10.20.200
}

@test "nodeaddr: after more address changes than its queue holds, the proxy reads the node's addresses again" {
	local i
	# 2000 addresses added and removed while the proxy idles: far more
	# notifications than a netlink socket's queue holds (ENOBUFS), so the
	# next decision reads the whole set again, inside the sandbox.
	for i in $(seq 0 1999); do
		echo "addr add 100.$((64 + i / 250)).$((i % 250)).1/32 dev nwna0"
	done >"$T/add.batch"
	sed 's/^addr add/addr del/' "$T/add.batch" >"$T/del.batch"
	ip -n "$NS" -batch "$T/add.batch"
	ip -n "$NS" addr add 93.184.216.34/32 dev nwna0
	ip -n "$NS" -batch "$T/del.batch"
	refused 93.184.216.34
	ip -n "$NS" addr del 93.184.216.34/32 dev nwna0
	allowed 93.184.216.34
	kill -0 "$(cat "$T/proxy.pid")"
}

# The address a proxy listens on is the node's for as long as the proxy
# lives: the messages about it are kept out of its notification socket
# (a job proxy's gateway is on every job's link, and each job's setup and
# teardown would otherwise reach every proxy). Other addresses are still
# followed as they come and go.
@test "nodeaddr: the address the proxy listens on stays the node's while other links gain and lose it" {
	local i
	ip -n "$NS" addr add 45.67.89.1/32 dev nwna1
	ip netns exec "$NS" "$NETWARD" --config "$T/netward.json" proxy --listen 45.67.89.1:3129 \
		--domains 45.67.89.1,93.184.216.34 --job-id nodeaddr2 >"$T/proxy2.log" 2>&1 &
	echo $! >"$T/proxy2.pid"
	for i in $(seq 1 50); do
		grep -q listening "$T/proxy2.log" && break
		sleep 0.1
	done
	PROXY=45.67.89.1:3129
	refused 45.67.89.1
	ip -n "$NS" addr add 45.67.89.1/32 dev nwna0
	ip -n "$NS" addr del 45.67.89.1/32 dev nwna0
	refused 45.67.89.1
	ip -n "$NS" addr add 93.184.216.34/32 dev nwna0
	refused 93.184.216.34
	ip -n "$NS" addr del 93.184.216.34/32 dev nwna0
	allowed 93.184.216.34
	kill "$(cat "$T/proxy2.pid")"
}
