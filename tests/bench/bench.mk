# make bench: netward against squid, tinyproxy and direct access, container
# start overhead, rate-limit accuracy and 1000 live jobs (tests/bench/run;
# BENCH.md holds the latest tables). Installs what it needs; root only.
bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run
