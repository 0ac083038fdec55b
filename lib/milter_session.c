/*
 * lib/milter_session.c: milter engine own, one MTA connection: read
 * frames (bounded), check each command against the state machine, run the
 * stage's callback (inline, or on a worker for the stages in
 * desc->offload, reads paused meanwhile) and write its reply in one go.
 * The calls a callback may make (mk_milter_setreply, _addheader...) are in
 * lib/milter_ctx.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "lib/log.h"
#include "lib/milter_proto.h"
#include "lib/milter_own.h"
#include "lib/milter_sess.h"

#define M(st) (1U << (st))
#define ST_CONNECTED (M(ST_CONNECT) | M(ST_READY) | M(ST_MAIL) | M(ST_RCPT) | M(ST_DATA) | \
	M(ST_HEADER) | M(ST_EOH) | M(ST_BODY))
#define ST_INMSG (M(ST_MAIL) | M(ST_RCPT) | M(ST_DATA) | M(ST_HEADER) | M(ST_EOH) | M(ST_BODY))

/* What a command handler tells the read loop. */
enum handled {
	H_OK,		/* go on with the next frame */
	H_BUSY,		/* a worker has the callback: stop reading */
	H_CLOSE,	/* close the session (the caller frees it, then returns) */
};

const char *
own_state_name(enum own_state st)
{
	static const char *const names[] = {
		[ST_OPTNEG] = "optneg", [ST_CONNECT] = "connect", [ST_READY] = "ready",
		[ST_MAIL] = "mail", [ST_RCPT] = "rcpt", [ST_DATA] = "data",
		[ST_HEADER] = "header", [ST_EOH] = "eoh", [ST_BODY] = "body",
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

static void
enter_state(struct own_session *s, enum own_state st)
{
	if (s->state != st)
		mk_log_debug(s->idstr, "milter: state %s -> %s", own_state_name(s->state),
		    own_state_name(st));
	s->state = st;
}

/* ---- stages ----------------------------------------------------------- */

/* The stages with a callback and a reply. */
struct stage_def {
	int code;
	unsigned mstage;	/* MK_MSTAGE_*: offloaded? */
	unsigned long nr;	/* MK_MP_NR_*: no reply */
	enum own_state next;	/* -1: unchanged */
	int slot;		/* macros of this stage */
};

static const struct stage_def stages[] = {
	{ MK_MPC_CONNECT, MK_MSTAGE_CONNECT, MK_MP_NR_CONN, ST_READY, OWN_MAC_CONNECT },
	{ MK_MPC_HELO, MK_MSTAGE_HELO, MK_MP_NR_HELO, ST_READY, OWN_MAC_HELO },
	{ MK_MPC_MAIL, MK_MSTAGE_ENVFROM, MK_MP_NR_MAIL, ST_MAIL, OWN_MAC_MAIL },
	{ MK_MPC_RCPT, MK_MSTAGE_ENVRCPT, MK_MP_NR_RCPT, ST_RCPT, OWN_MAC_RCPT },
	{ MK_MPC_DATA, MK_MSTAGE_DATA, MK_MP_NR_DATA, ST_DATA, OWN_MAC_DATA },
	{ MK_MPC_HEADER, MK_MSTAGE_HEADER, MK_MP_NR_HDR, ST_HEADER, OWN_MAC_HEADER },
	{ MK_MPC_EOH, MK_MSTAGE_EOH, MK_MP_NR_EOH, ST_EOH, OWN_MAC_EOH },
	{ MK_MPC_BODY, MK_MSTAGE_BODY, MK_MP_NR_BODY, ST_BODY, OWN_MAC_BODY },
	{ MK_MPC_BODYEOB, MK_MSTAGE_EOM, 0, ST_READY, OWN_MAC_EOM },
	{ MK_MPC_UNKNOWN, 0, MK_MP_NR_UNKN, (enum own_state)-1, OWN_MAC_UNKNOWN },
	{ 0, 0, 0, 0, 0 },
};

static const struct stage_def *
stage_find(int code)
{
	const struct stage_def *d;

	for (d = stages; d->code != 0; d++)
		if (d->code == code)
			return d;
	return NULL;
}

/* Whether the desc has a callback for this stage. */
static bool
stage_has_cb(const struct mk_milter_desc *desc, int code)
{
	switch (code) {
	case MK_MPC_CONNECT: return desc->connect != NULL;
	case MK_MPC_HELO: return desc->helo != NULL;
	case MK_MPC_MAIL: return desc->envfrom != NULL;
	case MK_MPC_RCPT: return desc->envrcpt != NULL;
	case MK_MPC_DATA: return desc->data != NULL;
	case MK_MPC_HEADER: return desc->header != NULL;
	case MK_MPC_EOH: return desc->eoh != NULL;
	case MK_MPC_BODY: return desc->body != NULL;
	case MK_MPC_BODYEOB: return desc->eom != NULL || desc->body != NULL;
	}
	return false;
}

/* The address of a CONNECT as a sockaddr (NULL: unknown or unparsable). */
static const struct sockaddr *
connect_sa(struct own_session *s)
{
	const struct mk_mp_cmd *c = &s->cmd;
	struct sockaddr_in *sin = (struct sockaddr_in *)&s->peer;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->peer;
	struct sockaddr_un *sun = (struct sockaddr_un *)&s->peer;
	const char *a = c->addr;

	memset(&s->peer, 0, sizeof(s->peer));
	if (c->family == MK_MPA_INET && inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(c->port);
	} else if (c->family == MK_MPA_INET6) {
		if (strncasecmp(a, "IPv6:", 5) == 0)
			a += 5;
		if (inet_pton(AF_INET6, a, &sin6->sin6_addr) != 1)
			return NULL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(c->port);
	} else if (c->family == MK_MPA_UNIX && strlen(a) < sizeof(sun->sun_path)) {
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, a, strlen(a) + 1);
	} else {
		return NULL;
	}
	return (const struct sockaddr *)&s->peer;
}

static enum mk_milter_status
call_eom(struct own_session *s)
{
	const struct mk_milter_desc *d = s->srv->desc;
	enum mk_milter_status st = MK_MS_CONTINUE;

	/* a final chunk in the EOB packet goes to the body callback first */
	if (s->cmd.bodylen > 0 && d->body != NULL && !(s->pf1 & MK_MP_NOBODY))
		st = d->body(&s->ctx, (unsigned char *)s->cmd.body, s->cmd.bodylen);
	if ((st == MK_MS_CONTINUE || st == MK_MS_SKIP) && d->eom != NULL) {
		s->in_eom = true;
		st = d->eom(&s->ctx);
		s->in_eom = false;
	}
	return st;
}

enum mk_milter_status
own_session_call(struct own_session *s)
{
	const struct mk_milter_desc *d = s->srv->desc;
	struct mk_mp_cmd *c = &s->cmd;

	switch (c->code) {
	case MK_MPC_CONNECT:
		return d->connect(&s->ctx, (char *)c->host, connect_sa(s));
	case MK_MPC_HELO:
		return d->helo(&s->ctx, (char *)c->str);
	case MK_MPC_MAIL:
		return d->envfrom(&s->ctx, (char **)c->argv);
	case MK_MPC_RCPT:
		return d->envrcpt(&s->ctx, (char **)c->argv);
	case MK_MPC_DATA:
		return d->data(&s->ctx);
	case MK_MPC_HEADER:
		return d->header(&s->ctx, (char *)c->name, (char *)c->value);
	case MK_MPC_EOH:
		return d->eoh(&s->ctx);
	case MK_MPC_BODY:
		return d->body(&s->ctx, (unsigned char *)c->body, c->bodylen);
	case MK_MPC_BODYEOB:
		return call_eom(s);
	}
	return MK_MS_CONTINUE;
}

/* ---- replies ---------------------------------------------------------- */

/* Append the packet for a status (and the reply text set for it). 0 / -1. */
static int
add_status(struct own_session *s, struct evbuffer *out, enum mk_milter_status st,
    const char *text)
{
	struct mk_mp_reply r;

	memset(&r, 0, sizeof(r));
	switch (st) {
	case MK_MS_CONTINUE: r.code = MK_MPR_CONTINUE; break;
	case MK_MS_ACCEPT: r.code = MK_MPR_ACCEPT; break;
	case MK_MS_DISCARD: r.code = MK_MPR_DISCARD; break;
	case MK_MS_SKIP: r.code = MK_MPR_SKIP; break;
	case MK_MS_REJECT:
	case MK_MS_TEMPFAIL:
		r.code = st == MK_MS_REJECT ? MK_MPR_REJECT : MK_MPR_TEMPFAIL;
		if (text[0] == (st == MK_MS_REJECT ? '5' : '4')) {
			r.code = MK_MPR_REPLYCODE;
			r.text = text;
		}
		break;
	default:
		mk_log_warn(s->idstr, "milter: callback returned status %d: tempfail", (int)st);
		r.code = MK_MPR_TEMPFAIL;
		break;
	}
	return own_add_reply(out, &r);
}

/* Normalise a callback's status for the stage it answers. */
static enum mk_milter_status
status_fix(struct own_session *s, const struct stage_def *d, enum mk_milter_status st, bool nr)
{
	if (st == MK_MS_NOREPLY && !nr) {
		mk_log_debug(s->idstr, "milter: NOREPLY from %s, not negotiated: continue",
		    mk_mp_cmd_name(d->code));
		return MK_MS_CONTINUE;
	}
	if (st == MK_MS_SKIP && (d->code != MK_MPC_BODY || !(s->pf1 & MK_MP_SKIP)))
		return MK_MS_CONTINUE;
	return st;
}

/* Message over (EOM answered, ABORT): its macros, changes, results go. */
static void
msg_reset(struct own_session *s)
{
	own_macros_clear(s, OWN_MAC_MAIL);
	evbuffer_drain(s->mods, evbuffer_get_length(s->mods));
	s->pending = -1;
	s->offload_set = false;
	if (s->state != ST_CONNECT && s->state != ST_OPTNEG)
		enter_state(s, ST_READY);
}

int
own_session_send(struct own_session *s, struct evbuffer *out)
{
	/* nothing queued: written at once, no poll for writability (it
	 * almost always is; the poll would cost two epoll_ctl and a wait) */
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		(void)evbuffer_write(out, bufferevent_getfd(s->bev));
	return evbuffer_get_length(out) > 0 ? bufferevent_write_buffer(s->bev, out) : 0;
}

/* A stage's result: reply (unless NR), move on.  H_OK or H_CLOSE. */
static enum handled
stage_finish(struct own_session *s, enum mk_milter_status st)
{
	const struct stage_def *d = stage_find(s->cmd.code);
	bool nr = (s->pf1 & d->nr) != 0;
	struct evbuffer *out;
	int rc = 0;

	st = status_fix(s, d, st, nr);
	if (nr) {
		/* the MTA reads nothing now: a verdict waits for the next reply */
		if (st != MK_MS_CONTINUE && st != MK_MS_NOREPLY && s->pending == -1) {
			s->pending = (int)st;
			snprintf(s->pending_text, sizeof(s->pending_text), "%s", s->reply);
		}
		s->reply[0] = '\0';
		return H_OK;
	}
	if (s->pending != -1 && st == MK_MS_CONTINUE) {
		st = (enum mk_milter_status)s->pending;
		snprintf(s->reply, sizeof(s->reply), "%s", s->pending_text);
	}
	s->pending = -1;
	if ((out = evbuffer_new()) == NULL)
		return H_CLOSE;
	if (d->code == MK_MPC_BODYEOB)
		rc = evbuffer_add_buffer(out, s->mods);
	if (rc == 0)
		rc = add_status(s, out, st, s->reply);
	/* one write for the changes and the verdict */
	if (rc == 0)
		rc = own_session_send(s, out);
	evbuffer_free(out);
	s->reply[0] = '\0';
	if (d->code == MK_MPC_BODYEOB)
		msg_reset(s);
	return rc == 0 ? H_OK : H_CLOSE;
}

/* ---- command handlers ------------------------------------------------- */

static enum handled
h_stage(struct own_session *s)
{
	const struct stage_def *d = stage_find(s->cmd.code);
	const struct mk_milter_desc *desc = s->srv->desc;

	if ((int)d->next != -1)
		enter_state(s, d->next);
	s->cur_slot = d->slot;
	if (s->pending != -1 || !stage_has_cb(desc, d->code))
		return stage_finish(s, MK_MS_CONTINUE);
	if (((s->offload_set ? s->offload : desc->offload) & d->mstage) != 0 &&
	    own_server_offload(s->srv, s) == 0) {
		s->busy = true;
		bufferevent_disable(s->bev, EV_READ);
		return H_BUSY;
	}
	return stage_finish(s, own_session_call(s));
}

static enum handled
h_macro(struct own_session *s)
{
	if (own_macros_set(s, &s->cmd) == -1) {
		mk_log_warn(s->idstr, "milter: out of memory for macros");
		return H_CLOSE;
	}
	return H_OK;
}

static void
call_abort(struct own_session *s)
{
	if (s->srv->desc->abort != NULL) {
		s->cur_slot = OWN_MAC_EOM;
		(void)s->srv->desc->abort(&s->ctx);
	}
}

static enum handled
h_abort(struct own_session *s)
{
	call_abort(s);
	msg_reset(s);
	return H_OK;
}

/* The end of one connection context: abort if in a message, close. */
static void
ctx_end(struct own_session *s)
{
	if (s->state == ST_OPTNEG || s->closed)
		return;
	if ((M(s->state) & ST_INMSG) != 0)
		call_abort(s);
	s->cur_slot = OWN_MAC_EOM;
	if (s->srv->desc->close != NULL)
		(void)s->srv->desc->close(&s->ctx);
	s->closed = true;
}

static enum handled
h_quit(struct own_session *s)
{
	(void)s;
	return H_CLOSE;
}

/* QUIT_NC: this connection context ends, a new one follows on the socket. */
static enum handled
h_quit_nc(struct own_session *s)
{
	ctx_end(s);
	s->closed = false;
	s->priv = NULL;
	own_macros_clear(s, OWN_MAC_CONNECT);
	evbuffer_drain(s->mods, evbuffer_get_length(s->mods));
	s->pending = -1;
	s->reply[0] = '\0';
	s->renegotiate = true;
	enter_state(s, ST_CONNECT);
	return H_OK;
}

static enum handled
h_optneg(struct own_session *s)
{
	if (own_negotiate(s) == -1)
		return H_CLOSE;
	s->renegotiate = false;
	enter_state(s, ST_CONNECT);
	return H_OK;
}

/* The command table: which states accept each command. */
struct cmd_def {
	int code;
	unsigned states;
	enum handled (*handler)(struct own_session *s);
};

static const struct cmd_def commands[] = {
	{ MK_MPC_OPTNEG, M(ST_OPTNEG), h_optneg },
	{ MK_MPC_MACRO, ST_CONNECTED, h_macro },
	{ MK_MPC_CONNECT, M(ST_CONNECT), h_stage },
	{ MK_MPC_HELO, M(ST_CONNECT) | M(ST_READY) | M(ST_MAIL) | M(ST_RCPT), h_stage },
	{ MK_MPC_MAIL, M(ST_CONNECT) | M(ST_READY) | M(ST_MAIL) | M(ST_RCPT) | M(ST_DATA),
	    h_stage },
	{ MK_MPC_RCPT, M(ST_MAIL) | M(ST_RCPT), h_stage },
	{ MK_MPC_DATA, M(ST_MAIL) | M(ST_RCPT), h_stage },
	{ MK_MPC_HEADER, M(ST_MAIL) | M(ST_RCPT) | M(ST_DATA) | M(ST_HEADER), h_stage },
	{ MK_MPC_EOH, M(ST_MAIL) | M(ST_RCPT) | M(ST_DATA) | M(ST_HEADER), h_stage },
	{ MK_MPC_BODY, ST_INMSG, h_stage },
	{ MK_MPC_BODYEOB, ST_INMSG, h_stage },
	{ MK_MPC_UNKNOWN, ST_CONNECTED, h_stage },
	{ MK_MPC_ABORT, ST_CONNECTED, h_abort },
	{ MK_MPC_QUIT_NC, ST_CONNECTED, h_quit_nc },
	{ MK_MPC_QUIT, ~0U, h_quit },
	{ 0, 0, NULL },
};

static enum handled
handle_packet(struct own_session *s, const unsigned char *pkt, size_t len)
{
	const struct cmd_def *c;
	unsigned states;

	if (mk_mp_cmd_decode(pkt, len, &s->cmd) == -1) {
		mk_log_warn(s->idstr, "milter: malformed %s packet (%zu bytes) from the MTA: "
		    "closing", mk_mp_cmd_name(pkt[0]), len);
		return H_CLOSE;
	}
	for (c = commands; c->code != 0 && c->code != s->cmd.code; c++)
		;
	states = c->states;
	/* steps the MTA skips: a message may begin without MAIL (RCPT...) */
	if ((s->pf1 & MK_MP_NOMAIL) != 0 && (c->states & M(ST_MAIL)) != 0 &&
	    c->code != MK_MPC_HELO && c->code != MK_MPC_MAIL)
		states |= M(ST_CONNECT) | M(ST_READY);
	if (s->renegotiate && c->code == MK_MPC_OPTNEG)
		states |= M(ST_CONNECT);
	if (c->code == 0 || (states & M(s->state)) == 0) {
		mk_log_warn(s->idstr, "milter: unexpected %s command in state %s: closing",
		    mk_mp_cmd_name(s->cmd.code), own_state_name(s->state));
		return H_CLOSE;
	}
	return c->handler(s);
}

/* ---- I/O -------------------------------------------------------------- */

static void session_free(struct own_session *s);

/* Handle the complete frames in the input, until busy.  May free s. */
static void
session_process(struct own_session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	unsigned char *hdr;
	size_t have, flen;
	enum handled h = H_OK;

	while (!s->busy && (have = evbuffer_get_length(in)) >= MK_MP_LEN_SIZE) {
		if (evbuffer_get_length(bufferevent_get_output(s->bev)) > OWN_OUT_MAX) {
			/* the MTA does not read its replies: wait (on_write resumes) */
			if (!s->out_full)
				mk_log_debug(s->idstr, "milter: MTA not reading its replies: pausing");
			s->out_full = true;
			bufferevent_disable(s->bev, EV_READ);
			break;
		}
		hdr = evbuffer_pullup(in, MK_MP_LEN_SIZE);
		if (mk_mp_frame(hdr, MK_MP_LEN_SIZE, s->srv->max_data, &flen) == -1) {
			mk_log_warn(s->idstr, "milter: frame length %02x%02x%02x%02x is 0 or over "
			    "%zu: closing", hdr[0], hdr[1], hdr[2], hdr[3], s->srv->max_data);
			h = H_CLOSE;
			break;
		}
		if (have < flen)
			break;
		free(s->pkt);
		if ((s->pkt = malloc(flen - MK_MP_LEN_SIZE)) == NULL) {
			h = H_CLOSE;
			break;
		}
		evbuffer_drain(in, MK_MP_LEN_SIZE);
		evbuffer_remove(in, s->pkt, flen - MK_MP_LEN_SIZE);
		if ((h = handle_packet(s, s->pkt, flen - MK_MP_LEN_SIZE)) != H_OK)
			break;
	}
	if (h == H_CLOSE)
		session_free(s);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct own_session *s = arg;
	int one = 1;

	/* The MTA may leave Nagle on (Postfix does): then each command after
	 * the first waits for the ACK of the one before, and after our first
	 * reply the kernel delays ACKs by 40 ms to piggyback them on the next
	 * (pingpong mode) -- which no-reply stages never send.  Leave that
	 * mode after each read, so that the pending ACK goes out now: Postfix
	 * over inet: 0.30x of plain Postfix before, one 40 ms stall per
	 * message (bench/dkim-postfix -s inet). */
	if (s->tcp)
		(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
	session_process(s);
}

/* The output drained below OWN_OUT_MAX / 2 (write low watermark). */
static void
on_write(struct bufferevent *bev, void *arg)
{
	struct own_session *s = arg;

	if (!s->out_full || s->busy)
		return;
	s->out_full = false;
	bufferevent_enable(bev, EV_READ);
	session_process(s);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct own_session *s = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		mk_log_warn(s->idstr, "milter: MTA silent for %u s in state %s: closing",
		    s->srv->timeout, own_state_name(s->state));
	else if (what & BEV_EVENT_ERROR)
		mk_log_warn(s->idstr, "milter: connection error in state %s: %s",
		    own_state_name(s->state), evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (s->state != ST_OPTNEG && s->state != ST_READY && s->state != ST_CONNECT)
		mk_log_info(s->idstr, "milter: MTA closed the connection in state %s",
		    own_state_name(s->state));
	if (s->busy)
		s->dead = true;	/* freed when the callback is back */
	else
		session_free(s);
}

void
own_session_resume(struct own_session *s, enum mk_milter_status st)
{
	s->busy = false;
	if (s->dead || stage_finish(s, st) == H_CLOSE) {
		session_free(s);
		return;
	}
	bufferevent_enable(s->bev, EV_READ);
	session_process(s);	/* frames the MTA sent meanwhile */
}

void
own_session_drop(struct own_session *s, const char *why)
{
	mk_log_info(s->idstr, "milter: closing the session in state %s: %s",
	    own_state_name(s->state), why);
	if (!s->busy) {
		session_free(s);
		return;
	}
	s->dead = true;
	shutdown(bufferevent_getfd(s->bev), SHUT_RDWR);
}

bool
own_session_is_busy(const struct own_session *s)
{
	return s->busy;
}

struct own_link *
own_session_link(struct own_session *s)
{
	return &s->link;
}

struct own_session *
own_session_new(struct own_server *srv, evutil_socket_t fd, const struct sockaddr *sa,
    int salen)
{
	struct own_session *s;
	struct timeval tv = { (time_t)srv->timeout, 0 };

	(void)salen;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->tcp = sa != NULL && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
	s->ctx.ops = &own_ctx_ops;
	s->srv = srv;
	s->pending = -1;
	s->state = ST_OPTNEG;
	if ((s->mods = evbuffer_new()) == NULL) {
		free(s);
		return NULL;
	}
	/* on failure the caller closes fd */
	if ((s->bev = bufferevent_socket_new(srv->evb, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evbuffer_free(s->mods);
		free(s);
		return NULL;
	}
	own_server_add(srv, s);
	snprintf(s->idstr, sizeof(s->idstr), "m%llx", (unsigned long long)s->link.id);
	bufferevent_setcb(s->bev, on_read, on_write, on_event, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, srv->max_data + 2 * MK_MP_LEN_SIZE);
	bufferevent_setwatermark(s->bev, EV_WRITE, OWN_OUT_MAX / 2, 0);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	bufferevent_enable(s->bev, EV_READ);
	mk_log_debug(s->idstr, "milter: MTA connected");
	return s;
}

static void
session_free(struct own_session *s)
{
	ctx_end(s);
	own_server_remove(s->srv, s);
	own_macros_clear(s, OWN_MAC_CONNECT);
	own_symlists_clear(s);
	bufferevent_free(s->bev);
	evbuffer_free(s->mods);
	free(s->pkt);
	free(s);
}
