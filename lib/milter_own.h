/*
 * lib/milter_own.h: private to milter engine own, between the server
 * (lib/milter_server.c: listener, id map, worker pool, stop/drain) and the
 * per-connection state machine (lib/milter_session.c).
 *
 * Threads: everything here runs on the event loop thread, except
 * own_session_call() (a stage's callback), which runs on a worker for the
 * stages in desc->offload.  While a callback runs on a worker the session
 * is "busy": its reads are paused and it is never freed (a close that
 * comes meanwhile is deferred until the result is back).
 */
#ifndef MK_MILTER_OWN_H
#define MK_MILTER_OWN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "lib/milter.h"
#include "lib/milter_engine.h"

#define OWN_MAP_BUCKETS		256	/* session id map */
#define OWN_DRAIN_SECS		5	/* mk_milter_stop(): sessions get this long */
#define OWN_WORKER_IDLE_SECS	30	/* idle worker threads above min exit */
#define OWN_LOOPS_MAX		16	/* event loop threads (shards) */

struct own_session;
struct own_job;

struct own_server {
	struct mk_milter base;		/* first: lib/milter.c dispatches through it */
	const struct mk_milter_desc *desc;	/* borrowed */
	size_t max_data;
	unsigned timeout;
	unsigned workers_min, workers_max;
	struct event_base *evb;
	struct evconnlistener *lev;
	char *spec;
	char *unix_path;		/* unlinked by free */
	struct event *ev_stop, *ev_done, *ev_drain, *ev_relisten;
	struct mk_mpool *pool;		/* NULL when desc->offload is 0 */
	pthread_mutex_t mu;		/* stop_requested, done list */
	bool stop_requested;
	struct own_job *done_head, *done_tail;
	bool stopping;			/* loop thread: listener closed, draining */
	uint64_t next_id;
	unsigned nsessions;
	struct own_session *sessions;	/* all, linked by own_session's next/prev */
	struct own_session *map[OWN_MAP_BUCKETS];
	int run_rc;			/* shard thread's result */
};

/* lib/milter_session.c */
struct own_session *own_session_new(struct own_server *srv, evutil_socket_t fd,
    const struct sockaddr *sa, int salen);
/* The stage callback for the packet in hand (loop thread or a worker). */
enum mk_milter_status own_session_call(struct own_session *s);
/* Send out (drained) to the MTA: written at once when nothing is queued,
 * the rest (or all) queued behind what is.  0, or -1. */
int own_session_send(struct own_session *s, struct evbuffer *out);
/* A worker's result is back (loop thread).  May free s. */
void own_session_resume(struct own_session *s, enum mk_milter_status st);
/* Close now (stop, drain timeout): frees s, or if busy shuts the socket
 * down and frees it once its callback is back. */
void own_session_drop(struct own_session *s, const char *why);
bool own_session_is_busy(const struct own_session *s);
/* The server's bookkeeping inside each session. */
struct own_link {
	uint64_t id;
	struct own_session *next, *prev;	/* srv->sessions */
	struct own_session *hnext;		/* srv->map bucket */
};
struct own_link *own_session_link(struct own_session *s);

/* lib/milter_server.c */
void own_server_add(struct own_server *srv, struct own_session *s);
void own_server_remove(struct own_server *srv, struct own_session *s);
struct own_session *own_server_find(struct own_server *srv, uint64_t id);
/* Run s's stage callback on a worker; own_session_resume() follows. 0 / -1. */
int own_server_offload(struct own_server *srv, struct own_session *s);

#endif
