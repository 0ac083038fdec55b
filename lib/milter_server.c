/*
 * lib/milter_server.c: milter engine own, the server part: event loop
 * shards (one per CPU by default, each a thread with its own listener on
 * the shared listening socket, its sessions, id map and worker pool for the
 * offloaded stages), and mk_milter_stop()'s drain.  The per-connection
 * protocol is lib/milter_session.c.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "lib/listen.h"
#include "lib/log.h"
#include "lib/milter_own.h"
#include "lib/milter_pool.h"
#include "lib/milter_proto.h"

/* A stage callback handed to a worker; its result comes back by id. */
struct own_job {
	struct mk_mpool_job job;	/* first */
	struct own_server *srv;
	uint64_t id;
	struct own_session *s;		/* busy: valid until the result is back */
	enum mk_milter_status status;
	struct own_job *done_next;
};

/* ---- id map ----------------------------------------------------------- */

void
own_server_add(struct own_server *srv, struct own_session *s)
{
	struct own_link *l = own_session_link(s);
	struct own_session **b;

	l->id = ++srv->next_id;
	b = &srv->map[l->id % OWN_MAP_BUCKETS];
	l->hnext = *b;
	*b = s;
	l->prev = NULL;
	l->next = srv->sessions;
	if (srv->sessions != NULL)
		own_session_link(srv->sessions)->prev = s;
	srv->sessions = s;
	srv->nsessions++;
}

void
own_server_remove(struct own_server *srv, struct own_session *s)
{
	struct own_link *l = own_session_link(s);
	struct own_session **pp = &srv->map[l->id % OWN_MAP_BUCKETS];

	while (*pp != NULL && *pp != s)
		pp = &own_session_link(*pp)->hnext;
	if (*pp == s)
		*pp = l->hnext;
	if (l->prev != NULL)
		own_session_link(l->prev)->next = l->next;
	else
		srv->sessions = l->next;
	if (l->next != NULL)
		own_session_link(l->next)->prev = l->prev;
	srv->nsessions--;
	if (srv->stopping && srv->nsessions == 0)
		event_base_loopbreak(srv->evb);
}

struct own_session *
own_server_find(struct own_server *srv, uint64_t id)
{
	struct own_session *s = srv->map[id % OWN_MAP_BUCKETS];

	while (s != NULL && own_session_link(s)->id != id)
		s = own_session_link(s)->hnext;
	return s;
}

/* ---- worker pool ------------------------------------------------------ */

static void
job_run(struct mk_mpool_job *j)
{
	struct own_job *job = (struct own_job *)j;
	struct own_server *srv = job->srv;

	job->status = own_session_call(job->s);
	pthread_mutex_lock(&srv->mu);
	if (srv->done_tail != NULL)
		srv->done_tail->done_next = job;
	else
		srv->done_head = job;
	srv->done_tail = job;
	pthread_mutex_unlock(&srv->mu);
	event_active(srv->ev_done, EV_READ, 0);
}

int
own_server_offload(struct own_server *srv, struct own_session *s)
{
	struct own_job *job;

	if (srv->pool == NULL || (job = calloc(1, sizeof(*job))) == NULL)
		return -1;
	job->job.fn = job_run;
	job->srv = srv;
	job->id = own_session_link(s)->id;
	job->s = s;
	if (mk_mpool_submit(srv->pool, &job->job) == -1) {
		free(job);
		return -1;
	}
	return 0;
}

/* Results of the workers, on the loop thread. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct own_server *srv = arg;
	struct own_job *job, *next;
	struct own_session *s;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&srv->mu);
	job = srv->done_head;
	srv->done_head = srv->done_tail = NULL;
	pthread_mutex_unlock(&srv->mu);
	for (; job != NULL; job = next) {
		next = job->done_next;
		s = own_server_find(srv, job->id);
		if (s != NULL && own_session_is_busy(s))
			own_session_resume(s, job->status);
		else
			mk_panic("milter: result for session %llx, which is not waiting for one",
			    (unsigned long long)job->id);
		free(job);
	}
}

/* ---- listener, stop, drain -------------------------------------------- */

static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct own_server *srv = arg;
	int one = 1;

	(void)lev;
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
		/* each reply is one write: no need to wait for the peer's ACK */
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
			mk_log_warn(NULL, "milter: TCP_NODELAY: %s", strerror(errno));
	}
	if (own_session_new(srv, fd, sa, salen) == NULL) {
		mk_log_warn(NULL, "milter: cannot start a session: out of memory");
		evutil_closesocket(fd);
	}
}

static void
on_relisten(evutil_socket_t fd, short what, void *arg)
{
	struct own_server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->lev != NULL)
		evconnlistener_enable(srv->lev);
}

/* accept() failed (EMFILE...): pause a second rather than spin. */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct own_server *srv = arg;
	struct timeval tv = { 1, 0 };

	mk_log_warn(NULL, "milter: accept on %s: %s", srv->spec, strerror(errno));
	evconnlistener_disable(lev);
	event_add(srv->ev_relisten, &tv);
}

