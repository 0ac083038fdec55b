/*
 * policy-spf/server.c: libevent policy server.
 *
 * Each connection handles one request at a time: a request is framed and
 * parsed from the input buffer (bounded by a read high-watermark), its
 * checks run asynchronously (lib/spf_dns), the reply is written, and only
 * then is the next buffered request looked at, so answers keep the order of
 * the requests.  Exim's ${readsocket} half-closes after its request (with or
 * without the final empty line): at EOF the rest of the input is taken as
 * the last request, and the connection is closed once the reply is written.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "decide.h"
#include "dns.h"
#include "engine.h"
#include "policy-spf/listen.h"
#include "log.h"
#include "policy.h"
#include "server.h"
#include "spf_dns.h"
#include "whitelist.h"

#define SPF_DRAIN_MAX_S 30	/* SIGTERM: longest wait for requests in flight */
#define SPF_DISCARD_MAX (1024 * 1024)	/* bytes dropped after a fatal input error */

enum conn_state {
	CONN_IDLE = 0,		/* waiting for a request */
	CONN_WL,		/* Domain/HELO/PTR whitelist check running */
	CONN_CHECK,		/* HELO and/or MAIL FROM checks running */
};

struct conn {
	struct spf_server *srv;
	struct bufferevent *bev;
	struct conn *prev, *next;
	enum conn_state state;
	bool eof;		/* the client shut down its side */
	bool closing;		/* close when the output has drained */
	bool in_next;		/* inside conn_next(): replies do not recurse */
	bool discard;		/* after a fatal input error: drop input until EOF */
	size_t discarded;
	char id[24];
	struct spf_conf *conf;	/* snapshot for the request in flight */
	struct mk_policy_req req;
	struct mk_spf_outcome helo, mailfrom, wl;
	bool want_helo, want_mf;	/* identities checked for this request */
	bool helo_ready, mf_ready;	/* outcome known */
	bool helo_decided, mf_started;
	struct mk_spf_check *chk;	/* whitelist check */
	struct mk_spf_check *chk_helo, *chk_mf;	/* native engine: both at once */
	struct spf_job *job;	/* Engine = libspf2: one check at a time */
	enum mk_spf_identity job_id;
	struct timespec started;
	char last_instance[sizeof(((struct mk_policy_req *)0)->instance)];
	enum spf_verdict last_verdict;
};

struct spf_server {
	struct event_base *base;
	struct spf_conf *conf;
	struct evconnlistener *lis;
	char *unix_path;
	struct mk_dns *dns;
	struct mk_spf_dns *sd;
	struct spf_engine *engine;	/* NULL: native engine */
	struct conn *conns;
	size_t nconns;
	uint64_t next_id;
	bool draining;
	struct event *drain_timer;
};

static void conn_next(struct conn *c);

/* Cancel whatever check is running (their callbacks will not run). */
static void
conn_cancel_checks(struct conn *c)
{
	if (c->chk != NULL)
		mk_spf_check_cancel(c->chk);
	if (c->chk_helo != NULL)
		mk_spf_check_cancel(c->chk_helo);
	if (c->chk_mf != NULL)
		mk_spf_check_cancel(c->chk_mf);
	if (c->job != NULL)
		spf_engine_cancel(c->srv->engine, c->job);
	c->chk = c->chk_helo = c->chk_mf = NULL;
	c->job = NULL;
}

