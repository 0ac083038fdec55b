/*
 * milter-dmarc/ignore.h: IgnoreHosts -- client addresses whose mail is not
 * evaluated (OpenDMARC semantics: a file of addresses / CIDR blocks, one
 * per line, '#' comments; mailaka also takes an inline list).
 */
#ifndef DMARC_IGNORE_H
#define DMARC_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#define DMARC_IGNORE_MAX 4096	/* entries */

struct dmarc_ignore;

/* value: a path (starting with '/') or a comma/space list. NULL with err. */
struct dmarc_ignore *dmarc_ignore_new(const char *value, char *err, size_t errlen);
struct dmarc_ignore *dmarc_ignore_free(struct dmarc_ignore *ig);
/* ip: presentation form, or NULL (never matches). */
bool dmarc_ignore_match(const struct dmarc_ignore *ig, const char *ip);

#endif