static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct own_server *srv = arg;
	struct own_session *s, *next;

	(void)fd;
	(void)what;
	mk_log_notice(NULL, "milter: %u sessions still open after %d s: closing them",
	    srv->nsessions, OWN_DRAIN_SECS);
	for (s = srv->sessions; s != NULL; s = next) {
		next = own_session_link(s)->next;
		own_session_drop(s, "stopping");
	}
	if (srv->nsessions == 0)
		event_base_loopbreak(srv->evb);
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct own_server *srv = arg;
	struct timeval tv = { OWN_DRAIN_SECS, 0 };

	(void)fd;
	(void)what;
	if (srv->stopping)
		return;
	srv->stopping = true;
	if (srv->lev != NULL) {
		evconnlistener_free(srv->lev);
		srv->lev = NULL;
	}
	event_del(srv->ev_relisten);
	mk_log_info(NULL, "milter: stopping, %u sessions in flight", srv->nsessions);
	if (srv->nsessions == 0)
		event_base_loopbreak(srv->evb);
	else
		event_add(srv->ev_drain, &tv);
}

/* ---- engine ops ------------------------------------------------------- */

/* The engine's server: shards (event loops) sharing one listening socket. */
struct own_multi {
	struct mk_milter base;		/* first: lib/milter.c dispatches through it */
	pthread_mutex_t stop_mu;	/* a stop in progress (another thread) vs free */
	unsigned n;
	struct own_server *shard[OWN_LOOPS_MAX];
};

static struct mk_milter *e_free(struct mk_milter *m);
static void e_stop(struct mk_milter *m);
static struct own_server *shard_free(struct own_server *srv);
extern const struct mk_milter_engine_ops mk_milter_own_ops;

