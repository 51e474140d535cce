# shellcheck shell=bash
# shellcheck disable=SC2154,SC2004 # W, R (associative), NETWARD, ORIGIN... come from tests/bench/run
# `make bench`, intercept part (sourced by tests/bench/run): the cost of the
# intercepted path beside the explicit one, in the same run and on the same
# proxy process, so that the ratio compares like with like. One `netward
# proxy` serves CONNECT and plain HTTP on IC_EXPLICIT_PORT and redirected
# connections on IC_INTERCEPT_PORT (`--intercept-port`); an nftables DNAT in
# the bench namespace sends what clients open to IC_DEST (an address nothing
# listens on: the address a program that ignores the proxy would pick) to
# the intercept port, as netward's firewall does for a job. A second nginx
# serves TLS for bench.test on ORIGIN:IC_TLS_PORT.
#   - small GETs: ab -k -c 32 through the proxy (-X) and to IC_DEST with
#     Host: bench.test (intercepted, judged on the Host);
#   - fresh TLS connections: tests/bench/tlsconns.c, 16 at once, each a
#     recorded ClientHello for bench.test through CONNECT, or straight to
#     IC_DEST (intercepted, judged on the SNI), until the ServerHello;
#   - proxy CPU per request or connection from its utime+stime.

IC_EXPLICIT_PORT=3132
IC_INTERCEPT_PORT=3133
IC_DEST=127.0.0.20
IC_TLS_PORT=8443

ic_tls_origin() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$W/ic-tls.key" -out "$W/ic-tls.pem" -days 2 -subj "/CN=bench.test" \
		-addext "subjectAltName=DNS:bench.test" 2>/dev/null || return 1
	chmod 0644 "$W/ic-tls.key"
	mkdir -p "$W/ic-tmp"
	cat >"$W/ic-nginx.conf" <<-EOF
		daemon off;
		master_process off;
		user nobody nogroup;
		worker_processes 1;
		worker_rlimit_nofile 8192;
		pid $W/ic-nginx.pid;
		error_log $W/ic-nginx.err;
		events { worker_connections 4096; }
		http {
			access_log off;
			client_body_temp_path $W/ic-tmp/body;
			proxy_temp_path $W/ic-tmp/proxy;
			fastcgi_temp_path $W/ic-tmp/fastcgi;
			uwsgi_temp_path $W/ic-tmp/uwsgi;
			scgi_temp_path $W/ic-tmp/scgi;
			ssl_certificate $W/ic-tls.pem;
			ssl_certificate_key $W/ic-tls.key;
			ssl_session_cache off;
			ssl_session_tickets off;
			server {
				listen $ORIGIN:$IC_TLS_PORT ssl default_server backlog=4096;
				server_name bench.test;
				location / { return 200 "hello from bench.test\n"; }
			}
		}
	EOF
	spawn ic-nginx taskset -c "$C_CPU" nginx -c "$W/ic-nginx.conf" -e "$W/ic-nginx.err"
	local _
	for _ in $(seq 1 100); do
		inns curl -fsS -m 1 -o /dev/null --noproxy '*' --cacert "$W/ic-tls.pem" \
			--resolve "bench.test:$IC_TLS_PORT:$ORIGIN" "https://bench.test:$IC_TLS_PORT/" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The ClientHello a Python client sends to bench.test, recorded once.
ic_hello_file() {
	python3 - "$W/ic-hello.bin" <<-'PY'
		import ssl, sys
		inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
		o = ssl.create_default_context().wrap_bio(inc, out, server_hostname="bench.test")
		try:
		    o.do_handshake()
		except ssl.SSLWantReadError:
		    pass
		open(sys.argv[1], "wb").write(out.read())
	PY
}

ic_redirect() {
	inns nft -f - <<-EOF
		table ip nwbench_intercept {
			chain output {
				type nat hook output priority -100; policy accept;
				ip daddr $IC_DEST tcp dport { 80, $IC_TLS_PORT } dnat to $PROXY_IP:$IC_INTERCEPT_PORT
			}
		}
	EOF
}

# ic_get KEY ARGS...: ab -k -c 32 with ARGS; R[icget,KEY], R[icgetcpu,KEY].
ic_get() {
	local key=$1 pid=$2 c0 c1 out complete failed non2xx rps
	shift 2
	c0=$(cpu_ticks "$pid")
	out=$(inns taskset -c "$C_CPU" timeout $((SECS + 30)) ab -q -k -c 32 -n 2000000 -t "$SECS" -s 10 "$@" 2>&1)
	c1=$(cpu_ticks "$pid")
	complete=$(awk '/^Complete requests:/ {print $3}' <<<"$out")
	failed=$(awk '/^Failed requests:/ {print $3}' <<<"$out")
	non2xx=$(awk '/^Non-2xx responses:/ {print $3}' <<<"$out")
	rps=$(awk '/^Requests per second:/ {print $4}' <<<"$out")
	if [ -z "$complete" ] || [ -z "$rps" ] || [ "$complete" -eq 0 ]; then
		R[icget,$key]="failed: $(tail -n 1 <<<"$out")"
		return
	fi
	R[icget,$key]=$(printf '%.0f' "$rps")
	if [ "${failed:-0}" != 0 ] || [ -n "$non2xx" ]; then
		R[icnote,get-$key]="${failed:-0} failed, ${non2xx:-0} non-2xx of $complete"
	fi
	R[icgetcpu,$key]=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$complete" 'BEGIN {printf "%.1f", d / hz * 1e6 / n}')
}

