# Shared by the standalone proxy scripts (tests/proxy, tests/valgrind):
# sourced after tests/lib/tap.sh, with `tmp` set.
# shellcheck disable=SC2154 # tmp is the sourcing script's
proxy_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The scripts' Python finds tlshello.py here.
export PYTHONPATH=$proxy_lib${PYTHONPATH:+:$PYTHONPATH}

# wait_port HOST PORT [SECONDS]: until something listens there (5 s by
# default); says so in a TAP comment when nothing does.
wait_port() {
	local i
	for ((i = 0; i < ${3:-5} * 10; i++)); do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# nothing listens on $1:$2"
	return 1
}

# origins PLAIN TLS: the origin servers (origin.py) on 127.0.0.2, HTTP on
# port PLAIN and HTTPS on port TLS with a self-signed certificate for
# allowed.test ($tmp/cert.pem); both added to pids.
origins() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
		-days 1 -subj /CN=allowed.test 2>/dev/null
	python3 "$proxy_lib/origin.py" 127.0.0.2 "$1" &
	pids+=($!)
	python3 "$proxy_lib/origin.py" 127.0.0.2 "$2" "$tmp/cert.pem" "$tmp/key.pem" &
	pids+=($!)
}
