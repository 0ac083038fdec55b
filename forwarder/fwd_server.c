/*
 * forwarder/fwd_server.c: listeners and connections (see fwd_server.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "lib/listen.h"
#include "lib/log.h"
#include "lib/netstring.h"
#include "forwarder/fwd_maps.h"
#include "forwarder/fwd_server.h"

#define FWD_FRAME_MAX (MK_SOCKMAP_REQUEST_MAX + MK_NETSTRING_DIGITS_MAX + 2)
#define FWD_OUT_MAX (256 * 1024)	/* stop reading while this much is unsent */
#define FWD_LISTENERS_MAX 8

enum conn_proto {
	PROTO_UNKNOWN,
	PROTO_SOCKMAP,
	PROTO_TCPTABLE,
};

struct conn {
	struct fwd_server *srv;
	struct bufferevent *bev;
	char id[17];
	enum conn_proto proto;
	const char *map;	/* listener's map for tcp_table, or NULL */
	bool closing;		/* close once the output has drained */
	struct conn *prev, *next;
};

struct listener {
	struct evconnlistener *lev;
	struct fwd_server *srv;
	const char *map;
	char *unix_path;
};

struct fwd_server {
	struct event_base *base;
	struct fwd_state **cur;
	long idle, max_conns;
	time_t (*now)(void);
	uint64_t next_id;
	size_t nconns;
	struct conn *conns;
	size_t nlisteners;
	struct listener listeners[FWD_LISTENERS_MAX];
	bool draining;			/* fwd_server_drain() called */
	struct event *drain_timer;
	/* one reply buffer: replies are built and written synchronously */
	struct fwd_result res;
	char out[FWD_VALUE_MAX * 3 + 64];
};

static const char *
proto_name(enum conn_proto p)
{
	return p == PROTO_SOCKMAP ? "socketmap" : p == PROTO_TCPTABLE ? "tcp_table" : "unknown";
}

static void
conn_free(struct conn *c)
{
	struct fwd_server *srv = c->srv;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nconns--;
	bufferevent_free(c->bev);
	free(c);
	if (srv->draining && srv->nconns == 0) {
		mk_log_kv(MK_LOG_NOTICE, NULL, "event", "drained", NULL);
		event_base_loopexit(srv->base, NULL);
	}
}

/* Draining: close c once nothing is left to answer or to send.  1 if freed. */
static int
conn_drain_check(struct conn *c)
{
	int pending = 0;

	if (!c->srv->draining || c->closing ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0 ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		return 0;
	/* requests still in the kernel's buffer: the read event will come */
	if (ioctl(bufferevent_getfd(c->bev), FIONREAD, &pending) == 0 && pending > 0)
		return 0;
	conn_free(c);
	return 1;
}

/* Log a protocol violation and close (after flushing what is queued). */
static void
conn_fail(struct conn *c, const char *why, const char *tcp_reply)
{
	mk_log_kv(MK_LOG_WARN, c->id, "event", "protocol-error", "proto", proto_name(c->proto),
	    "reason", why, NULL);
	if (tcp_reply != NULL)
		bufferevent_write(c->bev, tcp_reply, strlen(tcp_reply));
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_free(c);
}

static void
conn_answer(struct conn *c, const char *map, const char *key, size_t keylen)
{
	struct fwd_server *srv = c->srv;
	struct fwd_result *r = &srv->res;
	size_t n = 0;
	int rc;

	fwd_map_lookup(*srv->cur, map, key, keylen, srv->now(), r);
	mk_log_kv(r->status == MK_MAP_OK || r->status == MK_MAP_NOTFOUND ? MK_LOG_INFO :
	    MK_LOG_WARN, c->id, "map", map, "addr", key, "result", mk_map_status_name(r->status),
	    "value", r->status == MK_MAP_OK ? r->value : NULL, "reason", r->reason, NULL);
	if (c->proto == PROTO_SOCKMAP)
		rc = mk_sockmap_reply_format(r->status, r->value, srv->out, sizeof(srv->out), &n);
	else
		rc = mk_tcptable_reply_format(r->status,
		    r->status == MK_MAP_NOTFOUND ? (r->reason ? r->reason : "not found") : r->value,
		    srv->out, sizeof(srv->out), &n);
	if (rc == -1) {
		/* cannot happen with FWD_VALUE_MAX < the buffers; answer TEMP regardless */
		if (c->proto == PROTO_SOCKMAP)
			mk_sockmap_reply_format(MK_MAP_TEMP, "reply too long", srv->out,
			    sizeof(srv->out), &n);
		else
			mk_tcptable_reply_format(MK_MAP_TEMP, "reply too long", srv->out,
			    sizeof(srv->out), &n);
	}
	bufferevent_write(c->bev, srv->out, n);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > FWD_OUT_MAX)
		bufferevent_disable(c->bev, EV_READ);
}

