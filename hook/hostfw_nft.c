/* Reading other tools' nftables tables as JSON. libnftables is loaded on
 * first use, as hook/fw.c does for netward's own table (the same handle:
 * dlopen of a loaded library only counts a reference). */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "hostfw_int.h"

#define NFT_SONAME "libnftables.so.1"

static struct {
	void *handle;
	typeof(nft_ctx_new) *ctx_new;
	typeof(nft_ctx_free) *ctx_free;
	typeof(nft_ctx_buffer_output) *buffer_output;
	typeof(nft_ctx_buffer_error) *buffer_error;
	typeof(nft_ctx_get_output_buffer) *get_output_buffer;
	typeof(nft_ctx_get_error_buffer) *get_error_buffer;
	typeof(nft_ctx_output_set_flags) *output_set_flags;
	typeof(nft_run_cmd_from_buffer) *run_cmd_from_buffer;
} lib;

static int sym(void *dst, const char *name, nw_err *err)
{
	void *p = dlsym(lib.handle, name);

	if (p == NULL)
		return nw_fail(err, 0, "loading %s: no symbol %s", NFT_SONAME, name);
	memcpy(dst, &p, sizeof(p));
	return 0;
}

static int load(nw_err *err)
{
	if (lib.run_cmd_from_buffer != NULL)
		return 0;
	if (lib.handle == NULL)
		lib.handle = dlopen(NFT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib.handle == NULL)
		return nw_fail(err, 0, "loading %s: %s", NFT_SONAME, dlerror());
	if (sym(&lib.ctx_new, "nft_ctx_new", err) < 0 ||
	    sym(&lib.ctx_free, "nft_ctx_free", err) < 0 ||
	    sym(&lib.buffer_output, "nft_ctx_buffer_output", err) < 0 ||
	    sym(&lib.buffer_error, "nft_ctx_buffer_error", err) < 0 ||
	    sym(&lib.get_output_buffer, "nft_ctx_get_output_buffer", err) < 0 ||
	    sym(&lib.get_error_buffer, "nft_ctx_get_error_buffer", err) < 0 ||
	    sym(&lib.output_set_flags, "nft_ctx_output_set_flags", err) < 0 ||
	    sym(&lib.run_cmd_from_buffer, "nft_run_cmd_from_buffer", err) < 0)
		return -1;
	return 0;
}

int hostfw_nft_json(const char *cmd, char **out, nw_err *err)
{
	struct nft_ctx *nft;
	const char *o, *e;
	int rc = 0;

	*out = NULL;
	if (load(err) < 0)
		return -1;
	nft = lib.ctx_new(NFT_CTX_DEFAULT);
	if (nft == NULL)
		return nw_fail(err, ENOMEM, "creating an nftables context");
	lib.output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	if (lib.buffer_output(nft) < 0 || lib.buffer_error(nft) < 0) {
		rc = nw_fail(err, ENOMEM, "creating an nftables context");
	} else if (lib.run_cmd_from_buffer(nft, cmd) != 0) {
		e = lib.get_error_buffer(nft);
		rc =
		    nw_fail(err, 0, "nft %s: %.*s", cmd, e ? (int)strcspn(e, "\n") : 0, e ? e : "");
	} else {
		o = lib.get_output_buffer(nft);
		*out = strdup(o ? o : "");
		if (*out == NULL)
			rc = nw_fail(err, ENOMEM, "nft %s", cmd);
	}
	lib.ctx_free(nft);
	return rc;
}
