/* Destination port lists: "80", 443, "1025-65535". Pure. */
#ifndef NW_PORTS_H
#define NW_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct nw_port_range {
	uint16_t lo, hi;
};
struct nw_ports {
	size_t n;
	struct nw_port_range *r;
};
bool ports_contain(const struct nw_ports *p, uint16_t port);
int ports_add(struct nw_ports *p, uint16_t lo, uint16_t hi, nw_err *err);
int ports_parse_range(const char *s, struct nw_port_range *out, nw_err *err);
void ports_free(struct nw_ports *p);

/* Decimal 1..65535 over exactly n bytes: digits only, no sign, no leading
 * zero. */
int ports_parse_number(const char *s, size_t n, uint16_t *out);

#endif