/* One socketmap request if complete. 1 handled, 0 need more, -1 connection gone. */
static int
conn_sockmap(struct conn *c, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in), take = len < FWD_FRAME_MAX ? len : FWD_FRAME_MAX;
	const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)take);
	struct mk_netstring ns;
	struct mk_map_request req;
	const char *why;

	if (mk_netstring_parse(p, take, MK_SOCKMAP_REQUEST_MAX, &ns, &why) == -1) {
		conn_fail(c, why, NULL);
		return -1;
	}
	if (!ns.complete)
		return 0;
	if (mk_sockmap_request_parse(ns.data, ns.len, &req, &why) == -1) {
		conn_fail(c, why, NULL);
		return -1;
	}
	evbuffer_drain(in, ns.consumed);
	conn_answer(c, req.name, req.key, req.keylen);
	return 1;
}

static int
conn_tcptable(struct conn *c, struct evbuffer *in)
{
	char line[MK_TCPTABLE_LINE_MAX + 2];
	struct mk_map_request req;
	struct evbuffer_ptr eol;
	size_t eol_len = 0, len = evbuffer_get_length(in);
	const char *why;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos == -1) {
		if (len > MK_TCPTABLE_LINE_MAX) {
			conn_fail(c, "tcp_table: line too long", "400 request%20too%20long\n");
			return -1;
		}
		return 0;
	}
	if ((size_t)eol.pos > MK_TCPTABLE_LINE_MAX) {
		conn_fail(c, "tcp_table: line too long", "400 request%20too%20long\n");
		return -1;
	}
	evbuffer_remove(in, line, (size_t)eol.pos);
	evbuffer_drain(in, eol_len);
	if (mk_tcptable_request_parse(line, (size_t)eol.pos, &req, &why) == -1) {
		conn_fail(c, why, "400 bad%20request\n");
		return -1;
	}
	if (c->map == NULL) {
		conn_fail(c, "tcp_table request on a socket without a map",
		    "400 no%20map%20on%20this%20socket\n");
		return -1;
	}
	conn_answer(c, c->map, req.key, req.keylen);
	return 1;
}

/* Answer the complete requests in the input.  -1 if c was freed. */
static int
conn_process(struct conn *c)
{
	struct bufferevent *bev = c->bev;
	struct evbuffer *in = bufferevent_get_input(bev);
	int rc = 1;

	while (rc == 1 && !c->closing && evbuffer_get_length(in) > 0) {
		if (c->proto == PROTO_UNKNOWN) {
			unsigned char b;

			evbuffer_copyout(in, &b, 1);
			c->proto = isdigit(b) ? PROTO_SOCKMAP : PROTO_TCPTABLE;
		}
		rc = c->proto == PROTO_SOCKMAP ? conn_sockmap(c, in) : conn_tcptable(c, in);
		if (rc == 1 && evbuffer_get_length(bufferevent_get_output(bev)) > FWD_OUT_MAX)
			break;
	}
	return rc == -1 ? -1 : 0;
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (conn_process(c) == 0)
		(void)conn_drain_check(c);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->closing) {
		conn_free(c);
		return;
	}
	bufferevent_enable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0 && conn_process(c) == -1)
		return;
	(void)conn_drain_check(c);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		mk_log_kv(MK_LOG_DEBUG, c->id, "event", "idle-timeout", NULL);
	else if (what & BEV_EVENT_ERROR)
		mk_log_kv(MK_LOG_DEBUG, c->id, "event", "error", "reason",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()), NULL);
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		if (what & BEV_EVENT_EOF && evbuffer_get_length(bufferevent_get_input(bev)) > 0)
			mk_log_kv(MK_LOG_WARN, c->id, "event", "protocol-error", "reason",
			    "connection closed inside a request", NULL);
		conn_free(c);
	}
}

