/*
 * forwarder/fwd_milter.h: milter mode ("Milter" socket key).
 *
 * Canonical maps see only the sender, so sender_canonical_maps rewrites
 * every foreign sender, including mail that stays local.  The milter sees
 * the whole envelope: it SRS-rewrites the envelope sender (mk_milter_chgfrom)
 * only when at least one recipient is remote after alias expansion.
 * Bounces still come back through recipient_canonical_maps (reverse map).
 *
 * The milter (lib/milter.h, MilterEngine own or libmilter) runs in its own
 * thread; lookups take the state read lock, reload takes the write lock to
 * swap the state.
 */
#ifndef FWD_MILTER_H
#define FWD_MILTER_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "lib/milter.h"
#include "forwarder/fwd_conf.h"

/* Open the milter socket (before dropping privileges). 0 / -1 + err. */
int fwd_milter_open(const char *spec, enum mk_milter_engine engine, struct fwd_state **cur,
    pthread_rwlock_t *lock, time_t (*now)(void), char *err, size_t errlen);
/* Run the milter loop in a new thread. 0 / -1. */
int fwd_milter_start(void);
/* Stop it (messages in flight finish), join, free.  Harmless if not opened. */
void fwd_milter_stop(void);

#endif
