/*
 * lib/milter_pool.c: the worker threads of milter engine own (see
 * milter_pool.h).  Threads are detached; mk_mpool_free() waits on a
 * counter, so no join is needed for threads that exited while idle.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "lib/milter_pool.h"

struct mk_mpool {
	pthread_mutex_t mu;
	pthread_cond_t work;	/* a job was queued, or stopping */
	pthread_cond_t gone;	/* a thread exited */
	struct mk_mpool_job *head, *tail;
	unsigned min, max, idle_secs;
	unsigned nthreads, nidle;
	unsigned nleaving;	/* idle threads that decided to exit, not gone yet */
	unsigned nqueued;	/* jobs waiting for a thread */
	bool stopping;
};

static struct mk_mpool_job *
pool_take(struct mk_mpool *p)
{
	struct mk_mpool_job *j = p->head;

	if (j != NULL) {
		p->head = j->next;
		p->nqueued--;
		if (p->head == NULL)
			p->tail = NULL;
		j->next = NULL;
	}
	return j;
}

/* Wait for a job; NULL when this thread should exit.  Called locked. */
static struct mk_mpool_job *
pool_wait(struct mk_mpool *p)
{
	struct timespec ts;
	struct mk_mpool_job *j;
	int rc;

	for (;;) {
		if ((j = pool_take(p)) != NULL)
			return j;
		if (p->stopping)
			return NULL;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += p->idle_secs;
		p->nidle++;
		rc = pthread_cond_timedwait(&p->work, &p->mu, &ts);
		p->nidle--;
		/* counted at once: threads timing out together must not all
		 * leave (nthreads only drops when a thread is gone) */
		if (rc == ETIMEDOUT && p->head == NULL && p->nthreads - p->nleaving > p->min) {
			p->nleaving++;
			return NULL;
		}
	}
}

static void *
pool_main(void *arg)
{
	struct mk_mpool *p = arg;
	struct mk_mpool_job *j;

	pthread_mutex_lock(&p->mu);
	while ((j = pool_wait(p)) != NULL) {
		pthread_mutex_unlock(&p->mu);
		j->fn(j);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	OPENSSL_thread_stop();
	pthread_mutex_lock(&p->mu);
	p->nthreads--;
	if (!p->stopping && p->nleaving > 0)
		p->nleaving--;
	pthread_cond_broadcast(&p->gone);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Start one thread.  Called locked.  0 / -1. */
static int
pool_spawn(struct mk_mpool *p)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, pool_main, p);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return -1;
	p->nthreads++;
	return 0;
}

struct mk_mpool *
mk_mpool_new(unsigned min, unsigned max, unsigned idle_secs, char *err, size_t errlen)
{
	struct mk_mpool *p;

	if (max == 0 || min > max) {
		snprintf(err, errlen, "worker threads: min %u, max %u", min, max);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->gone, NULL);
	p->min = min;
	p->max = max;
	p->idle_secs = idle_secs > 0 ? idle_secs : 30;
	pthread_mutex_lock(&p->mu);
	while (p->nthreads < min && pool_spawn(p) == 0)
		;
	pthread_mutex_unlock(&p->mu);
	if (p->nthreads < min) {
		snprintf(err, errlen, "cannot start %u worker threads: %s", min, strerror(errno));
		return mk_mpool_free(p);
	}
	return p;
}

int
mk_mpool_submit(struct mk_mpool *p, struct mk_mpool_job *job)
{
	int rc = 0;

	job->next = NULL;
	pthread_mutex_lock(&p->mu);
	/* every idle thread already has a job waiting for it: one more thread */
	if (p->nqueued >= p->nidle && p->nthreads < p->max && pool_spawn(p) == -1 &&
	    p->nthreads == 0)
		rc = -1;
	if (rc == 0) {
		if (p->tail != NULL)
			p->tail->next = job;
		else
			p->head = job;
		p->tail = job;
		p->nqueued++;
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

unsigned
mk_mpool_threads(struct mk_mpool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->mu);
	n = p->nthreads - p->nleaving;
	pthread_mutex_unlock(&p->mu);
	return n;
}

struct mk_mpool *
mk_mpool_free(struct mk_mpool *p)
{
	if (p == NULL)
		return NULL;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	while (p->nthreads > 0)
		pthread_cond_wait(&p->gone, &p->mu);
	pthread_mutex_unlock(&p->mu);
	pthread_cond_destroy(&p->gone);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return NULL;
}
