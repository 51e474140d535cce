#!/usr/bin/env bats
# netward when the node changes under it: its nftables table flushed or
# deleted, its watcher stopped, a dead proxy's port taken, addresses
# handed out again, ICMP forged about other jobs' connections, ARP asked
# for the node's addresses, and full jobs facing the node's other local
# networks. Each attack comes from a real runc container; each case fails
# closed: no job ever reaches more than its mode allows.

load helpers
load http_helpers
load fwclosed_helpers

nw_suite testnet
setup() {
	fc_setup
}
teardown() {
	fc_teardown fc_links_cleanup fc_private_cleanup fc_podman_cleanup
}

@test "fwclosed: nft flush ruleset while http and full jobs run: nothing new is reached, and the table comes back with every job" {
	local port h1 f1 hif fif haddr t0 ms
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	h1=$(job_id h1)
	f1=$(job_id f1)
	fc_sleeper "$h1" http
	fc_sleeper "$f1" full
	hif=$(job_state_field "$h1" host_if)
	fif=$(job_state_field "$f1" host_if)
	haddr=$(job_state_field "$h1" addr)
	# The http job's targets have listeners (":open"): netward's firewall
	# answers what it blocks from an http job with a reset, which is no reach.
	fc_probe "$h1" "tcp:$NW_GATEWAY:$port:open" "tcp:$TESTNET_HOST_ADDR:$port:open" \
		"tcp:$TESTNET_WWW:80:open" "udp:$TESTNET_DNS:53"
	fc_probe "$f1" "tcp:$NW_GATEWAY:$port" "tcp:$TESTNET_HOST_ADDR:$port" \
		"tcp:$haddr:3128" "tcp:$NW_GATEWAY:3128"
	fc_rounds "$h1" 3
	fc_rounds "$f1" 3
	fc_save_ruleset
	t0=$(date +%s%N)
	nft flush ruleset
	fc_wait_table_with "$hif" "$fif"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# repaired in $ms ms"
	fc_restore_ruleset
	# Probes go on after the repair, then stop.
	fc_rounds_more "$h1" 5
	fc_rounds_more "$f1" 5
	fc_stop_probes
	fc_assert_never_reached "$h1"
	fc_assert_never_reached "$f1"
	# Every job is filtered again, and still has its own network.
	nft list set inet netward http_ifs | grep -qF "\"$hif\""
	nft list set inet netward full_ifs | grep -qF "\"$fif\""
	run fc_exec "$h1" 'r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	run fc_exec "$f1" "reach $TESTNET_WWW 80; reach $NW_GATEWAY $port; reach $haddr 3128"
	assert_output_has "REACH $TESTNET_WWW:80 open"
	assert_output_has "REACH $NW_GATEWAY:$port closed"
	assert_output_has "REACH $haddr:3128 closed"
	grep -q "written again with every live job" "$NW_LOG"
}

@test "fwclosed: with the watcher stopped, the guard alone keeps jobs closed while the table is gone" {
	local port h1 f1 haddr
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	h1=$(job_id h1)
	f1=$(job_id f1)
	fc_sleeper "$h1" http
	fc_sleeper "$f1" full
	haddr=$(job_state_field "$h1" addr)
	fc_table_gone
	fc_probe "$h1" "tcp:$NW_GATEWAY:$port" "tcp:$TESTNET_HOST_ADDR:$port" \
		"tcp:$TESTNET_WWW:80" "udp:$TESTNET_DNS:53" "tcp:$NW_GATEWAY:22"
	fc_probe "$f1" "tcp:$NW_GATEWAY:$port" "tcp:$TESTNET_HOST_ADDR:$port" \
		"tcp:$haddr:3128" "udp:$NW_GATEWAY:53"
	fc_rounds "$h1" 8
	fc_rounds "$f1" 8
	fc_stop_probes
	fc_assert_never_reached "$h1"
	fc_assert_never_reached "$f1"
	fc_watcher_cont
	fc_wait_table_with "$(job_state_field "$h1" host_if)" "$(job_state_field "$f1" host_if)"
}

