/* Reading other tools' nftables tables as JSON, through the libnftables
 * that nftlib.c loads for netward's own table. */
#include <errno.h>
#include <string.h>

#include "hostfw_int.h"
#include "nftlib.h"

int hostfw_nft_json(const char *cmd, char **out, nw_err *err)
{
	struct nft_ctx *nft;
	const char *o, *e;
	int rc = 0;

	*out = NULL;
	if (nftlib_load(err) < 0)
		return -1;
	nft = nftlib.ctx_new(NFT_CTX_DEFAULT);
	if (nft == NULL)
		return nw_fail(err, ENOMEM, "creating an nftables context");
	nftlib.output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	if (nftlib.buffer_output(nft) < 0 || nftlib.buffer_error(nft) < 0) {
		rc = nw_fail(err, ENOMEM, "creating an nftables context");
	} else if (nftlib.run_cmd_from_buffer(nft, cmd) != 0) {
		e = nftlib.get_error_buffer(nft);
		rc =
		    nw_fail(err, 0, "nft %s: %.*s", cmd, e ? (int)strcspn(e, "\n") : 0, e ? e : "");
	} else {
		o = nftlib.get_output_buffer(nft);
		*out = strdup(o ? o : "");
		if (*out == NULL)
			rc = nw_fail(err, ENOMEM, "nft %s", cmd);
	}
	nftlib.ctx_free(nft);
	return rc;
}
