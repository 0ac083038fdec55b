/*
 * milter-dmarc/arc_trust.h: DomainWhitelist / DomainWhitelistFile
 * (OpenDMARC 1.4.2 semantics): the domains whose ARC signatures are
 * trusted.  When a trusted Authentication-Results field says arc=pass (and
 * no other trusted field says so too) and every domain of its arc.chain
 * property ("d1.example:d2.example") is listed, a DMARC failure that
 * RejectFailures would reject (p=reject) is accepted instead: the message
 * came through forwarders the administrator trusts to have checked it.
 */
#ifndef DMARC_ARC_TRUST_H
#define DMARC_ARC_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#define DMARC_ARC_TRUST_MAX 100000	/* listed domains (OpenDMARC's table grows) */
#define DMARC_ARC_FILE_MAX (8 * 1024 * 1024)	/* bytes of DomainWhitelistFile */
#define DMARC_ARC_CHAIN_MAX 512	/* bytes of one arc.chain value kept */

struct dmarc_arc_trust;

/* From the inline list (items, n) and the file (NULL: none; one domain a
 * line, '#' comments, blank lines).  NULL with err ("PATH:LINE: why" for
 * the file) on a bad name, a missing file or more than the maximum. */
struct dmarc_arc_trust *dmarc_arc_trust_new(const char *const *items, size_t n,
    const char *path, char *err, size_t errlen);
struct dmarc_arc_trust *dmarc_arc_trust_free(struct dmarc_arc_trust *t);
size_t dmarc_arc_trust_count(const struct dmarc_arc_trust *t);
/* Whether every ':'-separated domain of chain (len bytes, any case, a
 * as lib/addr normalizes it) is listed; false for an empty chain or entry.
 * Pure. */
bool dmarc_arc_chain_trusted(const struct dmarc_arc_trust *t, const char *chain, size_t len);

#endif