static void
conn_free(struct conn *c)
{
	struct spf_server *s = c->srv;

	conn_cancel_checks(c);
	bufferevent_free(c->bev);
	spf_conf_unref(c->conf);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
	if (s->draining && s->nconns == 0)
		event_base_loopexit(s->base, NULL);
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Write the reply, log the decision, and go on with the next request. */
static void
conn_reply(struct conn *c, enum spf_verdict v, const char *action, const char *identity,
    const char *result, const char *why)
{
	char out[MK_POLICY_REPLY_MAX], act[MK_POLICY_REPLY_MAX], ms[32];
	size_t n;

	snprintf(act, sizeof(act), "%s", action);
	v = spf_decide_mode(c->conf, v, act, sizeof(act));	/* TestOnly, Header_Type None */
	n = mk_policy_reply(act, out, sizeof(out));
	bufferevent_write(c->bev, out, n);
	snprintf(ms, sizeof(ms), "%.3f", elapsed_ms(&c->started));
	mk_log_kv(MK_LOG_INFO, c->req.queue_id[0] ? c->req.queue_id : c->id,
	    "client", c->req.client_address, "helo", c->req.helo_name,
	    "sender", c->req.sender, "identity", identity, "result", result,
	    "action", spf_verdict_name(v), "reason", why ? why : "", "ms", ms, NULL);
	snprintf(c->last_instance, sizeof(c->last_instance), "%s", c->req.instance);
	c->last_verdict = v;
	c->state = CONN_IDLE;
	spf_conf_unref(c->conf);
	c->conf = NULL;
	if (!c->in_next)
		conn_next(c);	/* may free c */
}

static void
conn_error_reply(struct conn *c, const char *why, bool close_after)
{
	char out[MK_POLICY_REPLY_MAX];
	size_t n = mk_policy_reply("DEFER_IF_PERMIT Service temporarily unavailable", out, sizeof(out));

	mk_log_kv(MK_LOG_WARN, c->id, "error", why, "action", "defer", NULL);
	bufferevent_write(c->bev, out, n);
	if (close_after) {
		/* no resync is possible: answer once, then read and drop what
		 * the client still sends (closing now would reset the
		 * connection and lose the reply), and close at EOF */
		c->discard = true;
		evbuffer_drain(bufferevent_get_input(c->bev),
		    evbuffer_get_length(bufferevent_get_input(c->bev)));
	}
}

static void job_done(const struct mk_spf_outcome *o, void *arg);
static void helo_done(const struct mk_spf_outcome *o, void *arg);
static void mf_done(const struct mk_spf_outcome *o, void *arg);

/* Start the check of one identity: 1 running (its callback will set the
 * ready flag), 0 done now (outcome filled). */
static int
conn_check(struct conn *c, enum mk_spf_identity id)
{
	struct mk_spf_query q = { 0 };
	struct mk_spf_outcome *o = id == MK_SPF_ID_HELO ? &c->helo : &c->mailfrom;

	q.ip = c->req.client_address;
	q.sender = spf_decide_null_sender(&c->req) ? "" : c->req.sender;
	q.helo = c->req.helo_name;
	q.receiver = c->conf->authserv_id;
	q.identity = id;
	q.now = time(NULL);
	q.void_max_set = true;
	q.void_max = c->conf->void_limit;
	if (c->srv->engine != NULL) {
		c->job_id = id;
		c->job = spf_engine_submit(c->srv->engine, &q, job_done, c);
		if (c->job != NULL)
			return 1;
		memset(o, 0, sizeof(*o));
		o->result = MK_SPF_TEMPERROR;
		snprintf(o->reason, sizeof(o->reason), "out of memory");
		return 0;
	}
	if (id == MK_SPF_ID_HELO)
		return mk_spf_check_start(c->srv->sd, &q, helo_done, c, o, &c->chk_helo) == 1;
	return mk_spf_check_start(c->srv->sd, &q, mf_done, c, o, &c->chk_mf) == 1;
}

/* Continue the decision with the outcomes known so far; returns when one
 * it needs is still running.  HELO is decided first (a HELO reject ends
 * the request, as in policyd-spf), then MAIL FROM. */
static void
conn_decide(struct conn *c)
{
	char action[MK_POLICY_REPLY_MAX];
	enum spf_verdict v;
	const struct spf_conf *cf = c->conf;
	const char *rclass;

	if (c->want_helo && !c->helo_decided) {
		if (!c->helo_ready)
			return;
		c->helo_decided = true;
		v = spf_decide_identity(cf, &c->req, MK_SPF_ID_HELO, &c->helo, action, sizeof(action));
		if (v != SPF_V_NONE) {
			conn_cancel_checks(c);	/* a MAIL FROM check running: not needed */
			conn_reply(c, v, action, "helo", mk_spf_result_name(c->helo.result), c->helo.reason);
			return;
		}
		if (!c->want_mf) {
			spf_decide_header(cf, &c->req, MK_SPF_ID_HELO, &c->helo, action, sizeof(action));
			conn_reply(c, SPF_V_PREPEND, action, "helo", mk_spf_result_name(c->helo.result),
			    c->helo.reason);
			return;
		}
	}
	if (!c->mf_started) {	/* one check at a time (Engine = libspf2) */
		c->mf_started = true;
		if (conn_check(c, MK_SPF_ID_MAILFROM) == 0)
			c->mf_ready = true;
	}
	if (!c->mf_ready)
		return;
	rclass = spf_decide_restriction(cf, &c->req, c->want_helo ? &c->helo : NULL, &c->mailfrom);
	if (rclass != NULL) {
		conn_reply(c, SPF_V_RESTRICT, rclass, "mailfrom", mk_spf_result_name(c->mailfrom.result),
		    c->mailfrom.reason);
		return;
	}
	v = spf_decide_identity(cf, &c->req, MK_SPF_ID_MAILFROM, &c->mailfrom, action, sizeof(action));
	if (v == SPF_V_NONE) {
		v = SPF_V_PREPEND;
		spf_decide_header(cf, &c->req, MK_SPF_ID_MAILFROM, &c->mailfrom, action, sizeof(action));
	}
	conn_reply(c, v, action, "mailfrom", mk_spf_result_name(c->mailfrom.result), c->mailfrom.reason);
}

static void
helo_done(const struct mk_spf_outcome *o, void *arg)
{
	struct conn *c = arg;

	c->chk_helo = NULL;
	c->helo = *o;
	c->helo_ready = true;
	conn_decide(c);
}

static void
mf_done(const struct mk_spf_outcome *o, void *arg)
{
	struct conn *c = arg;

	c->chk_mf = NULL;
	c->mailfrom = *o;
	c->mf_ready = true;
	conn_decide(c);
}

static void
job_done(const struct mk_spf_outcome *o, void *arg)
{
	struct conn *c = arg;

	c->job = NULL;
	if (c->job_id == MK_SPF_ID_HELO)
		helo_done(o, arg);
	else
		mf_done(o, arg);
}

/* Start the SPF checks.  Native engine, cold cache: the HELO and MAIL FROM
 * checks run at the same time (their DNS lookups overlap); the decision
 * still takes HELO first.  Engine = libspf2: HELO, then MAIL FROM. */
static void
conn_start_checks(struct conn *c)
{
	c->want_helo = c->conf->helo_reject != SPF_REJ_NO_CHECK && c->req.helo_name[0] != '\0';
	c->want_mf = c->conf->mail_from_reject != SPF_REJ_NO_CHECK;
	c->helo_ready = c->mf_ready = c->helo_decided = c->mf_started = false;
	memset(&c->helo, 0, sizeof(c->helo));
	memset(&c->mailfrom, 0, sizeof(c->mailfrom));
	if (!c->want_helo && !c->want_mf) {
		conn_reply(c, SPF_V_DUNNO, "DUNNO", "none", "none", "no identity checked");
		return;
	}
	c->state = CONN_CHECK;
	if (c->want_helo && conn_check(c, MK_SPF_ID_HELO) == 0)
		c->helo_ready = true;
	if (c->want_mf && c->srv->engine == NULL) {
		c->mf_started = true;
		if (conn_check(c, MK_SPF_ID_MAILFROM) == 0)
			c->mf_ready = true;
	}
	conn_decide(c);
}

/* The DNS whitelists' outcome: the trace header, or the SPF checks. */
static void
conn_wl_decided(struct conn *c)
{
	char action[MK_POLICY_REPLY_MAX], why[MK_SPF_REASON_MAX + MK_DNS_NAME_MAX + 4];

	if (c->wl.result != MK_SPF_PASS) {
		conn_start_checks(c);
		return;
	}
	spf_decide_trace(c->conf, &c->req, c->wl.reason, action, sizeof(action));
	snprintf(why, sizeof(why), "%s %s", c->wl.reason, c->wl.domain);
	conn_reply(c, SPF_V_PREPEND, action, "none", "skipped", why);
}

static void
wl_done(const struct mk_spf_outcome *o, void *arg)
{
	struct conn *c = arg;

	c->chk = NULL;
	c->wl = *o;
	conn_wl_decided(c);
}

/* A parsed request: skip, or start the checks. */
static void
conn_request(struct conn *c)
{
	const char *why = NULL;
	const char *skip;
	char action[MK_POLICY_REPLY_MAX];
	struct mk_spf_query q = { 0 };

	c->conf = spf_conf_ref(c->srv->conf);
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	if (mk_log_get_level() >= MK_LOG_DEBUG)
		mk_log_kv(MK_LOG_DEBUG, c->id, "event", "request", "client", c->req.client_address,
		    "sender", c->req.sender, NULL);
	if (mk_policy_check(&c->req, &why) == -1) {
		spf_conf_unref(c->conf);
		c->conf = NULL;
		conn_error_reply(c, why, false);
		return;
	}
	if (c->conf->mock) {	/* policyd-spf's Mock: a fixed answer */
		conn_reply(c, SPF_V_DUNNO, "DUNNO mock header field that should be ignored", "none",
		    "skipped", "Mock");
		return;
	}
	if (c->req.sasl_username[0] != '\0') {
		conn_reply(c, SPF_V_DUNNO, "DUNNO", "none", "skipped", "authenticated client");
		return;
	}
	/* Postfix asks once per recipient: the header goes in once per message */
	if (c->req.instance[0] != '\0' && strcmp(c->req.instance, c->last_instance) == 0 &&
	    c->last_verdict == SPF_V_PREPEND) {
		conn_reply(c, SPF_V_DUNNO, "DUNNO", "none", "repeated", "header already added");
		return;
	}
	skip = spf_decide_skip(c->conf, &c->req);
	if (skip != NULL) {
		spf_decide_trace(c->conf, &c->req, skip, action, sizeof(action));
		conn_reply(c, SPF_V_PREPEND, action, "none", "skipped", skip);
		return;
	}
	if (!spf_decide_has_dns_whitelist(c->conf)) {
		conn_start_checks(c);
		return;
	}
	q.ip = c->req.client_address;
	q.helo = c->req.helo_name;
	q.sender = "";
	q.receiver = c->conf->authserv_id;
	q.now = time(NULL);
	q.void_max_set = true;
	q.void_max = c->conf->void_limit;
	c->state = CONN_WL;
	if (mk_spf_check_start_fn(c->srv->sd, &q, spf_wl_eval, c->conf, wl_done, c, &c->wl,
	    &c->chk) == 1)
		return;
	conn_wl_decided(c);
}

/* Look at the buffered input: take the next request if idle. */
static void
conn_next(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const char *why;
	size_t len, n;
	char *buf;

	while (c->state == CONN_IDLE && !c->closing && !c->srv->draining) {
		len = evbuffer_get_length(in);
		if (len == 0)
			break;
		buf = (char *)evbuffer_pullup(in, (ev_ssize_t)(len > MK_POLICY_REQUEST_MAX ?
		    MK_POLICY_REQUEST_MAX : len));
		n = mk_policy_frame(buf, len > MK_POLICY_REQUEST_MAX ? MK_POLICY_REQUEST_MAX : len);
		if (n == 0 && len >= MK_POLICY_REQUEST_MAX) {
			conn_error_reply(c, "request too long", true);
			return;
		}
		if (n == 0 && !c->eof)
			return;	/* wait for the rest */
		if (n == 0)
			n = len;	/* EOF: the rest is the last request (Exim) */
		if (mk_policy_parse(buf, n, &c->req, &why) == -1) {
			evbuffer_drain(in, n);
			/* an unparseable line: answer once and close (no resync) */
			conn_error_reply(c, why, true);
			return;
		}
		evbuffer_drain(in, n);
		if (c->req.nattrs == 0)
			continue;	/* a stray empty line */
		c->in_next = true;
		conn_request(c);	/* may reply at once: then loop */
		c->in_next = false;
	}
	if (c->state == CONN_IDLE && !c->closing &&
	    ((c->eof && evbuffer_get_length(in) == 0) || c->srv->draining)) {
		c->closing = true;
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_free(c);
	}
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->discard) {
		c->discarded += evbuffer_get_length(in);
		evbuffer_drain(in, evbuffer_get_length(in));
		if (c->discarded > SPF_DISCARD_MAX)
			conn_free(c);
		return;
	}
	conn_next(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing)
		conn_free(c);
	else if (c->discard)
		shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF) {
		c->eof = true;
		if (c->discard) {
			conn_free(c);
			return;
		}
		if (c->state == CONN_IDLE)
			conn_next(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if (c->state == CONN_IDLE) {
			mk_log_kv(MK_LOG_INFO, c->id, "event", "idle timeout", NULL);
			conn_free(c);
		} else {
			bufferevent_enable(c->bev, EV_READ);
		}
		return;
	}
	if (c->state != CONN_IDLE)
		mk_log_kv(MK_LOG_WARN, c->id, "error", "client disconnected with a request in flight",
		    NULL);
	conn_free(c);
}

