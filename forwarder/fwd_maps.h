/*
 * forwarder/fwd_maps.h: the three lookup tables mailaka-forward serves:
 *   alias    virtual_alias_maps: chasquid-style expansion with catch-all
 *   forward  sender_canonical_maps: SRS-rewrite foreign senders
 *   reverse  recipient_canonical_maps: undo SRS on bounces
 * A lookup is a pure function of (state, name, key, now): it returns the
 * status, fills value (OK) or reason (for the log; TEMP/PERM text).
 */
#ifndef FWD_MAPS_H
#define FWD_MAPS_H

#include <stddef.h>
#include <time.h>

#include "lib/netstring.h"
#include "forwarder/fwd_conf.h"

#define FWD_VALUE_MAX 65536	/* below Postfix's socketmap_max_reply (100000) */

struct fwd_result {
	enum mk_map_status status;
	char value[FWD_VALUE_MAX];	/* OK: the value; TEMP/PERM: the reason */
	const char *reason;		/* short reason for the log (static), or NULL */
};

void fwd_map_lookup(const struct fwd_state *st, const char *name, const char *key,
    size_t keylen, time_t now, struct fwd_result *res);

#endif
