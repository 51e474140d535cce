/* `netward status`: the live jobs, as a table or JSON. */
#ifndef NW_STATUS_H
#define NW_STATUS_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"

int status_print(bool as_json, FILE *out, nw_err *err);

#endif
