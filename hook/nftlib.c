/* libnftables loaded on first use; see nftlib.h. */
#include "nftlib.h"

#include <dlfcn.h>
#include <string.h>

#define NFT_SONAME "libnftables.so.1"

struct nftlib nftlib;

static int sym(void *dst, const char *name, nw_err *err)
{
	void *p = dlsym(nftlib.handle, name);

	if (p == NULL)
		return nw_fail(err, 0, "loading %s: no symbol %s", NFT_SONAME, name);
	memcpy(dst, &p, sizeof(p));
	return 0;
}

int nftlib_load(nw_err *err)
{
	if (nftlib.run_cmd_from_buffer != NULL)
		return 0;
	if (nftlib.handle == NULL)
		nftlib.handle = dlopen(NFT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (nftlib.handle == NULL)
		return nw_fail(err, 0, "loading %s: %s", NFT_SONAME, dlerror());
	if (sym(&nftlib.ctx_new, "nft_ctx_new", err) < 0 ||
	    sym(&nftlib.ctx_free, "nft_ctx_free", err) < 0 ||
	    sym(&nftlib.buffer_output, "nft_ctx_buffer_output", err) < 0 ||
	    sym(&nftlib.buffer_error, "nft_ctx_buffer_error", err) < 0 ||
	    sym(&nftlib.get_output_buffer, "nft_ctx_get_output_buffer", err) < 0 ||
	    sym(&nftlib.get_error_buffer, "nft_ctx_get_error_buffer", err) < 0 ||
	    sym(&nftlib.output_set_flags, "nft_ctx_output_set_flags", err) < 0 ||
	    sym(&nftlib.run_cmd_from_buffer, "nft_run_cmd_from_buffer", err) < 0)
		return -1;
	return 0;
}
