/*
 * policy-spf/engine.h: the libspf2 engine (Engine = libspf2): checks run
 * by a pool of worker threads (libspf2 blocks on DNS), results handed back
 * to the event loop through a pipe.  The native engine (lib/spf_dns) needs
 * none of this.
 */
#ifndef SPF_ENGINE_H
#define SPF_ENGINE_H

#include "dns.h"
#include "spf.h"
#include "spf_dns.h"

struct spf_engine;
struct spf_job;
struct event_base;

struct spf_engine *spf_engine_new(struct event_base *base, struct mk_dns *dns, int threads,
    char *err, size_t errlen);
/* Stops the threads (waits for the checks they are running). */
struct spf_engine *spf_engine_free(struct spf_engine *e);
/* Queue a check; cb runs later in the loop thread. NULL if out of memory. */
struct spf_job *spf_engine_submit(struct spf_engine *e, const struct mk_spf_query *q,
    mk_spf_check_cb cb, void *arg);
/* The callback will not be called. */
void spf_engine_cancel(struct spf_engine *e, struct spf_job *job);

#endif