static void
server_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct spf_server *s = arg;
	struct timeval tv = { 0, 0 };
	struct conn *c;

	(void)l; (void)sa; (void)salen;
	if (s->draining || s->nconns >= (size_t)s->conf->max_connections) {
		mk_log_warn(NULL, "event=refused reason=\"%s\"", s->draining ? "draining" :
		    "Max_Connections reached");
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->srv = s;
	snprintf(c->id, sizeof(c->id), "%llx", (unsigned long long)++s->next_id);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, MK_POLICY_REQUEST_MAX + 1);
	tv.tv_sec = s->conf->idle_timeout;
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

struct spf_server *
spf_server_new(struct event_base *base, struct spf_conf *conf, char *err, size_t errlen)
{
	struct spf_server *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->conf = spf_conf_ref(conf);
	s->dns = mk_dns_new(conf->resolver, (unsigned)conf->dns_timeout * 1000, err, errlen);
	if (s->dns == NULL)
		goto fail;
	s->sd = mk_spf_dns_new(s->dns, base, (size_t)conf->cache_size);
	if (s->sd == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (conf->engine_libspf2 &&
	    (s->engine = spf_engine_new(base, s->dns, (int)conf->engine_threads, err, errlen)) == NULL)
		goto fail;
	s->lis = spf_listen(base, conf->socket, conf->socket_mode, conf->socket_owner, server_accept,
	    s, &s->unix_path, err, errlen);
	if (s->lis == NULL)
		goto fail;
	return s;
fail:
	spf_server_free(s);
	return NULL;
}

void
spf_server_reload(struct spf_server *s, struct spf_conf *conf)
{
	if (strcmp(conf->socket, s->conf->socket) != 0 || strcmp(conf->resolver, s->conf->resolver) != 0 ||
	    conf->cache_size != s->conf->cache_size || conf->engine_libspf2 != s->conf->engine_libspf2)
		mk_log_warn(NULL, "event=reload note=\"Socket, Resolver, Cache_Size and Engine changes need a restart\"");
	spf_conf_unref(s->conf);
	s->conf = spf_conf_ref(conf);
	mk_spf_dns_flush(s->sd);
	mk_log_info(NULL, "event=reload status=ok");
}

static void
drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct spf_server *s = arg;

	(void)fd; (void)what;
	mk_log_warn(NULL, "event=drain status=timeout connections=%zu", s->nconns);
	event_base_loopexit(s->base, NULL);
}

