/*
 * milter-dmarc/spf_self.h: SPFSelfValidate -- the SPF check of the session's
 * MAIL FROM (or HELO with a null sender) by lib/spf's RFC 7208 evaluator
 * over lib/dns (synchronous: the milter is thread-per-connection).
 */
#ifndef DMARC_SPF_SELF_H
#define DMARC_SPF_SELF_H

#include <stdbool.h>

#include "lib/arparse.h"
#include "lib/dmarc.h"

#define DMARC_SPF_ANSWERS_MAX 64	/* DNS answers one evaluation may need */

struct mk_dns;

/* 0 with *out / *helo filled, -1 when there is nothing to check (no
 * client IP, null sender without HELO). */
int dmarc_spf_self(struct mk_dns *dns, const char *ip, const struct mk_spf_session *s,
    struct mk_dmarc_auth *out, bool *helo);

#endif