# ic_tls KEY PID ARGS...: tlsconns with ARGS; R[ictls,KEY], R[ictlscpu,KEY].
ic_tls() {
	local key=$1 pid=$2 c0 c1 out ok failed t
	shift 2
	c0=$(cpu_ticks "$pid")
	out=$(inns taskset -c "$C_CPU" timeout $((SECS + 30)) "$W/tlsconns" "$@" 2>&1)
	c1=$(cpu_ticks "$pid")
	read -r ok failed t <<<"$out"
	if [ -z "$t" ] || [ "${ok:-0}" -eq 0 ]; then
		R[ictls,$key]="failed: $out"
		return
	fi
	R[ictls,$key]=$(awk -v n="$ok" -v t="$t" 'BEGIN {printf "%.0f", n / t}')
	[ "$failed" != 0 ] && R[icnote,tls-$key]="$failed of $((ok + failed)) refused or cut"
	R[ictlscpu,$key]=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$ok" 'BEGIN {printf "%.1f", d / hz * 1e6 / n}')
}

intercept_benches() {
	local pid cfg=$W/netward-intercept.json
	log "intercept: the explicit and the intercepted path on one proxy"
	cc -O2 -o "$W/tlsconns" "$ROOT/tests/bench/tlsconns.c" "$ROOT/tests/bench/conns.c" || {
		R[icnote,setup]="building the TLS client failed"
		return
	}
	if ! ic_tls_origin || ! ic_hello_file || ! ic_redirect; then
		R[icnote,setup]="the TLS origin, the ClientHello or the redirect could not be set up (see $W/ic-nginx.err)"
		return
	fi
	jq --argjson p "$IC_TLS_PORT" '.connect_ports = [443, $p]' "$W/netward.json" >"$cfg"
	spawn "netward-$IC_EXPLICIT_PORT" taskset -c "$P_CPU" "$NETWARD" --config "$cfg" proxy \
		--listen "$PROXY_IP:$IC_EXPLICIT_PORT" --domains bench.test --job-id bench \
		--intercept-port "$IC_INTERCEPT_PORT"
	pid=$(cat "$W/netward-$IC_EXPLICIT_PORT.pid")
	if ! wait_http "http://bench.test/" "$PROXY_IP:$IC_EXPLICIT_PORT"; then
		R[icnote,setup]="the proxy did not start: $(tail -n 1 "$W/netward-$IC_EXPLICIT_PORT.log")"
		return
	fi
	# The spawned command is taskset, which execs into netward.
	log "  small GETs, explicit and intercepted"
	ic_get explicit "$pid" -X "$PROXY_IP:$IC_EXPLICIT_PORT" "http://bench.test/"
	ic_get intercepted "$pid" -H "Host: bench.test" "http://$IC_DEST/"
	log "  fresh TLS connections, explicit and intercepted"
	ic_tls explicit "$pid" connect "$PROXY_IP" "$IC_EXPLICIT_PORT" "bench.test:$IC_TLS_PORT" \
		"$W/ic-hello.bin" 16 "$SECS"
	ic_tls intercepted "$pid" direct "$IC_DEST" "$IC_TLS_PORT" - "$W/ic-hello.bin" 16 "$SECS"
	alive "$pid" || R[icnote,proxy]="the proxy died: $(tail -n 1 "$W/netward-$IC_EXPLICIT_PORT.log")"
	stop_pid "$pid"
}

report_intercept() {
	local rg rt k
	echo
	echo "### Interception (one netward proxy, explicit and intercepted paths in turn; proxy on CPU $P_CPU, clients and origins on CPU $C_CPU)"
	echo
	echo "| measure | explicit | intercepted | intercepted/explicit | target | result |"
	echo "|---|---|---|---|---|---|"
	echo "| small GETs/s (ab -k -c 32, ${SECS} s) | $(cell icget,explicit) | $(cell icget,intercepted) | $(ratio "$(cell icget,intercepted)" "$(cell icget,explicit)")× | – | – |"
	rg=$(ratio "$(cell icgetcpu,intercepted)" "$(cell icgetcpu,explicit)")
	echo "| proxy CPU µs per GET | $(cell icgetcpu,explicit) | $(cell icgetcpu,intercepted) | ${rg}× | ≤ 1.2× | $(num "$rg" && verdict 'r <= 1.2' r="$rg" || echo MISS) |"
	echo "| fresh TLS connections/s (16 at once, to the ServerHello) | $(cell ictls,explicit) | $(cell ictls,intercepted) | $(ratio "$(cell ictls,intercepted)" "$(cell ictls,explicit)")× | – | – |"
	rt=$(ratio "$(cell ictlscpu,intercepted)" "$(cell ictlscpu,explicit)")
	echo "| proxy CPU µs per TLS connection | $(cell ictlscpu,explicit) | $(cell ictlscpu,intercepted) | ${rt}× | ≤ 1.2× | $(num "$rt" && verdict 'r <= 1.2' r="$rt" || echo MISS) |"
	for k in "${!R[@]}"; do
		case $k in
		icnote,*) echo "- ${k#icnote,}: ${R[$k]}" ;;
		esac
	done | sort
}