static int
open_events(struct own_server *srv, int fd, char *err, size_t errlen)
{
	srv->lev = evconnlistener_new(srv->evb, on_accept, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (srv->lev == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: cannot listen", srv->spec);
		return -1;
	}
	evconnlistener_set_error_cb(srv->lev, on_accept_error);
	srv->ev_stop = event_new(srv->evb, -1, 0, on_stop, srv);
	srv->ev_done = event_new(srv->evb, -1, 0, on_done, srv);
	srv->ev_drain = evtimer_new(srv->evb, on_drain, srv);
	srv->ev_relisten = evtimer_new(srv->evb, on_relisten, srv);
	if (srv->ev_stop == NULL || srv->ev_done == NULL || srv->ev_drain == NULL ||
	    srv->ev_relisten == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* One shard: an event loop with its own listener on the shared listening
 * socket (fd: the bound socket for shard 0, a dup() of it for the others;
 * the kernel hands each connection to one of them), its sessions, id map
 * and worker pool.  NULL with err. */
static int
shard_run(struct own_server *srv)
{
	char err[256];
	bool stop;

	if (srv->desc->offload != 0) {
		srv->pool = mk_mpool_new(srv->workers_min, srv->workers_max, OWN_WORKER_IDLE_SECS,
		    err, sizeof(err));
		if (srv->pool == NULL) {
			mk_log_err(NULL, "milter: %s", err);
			return -1;
		}
	}
	pthread_mutex_lock(&srv->mu);
	stop = srv->stop_requested;
	pthread_mutex_unlock(&srv->mu);
	if (stop)
		event_active(srv->ev_stop, EV_READ, 0);
	if (event_base_dispatch(srv->evb) == -1) {
		mk_log_err(NULL, "milter: event loop failed");
		return -1;
	}
	srv->pool = mk_mpool_free(srv->pool);
	return 0;
}

static void
shard_stop(struct own_server *srv)
{
	pthread_mutex_lock(&srv->mu);
	srv->stop_requested = true;
	pthread_mutex_unlock(&srv->mu);
	if (srv->ev_stop != NULL)
		event_active(srv->ev_stop, EV_READ, 0);
}

static struct own_server *
shard_free(struct own_server *srv)
{
	struct own_session *s;

	if (srv == NULL)
		return NULL;
	srv->stopping = false;	/* no loopbreak from here on */
	srv->pool = mk_mpool_free(srv->pool);	/* callbacks in flight finish */
	if (srv->ev_done != NULL)
		on_done(-1, 0, srv);
	while ((s = srv->sessions) != NULL)
		own_session_drop(s, "server freed");
	if (srv->lev != NULL)
		evconnlistener_free(srv->lev);
	if (srv->ev_stop != NULL)
		event_free(srv->ev_stop);
	if (srv->ev_done != NULL)
		event_free(srv->ev_done);
	if (srv->ev_drain != NULL)
		event_free(srv->ev_drain);
	if (srv->ev_relisten != NULL)
		event_free(srv->ev_relisten);
	if (srv->evb != NULL)
		event_base_free(srv->evb);
	if (srv->unix_path != NULL) {
		unlink(srv->unix_path);
		free(srv->unix_path);
	}
	free(srv->spec);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
	return NULL;
}

static struct own_server *
shard_open(const struct mk_milter_desc *desc, const struct mk_milter_opts *opts, int fd,
    unsigned workers_min, char *err, size_t errlen)
{
	struct own_server *srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (fd != -1)
			close(fd);
		return NULL;
	}
	srv->base.ops = &mk_milter_own_ops;
	pthread_mutex_init(&srv->mu, NULL);
	srv->desc = desc;
	srv->max_data = opts->max_data > 0 ? opts->max_data : MK_MP_DATA_MAX;
	srv->timeout = opts->timeout > 0 ? opts->timeout : 7210;
	srv->workers_max = opts->workers_max > 0 ? opts->workers_max : 256;
	srv->workers_min = workers_min;
	if (srv->workers_min > srv->workers_max)
		srv->workers_min = srv->workers_max;
	if ((srv->spec = strdup(opts->socket)) == NULL || (srv->evb = event_base_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (fd != -1)
			close(fd);
		goto fail;
	}
	if (fd == -1)
		fd = mk_listen(opts->socket, opts->backlog > 0 ? opts->backlog : 256,
		    &srv->unix_path, err, errlen);
	if (fd == -1 || open_events(srv, fd, err, errlen) == -1)
		goto fail;
	return srv;
fail:
	shard_free(srv);
	return NULL;
}

static long
ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

static struct mk_milter *
e_open(const struct mk_milter_desc *desc, const struct mk_milter_opts *opts, char *err,
    size_t errlen)
{
	struct own_multi *mm;
	unsigned i, n, wmin;
	int fd;

	if (opts->socket == NULL || opts->socket[0] == '\0') {
		snprintf(err, errlen, "no milter socket given");
		return NULL;
	}
	if (evthread_use_pthreads() == -1) {
		snprintf(err, errlen, "libevent: no thread support");
		return NULL;
	}
	n = opts->loops > 0 ? opts->loops : (unsigned)ncpus();
	if (n > OWN_LOOPS_MAX)
		n = OWN_LOOPS_MAX;
	wmin = opts->workers_min > 0 ? opts->workers_min : 2 * (unsigned)ncpus();
	wmin = (wmin + n - 1) / n;
	if ((mm = calloc(1, sizeof(*mm))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mm->base.ops = &mk_milter_own_ops;
	pthread_mutex_init(&mm->stop_mu, NULL);
	if ((mm->shard[0] = shard_open(desc, opts, -1, wmin, err, errlen)) == NULL)
		goto fail;
	mm->n = 1;
	for (i = 1; i < n; i++) {
		if ((fd = dup(evconnlistener_get_fd(mm->shard[0]->lev))) == -1) {
			snprintf(err, errlen, "%s: dup: %s", opts->socket, strerror(errno));
			goto fail;
		}
		if ((mm->shard[i] = shard_open(desc, opts, fd, wmin, err, errlen)) == NULL)
			goto fail;
		mm->n = i + 1;
	}
	return &mm->base;
fail:
	e_free(&mm->base);
	return NULL;
}

static void *
shard_thread(void *arg)
{
	struct own_server *srv = arg;

	srv->run_rc = shard_run(srv);
	return NULL;
}

/* Shard 0 runs in the caller's thread, the others in their own. */
static int
e_run(struct mk_milter *m)
{
	struct own_multi *mm = (struct own_multi *)m;
	pthread_t tid[OWN_LOOPS_MAX];
	bool started[OWN_LOOPS_MAX] = { false };
	unsigned i;
	int rc;

	mk_log_info(NULL, "milter: %s listening on %s (engine own, %u event loops)",
	    mm->shard[0]->desc->name != NULL ? mm->shard[0]->desc->name : "milter",
	    mm->shard[0]->spec, mm->n);
	for (i = 1; i < mm->n; i++) {
		if (pthread_create(&tid[i], NULL, shard_thread, mm->shard[i]) != 0) {
			mk_log_err(NULL, "milter: cannot start event loop thread %u", i);
			e_stop(m);
			break;
		}
		started[i] = true;
	}
	rc = shard_run(mm->shard[0]);
	e_stop(m);	/* one loop failed or stopped: all stop */
	for (i = 1; i < mm->n; i++) {
		if (!started[i])
			continue;
		pthread_join(tid[i], NULL);
		if (mm->shard[i]->run_rc == -1)
			rc = -1;
	}
	return rc;
}

static void
e_stop(struct mk_milter *m)
{
	struct own_multi *mm = (struct own_multi *)m;
	unsigned i;

	pthread_mutex_lock(&mm->stop_mu);
	for (i = 0; i < mm->n; i++)
		shard_stop(mm->shard[i]);
	pthread_mutex_unlock(&mm->stop_mu);
}

static struct mk_milter *
e_free(struct mk_milter *m)
{
	struct own_multi *mm = (struct own_multi *)m;
	unsigned i;

	/* a mk_milter_stop() from another thread may still be running */
	pthread_mutex_lock(&mm->stop_mu);
	pthread_mutex_unlock(&mm->stop_mu);
	/* the others first: shard 0 owns the unix socket path */
	for (i = mm->n; i-- > 0;)
		shard_free(mm->shard[i]);
	pthread_mutex_destroy(&mm->stop_mu);
	free(mm);
	return NULL;
}

const struct mk_milter_engine_ops mk_milter_own_ops = {
	.open = e_open,
	.run = e_run,
	.stop = e_stop,
	.free = e_free,
};
