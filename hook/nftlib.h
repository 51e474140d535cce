/* libnftables, loaded the first time a firewall is touched rather than at
 * exec: most runs of the hook never need it (none mode; a poststop, whose
 * removal runs in a child; the standalone proxy), and mapping it with its
 * five dependencies costs every exec 0.6 ms. One handle serves netward's
 * own table (fw.c) and the reading of other tools' tables
 * (hostfw_nft.c). The prototypes are the header's (typeof), so a mismatch
 * does not compile. */
#ifndef NW_NFTLIB_H
#define NW_NFTLIB_H

#include <nftables/libnftables.h>

#include "err.h"

struct nftlib {
	void *handle;
	typeof(nft_ctx_new) *ctx_new;
	typeof(nft_ctx_free) *ctx_free;
	typeof(nft_ctx_buffer_output) *buffer_output;
	typeof(nft_ctx_buffer_error) *buffer_error;
	typeof(nft_ctx_get_output_buffer) *get_output_buffer;
	typeof(nft_ctx_get_error_buffer) *get_error_buffer;
	typeof(nft_ctx_output_set_flags) *output_set_flags;
	typeof(nft_run_cmd_from_buffer) *run_cmd_from_buffer;
};

/* Filled by nftlib_load; the functions are valid once it has returned 0. */
extern struct nftlib nftlib;

/* dlopen()s libnftables and resolves its functions; a no-op once done. */
int nftlib_load(nw_err *err);

#endif
