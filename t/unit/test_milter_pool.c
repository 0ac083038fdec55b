/*
 * t/unit/test_milter_pool.c: the worker pool of milter engine own
 * (lib/milter_pool.c): min threads at start, growth while all are busy up
 * to max, FIFO queueing beyond, idle threads above min exit, free waits.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "lib/milter_pool.h"
#include "tap.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool released;
static int running, done;

static void
job_block(struct mk_mpool_job *j)
{
	(void)j;
	pthread_mutex_lock(&mu);
	running++;
	pthread_cond_broadcast(&cv);
	while (!released)
		pthread_cond_wait(&cv, &mu);
	running--;
	done++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Wait (at most 5 s) until *v reaches want. */
static int
wait_count(int *v, int want)
{
	struct timespec ts;
	int got;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&mu);
	while (*v < want && pthread_cond_timedwait(&cv, &mu, &ts) == 0)
		;
	got = *v;
	pthread_mutex_unlock(&mu);
	return got;
}

static unsigned
wait_threads(struct mk_mpool *p, unsigned want, int secs)
{
	unsigned n = mk_mpool_threads(p);

	for (int i = 0; i < secs * 20 && n != want; i++) {
		usleep(50000);
		n = mk_mpool_threads(p);
	}
	return n;
}

int
main(void)
{
	struct mk_mpool_job jobs[6];
	struct mk_mpool *p;
	char err[128];

	ok(mk_mpool_new(0, 0, 1, err, sizeof(err)) == NULL, "max 0: refused (%s)", err);
	ok(mk_mpool_new(3, 2, 1, err, sizeof(err)) == NULL, "min > max: refused");
	p = mk_mpool_new(1, 4, 1, err, sizeof(err));
	if (!ok(p != NULL, "pool 1..4 started"))
		return done_testing();
	is_int(mk_mpool_threads(p), 1, "min threads at start");
	for (int i = 0; i < 6; i++) {
		jobs[i].fn = job_block;
		is_int(mk_mpool_submit(p, &jobs[i]), 0, "job %d submitted", i);
	}
	is_int(wait_count(&running, 4), 4, "all busy: grown to max, 4 jobs run at once");
	usleep(100000);
	is_int(running, 4, "no more than max run");
	is_int(mk_mpool_threads(p), 4, "4 threads (max)");
	pthread_mutex_lock(&mu);
	released = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	is_int(wait_count(&done, 6), 6, "released: the 2 queued jobs ran too");
	is_int(wait_threads(p, 1, 4), 1, "idle threads above min exited (idle 1 s)");
	p = mk_mpool_free(p);
	ok(p == NULL, "free returns NULL");
	ok(mk_mpool_free(NULL) == NULL, "free(NULL)");
	p = mk_mpool_new(0, 2, 30, err, sizeof(err));
	released = true;
	done = 0;
	is_int(mk_mpool_submit(p, &jobs[0]), 0, "min 0: a job starts a thread");
	is_int(wait_count(&done, 1), 1, "  and runs");
	mk_mpool_free(p);
	ok(1, "free with an idle thread waiting 30 s returns at once");
	return done_testing();
}
