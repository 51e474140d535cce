#!/bin/bash
# The test internet (DESIGN.md §5): a network namespace reached from the host
# through one veth, with addresses from 198.18.0.0/15 only, a DNS server that
# knows the test names and nothing else, and web servers (plain and TLS).
# Tests and the demo talk to it and to nothing beyond this machine.
#
#   testnet.sh up     build it (tearing down any leftover first)
#   testnet.sh down   remove everything it made
#   testnet.sh status exit 0 when it is up and every service answers
#   testnet.sh env    print shell assignments describing it
#
# It depends on no init system and never touches /etc/nginx or Debian's
# nginx service: every config, pid, log and temp file lives in $TESTNET_DIR.
set -euo pipefail

TESTNET_NS=nwtest-inet
TESTNET_DIR=${TESTNET_DIR:-/run/netward-test}
TESTNET_HOST_IF=nwt-host
TESTNET_NS_IF=nwt-inet
TESTNET_HOST_ADDR=198.18.0.1
TESTNET_NS_ADDR=198.18.0.2
TESTNET_DNS=198.18.0.2
TESTNET_WWW=198.18.0.10
TESTNET_OTHER=198.18.0.11
TESTNET_API=198.18.0.12
TESTNET_FAR=198.18.1.10
TESTNET_PRIVATE=10.99.0.1
TESTNET_UPLOAD_PORT=8081
TESTNET_API_PORT=6443
TESTNET_BIG_SIZE=$((8 * 1024 * 1024))
TESTNET_CA=$TESTNET_DIR/tls/ca.pem
TESTNET_BLACKHOLES="10.99.0.0/16 100.64.0.0/10 169.254.169.254/32"

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf 'testnet: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

in_ns() { ip netns exec "$TESTNET_NS" "$@"; }

# Starts a long-lived process detached from the caller: its own session,
# stdio on a log, and no other inherited descriptor. bats waits for fd 3 to
# close, and a server holding it would hang the whole run.
spawn() {
	local logfile=$1 pidfile=$2
	shift 2
	(
		close_inherited_fds
		exec setsid "$@" </dev/null >>"$logfile" 2>&1
	) &
	echo "$!" >"$pidfile"
}

