/* `netward metrics`: the live jobs and the node counters in the Prometheus
 * text exposition format (version 0.0.4), and the node_exporter textfile
 * copy that gc keeps. */
#ifndef NW_METRICS_H
#define NW_METRICS_H

#include <stdio.h>

#include "err.h"

/* node_exporter's textfile collector directory; NETWARD_TEXTFILE_DIR
 * overrides it. */
#define NW_TEXTFILE_DIR	 "/var/lib/prometheus/node-exporter"
#define NW_TEXTFILE_NAME "netward.prom"

int metrics_print(FILE *out, nw_err *err);
/* Writes the same text to the textfile directory through a temporary file
 * and a rename, so the collector never reads half of it. Returns 0 and
 * writes nothing when the directory does not exist, 1 when written. */
int metrics_write_textfile(nw_err *err);

#endif
