/* The three network modes a job may ask for (DESIGN.md §1). Pure. */
#ifndef NW_MODE_H
#define NW_MODE_H

enum nw_mode { NW_MODE_NONE, NW_MODE_HTTP, NW_MODE_FULL };
#define NW_MODE_BIT(m) (1u << (m))

/* "none", "http", "full" ("?" out of range). */
const char *mode_name(enum nw_mode m);
/* Case-insensitive (Bacalhau's "None", "HTTP", "Full"); -1 unknown. */
int mode_parse(const char *s, enum nw_mode *out);

#endif
