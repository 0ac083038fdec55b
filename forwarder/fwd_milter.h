/*
 * forwarder/fwd_milter.h: milter mode ("Milter" socket key).
 *
 * Canonical maps see only the sender, so sender_canonical_maps rewrites
 * every foreign sender, including mail that stays local.  The milter sees
 * the whole envelope: it SRS-rewrites the envelope sender (smfi_chgfrom)
 * only when at least one recipient is remote after alias expansion.
 * Bounces still come back through recipient_canonical_maps (reverse map).
 *
 * libmilter runs in its own thread (smfi_main); lookups take the state
 * read lock, reload takes the write lock to swap the state.
 */
#ifndef FWD_MILTER_H
#define FWD_MILTER_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "forwarder/fwd_conf.h"

/* Register and open the socket (before dropping privileges). 0 / -1 + err. */
int fwd_milter_open(const char *spec, struct fwd_state **cur, pthread_rwlock_t *lock,
    time_t (*now)(void), char *err, size_t errlen);
/* Run smfi_main in a new thread. 0 / -1. */
int fwd_milter_start(void);
/* smfi_stop and join. */
void fwd_milter_stop(void);

#endif
