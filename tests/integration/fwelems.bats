#!/usr/bin/env bats
# A job's elements in netward's table. The first job of a node writes the
# table with libnftables; the ones after add their elements in a batch of
# netward's own (hook/fw_nl.c). Both must read back alike, and the zone
# each http job's connections are tracked in must be the one its map
# element names.

load helpers
load http_helpers

nw_suite testnet

# fe_job ID MODE: a job that has fetched (http) or started (full), then sleeps.
fe_job() {
	local id=$1 mode=$2 b
	if [ "$mode" = http ]; then
		b=$(http_bundle "$id" www.test 'r http://www.test/; echo READY; exec sleep 300')
	else
		b=$(job_bundle "$id" full -- /bin/sh -c 'echo READY; exec sleep 300')
	fi
	patch_bundle "$b"
	run_detached "$b" "$id" "$NW_TMP/$id.out"
	wait_for_text "$NW_TMP/$id.out" READY 30
}

# fe_elements SET: the elements of a set (or the keys and values of a
# map, as "KEY VALUE"), one a line.
fe_elements() {
	nft -j list "$1" inet netward "$2" | jq -r '.nftables[] | (.set // .map) | select(.) | .elem // [] | .[]
		| if type == "array" then "\(.[0]) \(.[1])" else . end'
}

@test "fwelems: jobs set up after the first have their elements as the first does, and their connections in their map's zone" {
	local a b c id hostif addr zone o2 o3
	a=$(job_id a)
	b=$(job_id b)
	c=$(job_id c)
	fe_job "$a" http
	fe_job "$b" full
	fe_job "$c" http
	for id in "$a" "$b" "$c"; do
		hostif=$(job_state_field "$id" host_if)
		fe_elements set job_ifs | grep -qx "$hostif"
	done
	[ "$(fe_elements set full_ifs)" = "$(job_state_field "$b" host_if)" ]
	[ "$(fe_elements set http_ifs | sort)" = "$(printf '%s\n' "$(job_state_field "$a" host_if)" "$(job_state_field "$c" host_if)" | sort)" ]
	for id in "$a" "$c"; do
		hostif=$(job_state_field "$id" host_if)
		addr=$(job_state_field "$id" addr)
		IFS=. read -r _ _ o2 o3 <<<"$addr"
		zone=$((o2 * 256 + o3))
		fe_elements map zones | grep -qx "$hostif $zone" || {
			fe_elements map zones >&2
			echo "no zones element $hostif $zone" >&2
			false
		}
		# The job's fetch through its proxy is tracked in that zone.
		grep -F "src=$addr " /proc/net/nf_conntrack | grep -q "zone=$zone " || {
			grep -F "$addr" /proc/net/nf_conntrack >&2
			false
		}
	done
	! fe_elements map zones | grep -q "^$(job_state_field "$b" host_if) "
	for id in "$a" "$b" "$c"; do
		kill_job "$id"
		runc delete --force "$id"
	done
	assert_clean "$a"
}
