/*
 * policy-spf/engine.c: worker threads around libspf2 (see engine.h).
 *
 * Jobs go to a queue (mutex + condition variable); a worker takes one,
 * evaluates it with its own libspf2 server, puts it on the done list and
 * writes a byte to a pipe; the loop drains the done list and calls the
 * callbacks of the jobs not cancelled.  A cancelled job is freed by
 * whoever holds it last.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine.h"
#include "spf_libspf2.h"

#define ENGINE_THREADS_MAX 64

struct spf_job {
	struct spf_job *next;
	struct mk_spf_query q;
	char strs[4 * 600];
	struct mk_spf_outcome out;
	mk_spf_check_cb cb;
	void *arg;
	bool cancelled;
};

struct spf_engine {
	struct mk_dns *dns;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct spf_job *todo, *todo_tail, *done;
	bool stop;
	int nthreads;
	pthread_t threads[ENGINE_THREADS_MAX];
	int pipe[2];
	struct event *ev;
};

static void *
engine_worker(void *arg)
{
	struct spf_engine *e = arg;
	struct mk_spf2 *s2 = mk_spf2_new(e->dns);
	struct spf_job *j;
	char b = 1;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (e->todo == NULL && !e->stop)
			pthread_cond_wait(&e->cond, &e->lock);
		if (e->stop)
			break;
		j = e->todo;
		e->todo = j->next;
		if (e->todo == NULL)
			e->todo_tail = NULL;
		pthread_mutex_unlock(&e->lock);
		if (s2 != NULL) {
			mk_spf2_eval(s2, &j->q, &j->out);
		} else {
			j->out.result = MK_SPF_TEMPERROR;
			snprintf(j->out.reason, sizeof(j->out.reason), "libspf2 not available");
		}
		pthread_mutex_lock(&e->lock);
		j->next = e->done;
		e->done = j;
		if (write(e->pipe[1], &b, 1) == -1 && errno != EAGAIN)
			break;
	}
	pthread_mutex_unlock(&e->lock);
	mk_spf2_free(s2);
	return NULL;
}

static void
engine_ready(evutil_socket_t fd, short what, void *arg)
{
	struct spf_engine *e = arg;
	struct spf_job *list, *j;
	char buf[256];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&e->lock);
	list = e->done;
	e->done = NULL;
	pthread_mutex_unlock(&e->lock);
	while ((j = list) != NULL) {
		list = j->next;
		if (!j->cancelled)
			j->cb(&j->out, j->arg);
		free(j);
	}
}

struct spf_engine *
spf_engine_new(struct event_base *base, struct mk_dns *dns, int threads, char *err, size_t errlen)
{
	struct spf_engine *e = calloc(1, sizeof(*e));
	int i;

	if (e == NULL || pipe(e->pipe) == -1) {
		snprintf(err, errlen, "engine: %s", strerror(errno));
		free(e);
		return NULL;
	}
	for (i = 0; i < 2; i++)
		fcntl(e->pipe[i], F_SETFL, O_NONBLOCK), fcntl(e->pipe[i], F_SETFD, FD_CLOEXEC);
	e->dns = dns;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	e->ev = event_new(base, e->pipe[0], EV_READ | EV_PERSIST, engine_ready, e);
	event_add(e->ev, NULL);
	if (threads < 1)
		threads = 1;
	if (threads > ENGINE_THREADS_MAX)
		threads = ENGINE_THREADS_MAX;
	for (i = 0; i < threads; i++) {
		if (pthread_create(&e->threads[i], NULL, engine_worker, e) != 0)
			break;
		e->nthreads++;
	}
	if (e->nthreads == 0) {
		snprintf(err, errlen, "engine: cannot start threads");
		return spf_engine_free(e);
	}
	return e;
}

struct spf_engine *
spf_engine_free(struct spf_engine *e)
{
	struct spf_job *j;
	int i;

	if (e == NULL)
		return NULL;
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	for (i = 0; i < e->nthreads; i++)
		pthread_join(e->threads[i], NULL);
	while ((j = e->todo) != NULL) {
		e->todo = j->next;
		free(j);
	}
	while ((j = e->done) != NULL) {
		e->done = j->next;
		free(j);
	}
	if (e->ev)
		event_free(e->ev);
	close(e->pipe[0]);
	close(e->pipe[1]);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
	free(e);
	return NULL;
}

static const char *
job_str(char **p, char *end, const char *s)
{
	size_t n = strlen(s ? s : "");
	char *r = *p;

	if (n + 1 > (size_t)(end - *p))
		n = (size_t)(end - *p) - 1;
	memcpy(r, s ? s : "", n);
	r[n] = '\0';
	*p += n + 1;
	return r;
}

struct spf_job *
spf_engine_submit(struct spf_engine *e, const struct mk_spf_query *q, mk_spf_check_cb cb, void *arg)
{
	struct spf_job *j = calloc(1, sizeof(*j));
	char *p, *end;

	if (j == NULL)
		return NULL;
	p = j->strs;
	end = j->strs + sizeof(j->strs);
	j->q = *q;
	j->q.ip = job_str(&p, end, q->ip);
	j->q.sender = job_str(&p, end, q->sender);
	j->q.helo = job_str(&p, end, q->helo);
	j->q.receiver = job_str(&p, end, q->receiver);
	j->cb = cb;
	j->arg = arg;
	pthread_mutex_lock(&e->lock);
	if (e->todo_tail)
		e->todo_tail->next = j;
	else
		e->todo = j;
	e->todo_tail = j;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	return j;
}

void
spf_engine_cancel(struct spf_engine *e, struct spf_job *job)
{
	pthread_mutex_lock(&e->lock);
	job->cancelled = true;	/* freed when it comes back */
	pthread_mutex_unlock(&e->lock);
}