@test "fwclosed: nft delete table inet netward, then a new job: every job is in the table again" {
	local h1 h2 port
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	h1=$(job_id h1)
	h2=$(job_id h2)
	fc_sleeper "$h1" http
	fc_watcher_stop
	nft delete table inet netward
	# The new job's install finds no table and writes it with both jobs.
	fc_sleeper "$h2" http
	nft list set inet netward http_ifs | grep -qF "\"$(job_state_field "$h1" host_if)\""
	nft list set inet netward http_ifs | grep -qF "\"$(job_state_field "$h2" host_if)\""
	fc_watcher_cont
	run fc_exec "$h1" "reach $NW_GATEWAY $port; r http://$TESTNET_WWW/ --noproxy '*' --max-time 3
		r http://www.test/"
	assert_output_has "REACH $NW_GATEWAY:$port closed"
	# Straight to the address: at most the job's own proxy (interception),
	# never the server there.
	assert_line_has "RESULT http://$TESTNET_WWW/ " ""
	if grep "^RESULT http://$TESTNET_WWW/ " <<<"$output" | grep -qF "hello from www.test"; then
		echo "the job reached $TESTNET_WWW directly" >&2
		false
	fi
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
}

@test "fwclosed: nft flush table inet netward: the watcher writes the chains again" {
	local h1 port i
	port=$(free_port)
	host_listener 0.0.0.0 "$port"
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	nft flush table inet netward
	for i in $(seq 1 30); do
		nft list chain inet netward input 2>/dev/null | grep -q 'socket mark' && break
		sleep 0.1
	done
	nft list chain inet netward input | grep -q 'socket mark'
	nft list set inet netward http_ifs | grep -qF "\"$(job_state_field "$h1" host_if)\""
	run fc_exec "$h1" "reach $NW_GATEWAY $port; r http://www.test/"
	assert_output_has "REACH $NW_GATEWAY:$port closed"
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
}

@test "fwclosed: a dead proxy's port bound by a host service on 0.0.0.0 is out of the job's reach" {
	local h1 port
	# A port of this test's own: another job's live proxy on the gateway
	# would keep a host service from binding 0.0.0.0 there.
	port=$(free_port)
	write_node_config "$NW_CONFIG" --argjson p "$port" '.proxy_port = $p'
	h1=$(job_id h1)
	fc_sleeper "$h1" http
	run fc_exec "$h1" 'r http://www.test/'
	assert_line_has "RESULT http://www.test/ 200 " "hello from www.test"
	fc_kill_proxy "$h1"
	# As squid would when it starts: every address, the proxy's port.
	host_listener 0.0.0.0 "$port"
	run fc_exec "$h1" "reach $NW_GATEWAY $port; r http://www.test/ -m 4; r http://$NW_GATEWAY:$port/ -m 4 --noproxy '*'"
	assert_output_has "REACH $NW_GATEWAY:$port closed"
	assert_line_has "RESULT http://www.test/ 000" ""
	assert_line_has "RESULT http://$NW_GATEWAY:$port/ 000" ""
}

@test "fwclosed: ARP from a job for the node's addresses gets an answer for the gateway only" {
	local h1 a addrs
	h1=$(job_id h1)
	fc_sleeper "$h1" http CAP_NET_RAW
	addrs=$(ip -4 -o addr show | awk -v gw="$NW_GATEWAY" '$2 != "lo" { sub(/\/.*/, "", $4); if ($4 != gw) print $4 }' | sort -u)
	[ -n "$addrs" ]
	run fc_exec "$h1" "for a in $NW_GATEWAY $(echo $addrs); do
		if /busybox arping -I eth0 -c 1 -w 1 \$a >/dev/null 2>&1; then echo ARP \$a answered; else echo ARP \$a silent; fi
	done"
	assert_output_has "ARP $NW_GATEWAY answered"
	for a in $addrs; do
		assert_output_has "ARP $a silent"
	done
}