static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct listener *l = arg;
	struct fwd_server *srv = l->srv;
	struct timeval tv = { srv->idle, 0 };
	struct conn *c;

	(void)lev; (void)sa; (void)salen;
	if (srv->nconns >= (size_t)srv->max_conns || (c = calloc(1, sizeof(*c))) == NULL) {
		mk_log_kv(MK_LOG_WARN, NULL, "event", "connection-refused", "reason",
		    "MaxConnections reached", NULL);
		evutil_closesocket(fd);
		return;
	}
	c->srv = srv;
	c->map = l->map;
	snprintf(c->id, sizeof(c->id), "%" PRIx64, ++srv->next_id);
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 2 * FWD_FRAME_MAX);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
}

static void
on_listen_error(struct evconnlistener *lev, void *arg)
{
	(void)lev; (void)arg;
	mk_log_kv(MK_LOG_WARN, NULL, "event", "accept-error", "reason",
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()), NULL);
}

int
fwd_server_listen(struct fwd_server *srv, const char *spec, const char *map, char *err,
    size_t errlen)
{
	struct listener *l;
	evutil_socket_t fd;
	char *path = NULL;

	if (srv->nlisteners >= FWD_LISTENERS_MAX) {
		snprintf(err, errlen, "too many listeners");
		return -1;
	}
	l = &srv->listeners[srv->nlisteners];
	if ((fd = mk_listen(spec, 128, &path, err, errlen)) == -1)
		return -1;
	/* Postfix's proxymap/trivial-rewrite and chasquid connect as other
	 * users: the socket is for anyone on the host, as before */
	if (path != NULL && chmod(path, 0666) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		free(path);
		return -1;
	}
	l->srv = srv;
	l->map = map;
	l->lev = evconnlistener_new(srv->base, on_accept, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l->lev == NULL) {
		snprintf(err, errlen, "%s: cannot listen", spec);
		close(fd);
		if (path != NULL)
			unlink(path);
		free(path);
		return -1;
	}
	evconnlistener_set_error_cb(l->lev, on_listen_error);
	l->unix_path = path;
	srv->nlisteners++;
	return 0;
}

struct fwd_server *
fwd_server_new(struct event_base *base, struct fwd_state **cur, long idle_timeout,
    long max_conns, time_t (*now)(void))
{
	struct fwd_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL)
		return NULL;
	srv->base = base;
	srv->cur = cur;
	srv->idle = idle_timeout;
	srv->max_conns = max_conns;
	srv->now = now;
	return srv;
}

struct fwd_server *
fwd_server_free(struct fwd_server *srv)
{
	if (srv == NULL)
		return NULL;
	srv->draining = false;	/* no loopexit from conn_free now */
	while (srv->conns != NULL)
		conn_free(srv->conns);
	if (srv->drain_timer != NULL)
		event_free(srv->drain_timer);
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].lev != NULL)
			evconnlistener_free(srv->listeners[i].lev);
		if (srv->listeners[i].unix_path != NULL) {
			unlink(srv->listeners[i].unix_path);
			free(srv->listeners[i].unix_path);
		}
	}
	free(srv);
	return NULL;
}

size_t
fwd_server_conn_count(const struct fwd_server *srv)
{
	return srv->nconns;
}

static void
drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_server *srv = arg;
	char n[32];

	(void)fd; (void)what;
	snprintf(n, sizeof(n), "%zu", srv->nconns);
	mk_log_kv(MK_LOG_WARN, NULL, "event", "drain-timeout", "connections", n, NULL);
	event_base_loopexit(srv->base, NULL);
}

void
fwd_server_drain(struct fwd_server *srv, int max_seconds)
{
	struct timeval tv = { max_seconds, 0 };
	struct conn *c, *next;

	if (srv->draining) {	/* second signal: now */
		event_base_loopexit(srv->base, NULL);
		return;
	}
	srv->draining = true;
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].lev != NULL) {
			evconnlistener_free(srv->listeners[i].lev);
			srv->listeners[i].lev = NULL;
		}
	}
	if (srv->nconns == 0) {
		event_base_loopexit(srv->base, NULL);
		return;
	}
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		(void)conn_drain_check(c);
	}
	if (srv->nconns > 0 && (srv->drain_timer = evtimer_new(srv->base, drain_timeout,
	    srv)) != NULL)
		evtimer_add(srv->drain_timer, &tv);
}