# Closes every descriptor above 2 of the calling (sub)shell.
close_inherited_fds() {
	local f fd
	for f in "/proc/$BASHPID/fd/"*; do
		fd=${f##*/}
		if [ "$fd" -gt 2 ]; then
			eval "exec $fd>&-" 2>/dev/null || true
		fi
	done
}

# A dead process may stay a zombie for a while when its parent (init here)
# is slow to reap it; it counts as gone.
pid_alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

stop_pid() {
	local pid=$1 _
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

cmd_down() {
	local f pid a
	if [ -d "$TESTNET_DIR/pids" ]; then
		for f in "$TESTNET_DIR"/pids/*.pid; do
			[ -e "$f" ] || continue
			pid=$(cat "$f" 2>/dev/null || true)
			[ -n "$pid" ] && stop_pid "$pid"
		done
	fi
	# Whatever still runs inside the namespace was started by us.
	if ip netns list 2>/dev/null | grep -qw "^$TESTNET_NS"; then
		for pid in $(ip netns pids "$TESTNET_NS" 2>/dev/null); do
			stop_pid "$pid"
		done
		ip netns delete "$TESTNET_NS" 2>/dev/null || true
	fi
	ip link delete "$TESTNET_HOST_IF" 2>/dev/null || true
	for a in $TESTNET_BLACKHOLES; do
		ip route delete unreachable "$a" 2>/dev/null || true
	done
	rm -rf "$TESTNET_DIR"
}

make_tls() {
	local d=$TESTNET_DIR/tls
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 7 -subj "/CN=netward test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=www.test" 2>/dev/null
	cat >"$d/server.ext" <<-EOF
		basicConstraints=CA:FALSE
		keyUsage=critical,digitalSignature,keyEncipherment
		extendedKeyUsage=serverAuth
		subjectAltName=DNS:www.test,DNS:*.www.test,DNS:other.test,DNS:api.test,IP:$TESTNET_WWW,IP:$TESTNET_OTHER,IP:$TESTNET_API
	EOF
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/server.pem" -days 7 -extfile "$d/server.ext" 2>/dev/null
	# nginx's workers run as nobody and read nothing secret: a throwaway CA.
	chmod 0644 "$d"/*
}

make_network() {
	ip netns add "$TESTNET_NS"
	ip link add "$TESTNET_HOST_IF" type veth peer name "$TESTNET_NS_IF" netns "$TESTNET_NS"
	ip addr add "$TESTNET_HOST_ADDR/24" dev "$TESTNET_HOST_IF"
	ip link set "$TESTNET_HOST_IF" up
	# Every other test address sits behind the namespace, not on this link.
	ip route replace 198.18.0.0/15 via "$TESTNET_NS_ADDR" dev "$TESTNET_HOST_IF"

	in_ns ip link set lo up
	in_ns ip addr add "$TESTNET_NS_ADDR/24" dev "$TESTNET_NS_IF"
	in_ns ip link set "$TESTNET_NS_IF" up
	# The servers' addresses go on the same link as /32s: kernels built
	# without the dummy driver exist, and the namespace answers ARP for them.
	local a
	for a in "$TESTNET_WWW" "$TESTNET_OTHER" "$TESTNET_API" "$TESTNET_FAR"; do
		in_ns ip addr add "$a/32" dev "$TESTNET_NS_IF"
	done
	in_ns ip route add default via "$TESTNET_HOST_ADDR" dev "$TESTNET_NS_IF"
	# The DNS hands out private and metadata addresses that the proxy must
	# refuse. Should a bug ever let it connect, the packets stop here
	# instead of following the machine's default route.
	for a in $TESTNET_BLACKHOLES; do
		ip route replace unreachable "$a"
	done
}

start_dns() {
	local -a recs=(
		"www.test,$TESTNET_WWW" "sub.www.test,$TESTNET_WWW" "a.www.test,$TESTNET_WWW"
		"other.test,$TESTNET_OTHER" "api.test,$TESTNET_API" "far.test,$TESTNET_FAR"
		"private.test,$TESTNET_PRIVATE" "loop.test,127.0.0.1" "meta.test,169.254.169.254"
		"mixed.test,$TESTNET_WWW" "mixed.test,$TESTNET_PRIVATE"
		"evilexample.test,$TESTNET_OTHER"
		# Another name on api.test's address, and (below) an alias of it:
		# ways to reach a deny_destinations name under another name.
		"apitwin.test,$TESTNET_API"
	)
	local -a args=(dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts
		--no-poll --listen-address="$TESTNET_DNS" --bind-interfaces --port=53
		--local=/test/ --log-facility=- --log-queries
		--pid-file="$TESTNET_DIR/dnsmasq.pid")
	local r
	for r in "${recs[@]}"; do
		args+=(--host-record="$r")
	done
	args+=(--cname=apicname.test,api.test)
	spawn "$TESTNET_DIR/log/dnsmasq.log" "$TESTNET_DIR/pids/dnsmasq.pid" \
		ip netns exec "$TESTNET_NS" "${args[@]}"
}

write_nginx_conf() {
	local d=$TESTNET_DIR/nginx t=$TESTNET_DIR/tls
	mkdir -p "$d/temp" "$d/www" "$d/other" "$d/api"
	printf 'hello from www.test\n' >"$d/www/index.html"
	printf 'hello from other.test\n' >"$d/other/index.html"
	printf 'hello from api.test\n' >"$d/api/index.html"
	head -c "$TESTNET_BIG_SIZE" /dev/urandom >"$d/www/big"
	chmod -R a+rX "$d"
	cat >"$d/nginx.conf" <<-EOF
		daemon on;
		user nobody nogroup;
		worker_processes 1;
		pid $d/nginx.pid;
		error_log $d/error.log;
		events { worker_connections 512; }
		http {
			default_type text/plain;
			access_log $d/access.log;
			client_body_temp_path $d/temp/body;
			proxy_temp_path $d/temp/proxy;
			fastcgi_temp_path $d/temp/fastcgi;
			uwsgi_temp_path $d/temp/uwsgi;
			scgi_temp_path $d/temp/scgi;
			ssl_certificate $t/server.pem;
			ssl_certificate_key $t/server.key;
			server {
				listen $TESTNET_WWW:80 default_server;
				listen $TESTNET_WWW:8080 default_server;
				listen $TESTNET_WWW:443 ssl default_server;
				listen $TESTNET_FAR:80 default_server;
				server_name www.test *.www.test far.test;
				root $d/www;
				location = / { try_files /index.html =404; }
				location = /big { default_type application/octet-stream; }
				location = /headers { return 200 "\$http_x_bacalhau_job_id\n"; }
			}
			server {
				listen $TESTNET_OTHER:80 default_server;
				listen $TESTNET_OTHER:443 ssl default_server;
				server_name other.test evilexample.test;
				root $d/other;
				location = / { try_files /index.html =404; }
			}
			server {
				listen $TESTNET_API:80 default_server;
				listen $TESTNET_API:$TESTNET_API_PORT ssl default_server;
				server_name api.test;
				root $d/api;
				location = / { try_files /index.html =404; }
			}
		}
	EOF
}

start_web() {
	write_nginx_conf
	in_ns nginx -t -q -e "$TESTNET_DIR/nginx/error.log" -c "$TESTNET_DIR/nginx/nginx.conf" \
		>>"$TESTNET_DIR/log/nginx.log" 2>&1 || die "nginx config refused, see $TESTNET_DIR/log/nginx.log"
	(
		close_inherited_fds
		exec ip netns exec "$TESTNET_NS" nginx -e "$TESTNET_DIR/nginx/error.log" \
			-c "$TESTNET_DIR/nginx/nginx.conf" </dev/null >>"$TESTNET_DIR/log/nginx.log" 2>&1
	)
	ln -sf "$TESTNET_DIR/nginx/nginx.pid" "$TESTNET_DIR/pids/nginx.pid"
	spawn "$TESTNET_DIR/log/upload.log" "$TESTNET_DIR/pids/upload.pid" \
		ip netns exec "$TESTNET_NS" python3 "$LIB_DIR/upload-server.py" \
		--bind "$TESTNET_WWW" --port "$TESTNET_UPLOAD_PORT"
}

services_answer() {
	curl --noproxy '*' -fsS -m 2 -o /dev/null "http://$TESTNET_WWW/" 2>/dev/null &&
		curl --noproxy '*' -fsS -m 2 -o /dev/null --cacert "$TESTNET_CA" \
			--resolve "www.test:443:$TESTNET_WWW" "https://www.test/" 2>/dev/null &&
		curl --noproxy '*' -fsS -m 2 -o /dev/null \
			"http://$TESTNET_WWW:$TESTNET_UPLOAD_PORT/" 2>/dev/null &&
		busybox nslookup www.test "$TESTNET_DNS" >/dev/null 2>&1
}

# Each service answers before `up` returns, so no test races its start.
wait_ready() {
	local _
	for _ in $(seq 1 100); do
		services_answer && return 0
		sleep 0.1
	done
	die "services did not come up; logs in $TESTNET_DIR/log"
}

cmd_status() {
	ip netns list 2>/dev/null | grep -qw "^$TESTNET_NS" || return 1
	[ -f "$TESTNET_CA" ] || return 1
	services_answer
}

cmd_up() {
	[ "$(id -u)" -eq 0 ] || die "needs root"
	local t
	for t in ip dnsmasq nginx openssl python3 curl busybox; do
		command -v "$t" >/dev/null || die "missing tool: $t"
	done
	cmd_down
	mkdir -p "$TESTNET_DIR/pids" "$TESTNET_DIR/log"
	chmod 0755 "$TESTNET_DIR"
	make_tls
	make_network
	start_dns
	start_web
	wait_ready
	log "up: namespace $TESTNET_NS, DNS $TESTNET_DNS, www.test $TESTNET_WWW"
}

cmd_env() {
	local v
	for v in TESTNET_NS TESTNET_DIR TESTNET_HOST_IF TESTNET_HOST_ADDR TESTNET_DNS \
		TESTNET_WWW TESTNET_OTHER TESTNET_API TESTNET_API_PORT TESTNET_FAR \
		TESTNET_PRIVATE TESTNET_UPLOAD_PORT TESTNET_BIG_SIZE TESTNET_CA; do
		printf '%s=%q\n' "$v" "${!v}"
	done
}

# Two runs building or removing it at once would interleave; the lock lives
# outside $TESTNET_DIR, which `down` removes. Servers never inherit it
# (spawn closes every descriptor above 2).
locked() {
	exec 9>"$TESTNET_DIR.lock"
	flock 9
	"$@"
}

case "${1:-}" in
up) locked cmd_up ;;
down) locked cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
*)
	echo "usage: $0 up|down|status|env" >&2
	exit 2
	;;
esac