@test "fwclosed: a freed address is held back, and its conntrack goes with its job: a live UDP stream reaches no later job" {
	local p a b aaddr i bdir
	# Six addresses: five placeholders and A hold them all, so before
	# the hold-back B could only get A's.
	write_node_config "$NW_CONFIG" '.subnet = "10.213.77.0/29"'
	# A UDP server on the test internet that streams to whoever writes to it.
	ip netns exec "$TESTNET_NS" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$TESTNET_DNS"'", 5599))
_, peer = s.recvfrom(100)
end = time.time() + 40
n = 0
while time.time() < end:
    s.sendto(b"STREAM %d" % n, peer)
    n += 1
    time.sleep(0.02)
' </dev/null >/dev/null 2>&1 3>&- &
	echo "$!" >>"$NW_TMP/pids"
	sleep 0.5
	a=$(job_id a)
	b=$(job_id b)
	for i in 1 2 3 4 5; do
		p=$(job_id "p$i")
		fc_sleeper "$p" full
	done
	fc_sleeper "$a" full
	aaddr=$(job_state_field "$a" addr)
	run fc_exec "$a" "python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((\"\", 40000))
s.settimeout(3)
s.sendto(b\"hi\", (\"$TESTNET_DNS\", 5599))
print(\"GOT\", s.recv(100).decode())
'"
	assert_output_has "GOT STREAM"
	grep -qF "src=$aaddr " /proc/net/nf_conntrack
	fc_stop "$a"
	for _ in $(seq 1 50); do
		[ -e "$NW_STATE/jobs/$a" ] || break
		sleep 0.1
	done
	[ ! -e "$NW_STATE/jobs/$a" ]
	# Nothing of the job's address stays in conntrack.
	if grep -F "$aaddr " /proc/net/nf_conntrack; then
		echo "conntrack still holds entries of $aaddr" >&2
		return 1
	fi
	# The next job does not get the address while the stream runs, and
	# hears nothing of it.
	bdir=$(job_bundle "$b" full -- /bin/sh -c "echo ADDR \$(ip -4 -o addr show eth0); python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((\"\", 40000))
s.settimeout(3)
try:
    while True:
        print(\"HEARD\", s.recv(100).decode())
except OSError:
    print(\"QUIET\")
'")
	run run_job "$bdir" "$b"
	if [ "$status" -eq 0 ]; then
		assert_output_has QUIET
		assert_output_lacks HEARD
		assert_output_lacks "inet $aaddr/"
	else
		assert_output_has "held back"
		assert_output_lacks HEARD
	fi
}

@test "fwclosed: an ICMP error a job forges about another job's connection is not accepted" {
	local x y yaddr xaddr sport
	x=$(job_id x)
	y=$(job_id y)
	fc_sleeper "$y" http
	fc_sleeper "$x" http CAP_NET_RAW
	yaddr=$(job_state_field "$y" addr)
	xaddr=$(job_state_field "$x" addr)
	# Y holds a connection to its proxy open and says from which port.
	runc exec -d "$y" python3 -c '
import socket, time
s = socket.create_connection(("'"$NW_GATEWAY"'", 3128))
open("/shared/y.port", "w").write(str(s.getsockname()[1]))
time.sleep(60)
' </dev/null >/dev/null 2>&1 3>&-
	wait_for_text "$NW_TMP/shared/y.port" "" 10
	for _ in $(seq 1 50); do
		[ -s "$NW_TMP/shared/y.port" ] && break
		sleep 0.1
	done
	sport=$(cat "$NW_TMP/shared/y.port")
	[ -n "$sport" ]
	# A raw ICMP socket on the host records what reaches it from X.
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.2)
end = time.time() + 15
with open(sys.argv[2], "w", buffering=1) as f:
    f.write("LISTENING\n")
    while time.time() < end:
        try:
            p, a = s.recvfrom(2048)
        except OSError:
            continue
        if a[0] == sys.argv[1]:
            f.write("ICMP from %s type %d\n" % (a[0], p[(p[0] & 15) * 4]))
' "$xaddr" "$NW_TMP/raw.log" </dev/null >/dev/null 2>&1 3>&- &
	echo "$!" >>"$NW_TMP/pids"
	wait_for_text "$NW_TMP/raw.log" LISTENING
	# X: port unreachable about the proxy's side of Y's connection.
	run fc_exec "$x" "python3 -c '
import socket, struct
def csum(b):
    if len(b) % 2: b += b\"\\0\"
    s = sum(struct.unpack(\"!%dH\" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
inner = struct.pack(\"!BBHHHBBH4s4s\", 0x45, 0, 40, 1, 0, 64, 6, 0,
    socket.inet_aton(\"$NW_GATEWAY\"), socket.inet_aton(\"$yaddr\"))
inner += struct.pack(\"!HHI\", 3128, $sport, 0)
icmp = struct.pack(\"!BBHI\", 3, 3, 0, 0) + inner
icmp = icmp[:2] + struct.pack(\"!H\", csum(icmp)) + icmp[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for _ in range(5):
    s.sendto(icmp, (\"$NW_GATEWAY\", 0))
print(\"SENT\")
'"
	assert_output_has SENT
	sleep 1
	if grep -q '^ICMP from' "$NW_TMP/raw.log"; then
		echo "the forged ICMP error reached a host raw socket:" >&2
		cat "$NW_TMP/raw.log" >&2
		return 1
	fi
}

@test "fwclosed: a full job reaches nothing behind a Linux bridge of the node (docker0's role)" {
	local f1
	fc_bridge_ns nwtbr0 172.31.250.1 172.31.250.2 8080
	f1=$(job_id f1)
	fc_sleeper "$f1" full
	run fc_exec "$f1" "reach 172.31.250.2 8080; reach 172.31.250.1 8080; reach $TESTNET_WWW 80"
	assert_output_has "REACH 172.31.250.2:8080 closed"
	assert_output_has "REACH 172.31.250.1:8080 closed"
	assert_output_has "REACH $TESTNET_WWW:80 open"
}

@test "fwclosed: an RFC 1918 address beyond the uplink is closed to full jobs until full_allow_private_destinations lists it" {
	local f1 f2
	fc_private_service 10.97.0.1 8080
	f1=$(job_id f1)
	fc_sleeper "$f1" full
	run fc_exec "$f1" "reach 10.97.0.1 8080; reach $TESTNET_WWW 80"
	assert_output_has "REACH 10.97.0.1:8080 closed"
	assert_output_has "REACH $TESTNET_WWW:80 open"
	fc_stop "$f1"
	eventually_clean "$f1" 10
	write_node_config "$NW_CONFIG" '.full_allow_private_destinations += ["10.97.0.0/24"]'
	f2=$(job_id f2)
	fc_sleeper "$f2" full
	run fc_exec "$f2" "reach 10.97.0.1 8080"
	assert_output_has "REACH 10.97.0.1:8080 open"
}

@test "fwclosed: a full job cannot reach a podman container on podman's bridge" {
	local f1 ip out
	command -v podman >/dev/null || skip "podman is not installed"
	fc_podman_image
	out=$(timeout 60 podman run -d --pull never --network bridge --name "nwtest-fcweb-$$" \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 localhost/nwtest-fwclosed:1 \
		/busybox httpd -f -p 8080 -h /www 2>&1 3>&-) || skip "podman cannot run a bridge container here: $out"
	echo "nwtest-fcweb-$$" >>"$NW_TMP/podman"
	ip=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "nwtest-fcweb-$$")
	[ -n "$ip" ]
	f1=$(job_id f1)
	fc_sleeper "$f1" full
	run fc_exec "$f1" "reach $ip 8080; reach $TESTNET_WWW 80"
	assert_output_has "REACH $ip:8080 closed"
	assert_output_has "REACH $TESTNET_WWW:80 open"
}