void
spf_server_drain(struct spf_server *s)
{
	struct conn *c, *next;
	struct timeval tv = { SPF_DRAIN_MAX_S, 0 };

	if (s->draining)
		return;
	s->draining = true;
	if (s->lis != NULL) {
		evconnlistener_free(s->lis);
		s->lis = NULL;
	}
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == CONN_IDLE && !c->closing)
			conn_free(c);
	}
	if (s->nconns == 0) {
		event_base_loopexit(s->base, NULL);
		return;
	}
	s->drain_timer = evtimer_new(s->base, drain_timeout, s);
	if (s->drain_timer != NULL)
		evtimer_add(s->drain_timer, &tv);
}

struct spf_server *
spf_server_free(struct spf_server *s)
{
	if (s == NULL)
		return NULL;
	s->draining = false;	/* no loopexit from conn_free now */
	while (s->conns != NULL)
		conn_free(s->conns);
	if (s->lis != NULL)
		evconnlistener_free(s->lis);
	if (s->unix_path != NULL) {
		unlink(s->unix_path);
		free(s->unix_path);
	}
	if (s->drain_timer != NULL)
		event_free(s->drain_timer);
	spf_engine_free(s->engine);
	mk_spf_dns_free(s->sd);
	mk_dns_free(s->dns);
	spf_conf_unref(s->conf);
	free(s);
	return NULL;
}
