/*
 * lib/milter_pool.h: the worker threads of milter engine own.
 *
 * Between min and max threads: a job submitted while every thread is busy
 * starts a new one (up to max; beyond, jobs wait in FIFO order), and a
 * thread idle for idle_secs exits while more than min remain.
 */
#ifndef MK_MILTER_POOL_H
#define MK_MILTER_POOL_H

#include <stddef.h>

/* One job; the submitter owns it (embedded in its object) until fn ran. */
struct mk_mpool_job {
	struct mk_mpool_job *next;
	void (*fn)(struct mk_mpool_job *job);
};

struct mk_mpool;

/* Start min threads.  NULL with err on failure. */
struct mk_mpool *mk_mpool_new(unsigned min, unsigned max, unsigned idle_secs, char *err,
    size_t errlen);
/* Queue job (borrowed until job->fn returns); fn runs on a worker.  0 / -1
 * (no thread at all could be started). */
int mk_mpool_submit(struct mk_mpool *p, struct mk_mpool_job *job);
/* Threads now (running or idle), for tests and logs. */
unsigned mk_mpool_threads(struct mk_mpool *p);
/* Stop: queued jobs still run, then every thread exits; waits for them. NULL. */
struct mk_mpool *mk_mpool_free(struct mk_mpool *p);

#endif
