/*
 * lib/milter_proto.c: the milter protocol codec (see milter_proto.h).
 * Pure functions of (buf, len): no I/O, no allocation, no logging.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "lib/milter_proto.h"

/* ---- reading --------------------------------------------------------- */

struct rd {
	const unsigned char *p;
	size_t len, off;
};

static int
rd_u32(struct rd *r, uint32_t *v)
{
	if (r->len - r->off < 4)
		return -1;
	*v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	    (uint32_t)r->p[r->off + 2] << 8 | (uint32_t)r->p[r->off + 3];
	r->off += 4;
	return 0;
}

static int
rd_u16(struct rd *r, uint16_t *v)
{
	if (r->len - r->off < 2)
		return -1;
	*v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return 0;
}

/* A NUL-terminated string inside the packet. */
static int
rd_str(struct rd *r, const char **s)
{
	const unsigned char *nul;

	if (r->off >= r->len)
		return -1;
	nul = memchr(r->p + r->off, '\0', r->len - r->off);
	if (nul == NULL)
		return -1;
	*s = (const char *)r->p + r->off;
	r->off = (size_t)(nul - r->p) + 1;
	return 0;
}

static int
rd_end(const struct rd *r)
{
	return r->off == r->len ? 0 : -1;
}

int
mk_mp_frame(const unsigned char *buf, size_t len, size_t max, size_t *flen)
{
	uint32_t n;

	*flen = 0;
	if (len < MK_MP_LEN_SIZE)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (n == 0 || n > max)
		return -1;
	*flen = MK_MP_LEN_SIZE + (size_t)n;
	return 0;
}

static bool
is_cmd_code(int c)
{
	return c > 0 && c < 128 && strchr("ABCDEHKLMNOQRTU", c) != NULL;
}

static int
dec_connect(struct rd *r, struct mk_mp_cmd *c)
{
	if (rd_str(r, &c->host) == -1 || r->off >= r->len)
		return -1;
	c->family = r->p[r->off++];
	if (c->family == MK_MPA_UNKNOWN)
		return rd_end(r);
	if (c->family != MK_MPA_UNIX && c->family != MK_MPA_INET && c->family != MK_MPA_INET6)
		return -1;
	if (rd_u16(r, &c->port) == -1 || rd_str(r, &c->addr) == -1)
		return -1;
	return rd_end(r);
}

static int
dec_macro(struct rd *r, struct mk_mp_cmd *c)
{
	if (r->off >= r->len || !is_cmd_code(r->p[r->off]))
		return -1;
	c->macro_cmd = r->p[r->off++];
	while (r->off < r->len) {
		if (c->nmacros >= MK_MP_MACROS_MAX)
			return -1;
		if (rd_str(r, &c->macro_name[c->nmacros]) == -1 ||
		    rd_str(r, &c->macro_value[c->nmacros]) == -1)
			return -1;
		c->nmacros++;
	}
	return 0;
}

static int
dec_argv(struct rd *r, struct mk_mp_cmd *c)
{
	while (r->off < r->len) {
		if (c->argc >= MK_MP_ARGV_MAX || rd_str(r, &c->argv[c->argc]) == -1)
			return -1;
		c->argc++;
	}
	c->argv[c->argc] = NULL;
	return c->argc >= 1 ? 0 : -1;
}

int
mk_mp_cmd_decode(const unsigned char *pkt, size_t len, struct mk_mp_cmd *c)
{
	struct rd r = { pkt, len, 1 };

	memset(c, 0, sizeof(*c));
	if (len < 1)
		return -1;
	c->code = pkt[0];
	switch (c->code) {
	case MK_MPC_ABORT: case MK_MPC_EOH: case MK_MPC_DATA:
	case MK_MPC_QUIT: case MK_MPC_QUIT_NC:
		return rd_end(&r);
	case MK_MPC_BODY: case MK_MPC_BODYEOB:
		c->body = pkt + 1;
		c->bodylen = len - 1;
		return 0;
	case MK_MPC_CONNECT:
		return dec_connect(&r, c);
	case MK_MPC_MACRO:
		return dec_macro(&r, c);
	case MK_MPC_HELO: case MK_MPC_UNKNOWN:
		return rd_str(&r, &c->str) == -1 ? -1 : rd_end(&r);
	case MK_MPC_HEADER:
		if (rd_str(&r, &c->name) == -1 || rd_str(&r, &c->value) == -1)
			return -1;
		return rd_end(&r);
	case MK_MPC_MAIL: case MK_MPC_RCPT:
		return dec_argv(&r, c);
	case MK_MPC_OPTNEG:
		if (rd_u32(&r, &c->version) == -1 || rd_u32(&r, &c->actions) == -1 ||
		    rd_u32(&r, &c->protocol) == -1)
			return -1;
		return rd_end(&r);
	}
	return -1;
}

bool
mk_mp_replycode_is_valid(const char *s)
{
	if ((s[0] != '4' && s[0] != '5') || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
		return false;
	return s[3] == '\0' || s[3] == ' ' || s[3] == '-';
}

static int
dec_optneg_reply(struct rd *r, struct mk_mp_reply *o)
{
	if (rd_u32(r, &o->version) == -1 || rd_u32(r, &o->actions) == -1 ||
	    rd_u32(r, &o->protocol) == -1)
		return -1;
	while (r->off < r->len) {
		if (o->nsymlists >= MK_MP_SYMLISTS_MAX)
			return -1;
		if (rd_u32(r, &o->symlist_stage[o->nsymlists]) == -1 ||
		    o->symlist_stage[o->nsymlists] > MK_MPM_EOH ||
		    rd_str(r, &o->symlist[o->nsymlists]) == -1)
			return -1;
		o->nsymlists++;
	}
	return 0;
}

/* Address then optional ESMTP arguments (CHGFROM, ADDRCPT_PAR). */
static int
dec_addr_args(struct rd *r, struct mk_mp_reply *o)
{
	if (rd_str(r, &o->text) == -1)
		return -1;
	if (r->off < r->len && rd_str(r, &o->args) == -1)
		return -1;
	return rd_end(r);
}

int
mk_mp_reply_decode(const unsigned char *pkt, size_t len, struct mk_mp_reply *o)
{
	struct rd r = { pkt, len, 1 };

	memset(o, 0, sizeof(*o));
	if (len < 1)
		return -1;
	o->code = pkt[0];
	switch (o->code) {
	case MK_MPR_SHUTDOWN: case MK_MPR_ACCEPT: case MK_MPR_CONTINUE: case MK_MPR_DISCARD:
	case MK_MPR_CONN_FAIL: case MK_MPR_PROGRESS: case MK_MPR_REJECT: case MK_MPR_SKIP:
	case MK_MPR_TEMPFAIL:
		return rd_end(&r);
	case MK_MPR_REPLBODY:
		o->body = pkt + 1;
		o->bodylen = len - 1;
		return 0;
	case MK_MPR_ADDRCPT: case MK_MPR_DELRCPT: case MK_MPR_QUARANTINE:
		return rd_str(&r, &o->text) == -1 ? -1 : rd_end(&r);
	case MK_MPR_REPLYCODE:
		if (rd_str(&r, &o->text) == -1 || !mk_mp_replycode_is_valid(o->text))
			return -1;
		return rd_end(&r);
	case MK_MPR_ADDRCPT_PAR: case MK_MPR_CHGFROM:
		return dec_addr_args(&r, o);
	case MK_MPR_INSHEADER: case MK_MPR_CHGHEADER:
		if (rd_u32(&r, &o->index) == -1)
			return -1;
		/* FALLTHROUGH */
	case MK_MPR_ADDHEADER:
		if (rd_str(&r, &o->name) == -1 || rd_str(&r, &o->value) == -1)
			return -1;
		return rd_end(&r);
	case MK_MPR_OPTNEG:
		return dec_optneg_reply(&r, o);
	}
	return -1;
}

/* ---- writing --------------------------------------------------------- */

/* Counts every byte; stores only while they fit in cap. */
struct wr {
	unsigned char *buf;
	size_t cap, off;
	int bad;
};

static void
wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (w->buf != NULL && w->off + n <= w->cap && n > 0)
		memcpy(w->buf + w->off, p, n);
	w->off += n;
}

static void
wr_u8(struct wr *w, int v)
{
	unsigned char b = (unsigned char)v;

	wr_bytes(w, &b, 1);
}

static void
wr_u32(struct wr *w, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	    (unsigned char)(v >> 8), (unsigned char)v };

	wr_bytes(w, b, 4);
}

static void
wr_str(struct wr *w, const char *s)
{
	if (s == NULL) {
		w->bad = 1;
		return;
	}
	wr_bytes(w, s, strlen(s) + 1);
}

/* Start a frame: room for the length, the code byte. */
static void
wr_begin(struct wr *w, unsigned char *buf, size_t cap, int code)
{
	w->buf = buf;
	w->cap = cap;
	w->off = 0;
	w->bad = 0;
	wr_u32(w, 0);
	wr_u8(w, code);
}

static ssize_t
wr_finish(struct wr *w)
{
	size_t n = w->off - MK_MP_LEN_SIZE;

	if (w->bad || n > UINT32_MAX || w->off > (size_t)SSIZE_MAX)
		return -1;
	if (w->buf != NULL && w->off <= w->cap) {
		w->buf[0] = (unsigned char)(n >> 24);
		w->buf[1] = (unsigned char)(n >> 16);
		w->buf[2] = (unsigned char)(n >> 8);
		w->buf[3] = (unsigned char)n;
	}
	return (ssize_t)w->off;
}

static void
enc_connect(struct wr *w, const struct mk_mp_cmd *c)
{
	wr_str(w, c->host);
	wr_u8(w, c->family);
	if (c->family == MK_MPA_UNKNOWN)
		return;
	if (c->family != MK_MPA_UNIX && c->family != MK_MPA_INET && c->family != MK_MPA_INET6)
		w->bad = 1;
	wr_bytes(w, (unsigned char[2]){ (unsigned char)(c->port >> 8), (unsigned char)c->port }, 2);
	wr_str(w, c->addr);
}

static void
enc_cmd_body(struct wr *w, const struct mk_mp_cmd *c)
{
	size_t i;

	switch (c->code) {
	case MK_MPC_ABORT: case MK_MPC_EOH: case MK_MPC_DATA:
	case MK_MPC_QUIT: case MK_MPC_QUIT_NC:
		return;
	case MK_MPC_BODY: case MK_MPC_BODYEOB:
		if (c->bodylen > 0 && c->body == NULL)
			w->bad = 1;
		else
			wr_bytes(w, c->body, c->bodylen);
		return;
	case MK_MPC_CONNECT:
		enc_connect(w, c);
		return;
	case MK_MPC_MACRO:
		if (!is_cmd_code(c->macro_cmd) || c->nmacros > MK_MP_MACROS_MAX)
			w->bad = 1;
		wr_u8(w, c->macro_cmd);
		for (i = 0; i < c->nmacros && !w->bad; i++) {
			wr_str(w, c->macro_name[i]);
			wr_str(w, c->macro_value[i]);
		}
		return;
	case MK_MPC_HELO: case MK_MPC_UNKNOWN:
		wr_str(w, c->str);
		return;
	case MK_MPC_HEADER:
		wr_str(w, c->name);
		wr_str(w, c->value);
		return;
	case MK_MPC_MAIL: case MK_MPC_RCPT:
		if (c->argc < 1 || c->argc > MK_MP_ARGV_MAX)
			w->bad = 1;
		for (i = 0; i < c->argc && !w->bad; i++)
			wr_str(w, c->argv[i]);
		return;
	case MK_MPC_OPTNEG:
		wr_u32(w, c->version);
		wr_u32(w, c->actions);
		wr_u32(w, c->protocol);
		return;
	}
	w->bad = 1;
}

ssize_t
mk_mp_cmd_encode(const struct mk_mp_cmd *c, unsigned char *buf, size_t cap)
{
	struct wr w;
	ssize_t n;

	/* size first: nothing is written unless the whole frame fits */
	wr_begin(&w, NULL, 0, c->code);
	enc_cmd_body(&w, c);
	if ((n = wr_finish(&w)) < 0 || buf == NULL || (size_t)n > cap)
		return n;
	wr_begin(&w, buf, cap, c->code);
	enc_cmd_body(&w, c);
	return wr_finish(&w);
}

static void
enc_reply_body(struct wr *w, const struct mk_mp_reply *r)
{
	size_t i;

	switch (r->code) {
	case MK_MPR_SHUTDOWN: case MK_MPR_ACCEPT: case MK_MPR_CONTINUE: case MK_MPR_DISCARD:
	case MK_MPR_CONN_FAIL: case MK_MPR_PROGRESS: case MK_MPR_REJECT: case MK_MPR_SKIP:
	case MK_MPR_TEMPFAIL:
		return;
	case MK_MPR_REPLBODY:
		if (r->bodylen > 0 && r->body == NULL)
			w->bad = 1;
		else
			wr_bytes(w, r->body, r->bodylen);
		return;
	case MK_MPR_REPLYCODE:
		if (r->text == NULL || !mk_mp_replycode_is_valid(r->text))
			w->bad = 1;
		/* FALLTHROUGH */
	case MK_MPR_ADDRCPT: case MK_MPR_DELRCPT: case MK_MPR_QUARANTINE:
		wr_str(w, r->text);
		return;
	case MK_MPR_ADDRCPT_PAR: case MK_MPR_CHGFROM:
		wr_str(w, r->text);
		if (r->args != NULL)
			wr_str(w, r->args);
		return;
	case MK_MPR_INSHEADER: case MK_MPR_CHGHEADER:
		wr_u32(w, r->index);
		/* FALLTHROUGH */
	case MK_MPR_ADDHEADER:
		wr_str(w, r->name);
		wr_str(w, r->value);
		return;
	case MK_MPR_OPTNEG:
		wr_u32(w, r->version);
		wr_u32(w, r->actions);
		wr_u32(w, r->protocol);
		if (r->nsymlists > MK_MP_SYMLISTS_MAX)
			w->bad = 1;
		for (i = 0; i < r->nsymlists && !w->bad; i++) {
			if (r->symlist_stage[i] > MK_MPM_EOH)
				w->bad = 1;
			wr_u32(w, r->symlist_stage[i]);
			wr_str(w, r->symlist[i]);
		}
		return;
	}
	w->bad = 1;
}

ssize_t
mk_mp_reply_encode(const struct mk_mp_reply *r, unsigned char *buf, size_t cap)
{
	struct wr w;
	ssize_t n;

	/* size first: nothing is written unless the whole frame fits */
	wr_begin(&w, NULL, 0, r->code);
	enc_reply_body(&w, r);
	if ((n = wr_finish(&w)) < 0 || buf == NULL || (size_t)n > cap)
		return n;
	wr_begin(&w, buf, cap, r->code);
	enc_reply_body(&w, r);
	return wr_finish(&w);
}

/* ---- names ----------------------------------------------------------- */

struct code_name {
	int code;
	const char *name;
};

static const struct code_name cmd_names[] = {
	{ MK_MPC_ABORT, "abort" }, { MK_MPC_BODY, "body" }, { MK_MPC_CONNECT, "connect" },
	{ MK_MPC_MACRO, "macro" }, { MK_MPC_BODYEOB, "eom" }, { MK_MPC_HELO, "helo" },
	{ MK_MPC_QUIT_NC, "quit_nc" }, { MK_MPC_HEADER, "header" }, { MK_MPC_MAIL, "mail" },
	{ MK_MPC_EOH, "eoh" }, { MK_MPC_OPTNEG, "optneg" }, { MK_MPC_QUIT, "quit" },
	{ MK_MPC_RCPT, "rcpt" }, { MK_MPC_DATA, "data" }, { MK_MPC_UNKNOWN, "unknown" },
	{ 0, NULL },
};

static const struct code_name reply_names[] = {
	{ MK_MPR_ADDRCPT, "addrcpt" }, { MK_MPR_DELRCPT, "delrcpt" },
	{ MK_MPR_ADDRCPT_PAR, "addrcpt_par" }, { MK_MPR_SHUTDOWN, "shutdown" },
	{ MK_MPR_ACCEPT, "accept" }, { MK_MPR_REPLBODY, "replbody" },
	{ MK_MPR_CONTINUE, "continue" }, { MK_MPR_DISCARD, "discard" },
	{ MK_MPR_CHGFROM, "chgfrom" }, { MK_MPR_CONN_FAIL, "conn_fail" },
	{ MK_MPR_ADDHEADER, "addheader" }, { MK_MPR_INSHEADER, "insheader" },
	{ MK_MPR_SETSYMLIST, "setsymlist" }, { MK_MPR_CHGHEADER, "chgheader" },
	{ MK_MPR_OPTNEG, "optneg" }, { MK_MPR_PROGRESS, "progress" },
	{ MK_MPR_QUARANTINE, "quarantine" }, { MK_MPR_REJECT, "reject" },
	{ MK_MPR_SKIP, "skip" }, { MK_MPR_TEMPFAIL, "tempfail" },
	{ MK_MPR_REPLYCODE, "replycode" },
	{ 0, NULL },
};

static const char *
code_name(const struct code_name *t, int code)
{
	for (; t->name != NULL; t++)
		if (t->code == code)
			return t->name;
	return "?";
}

const char *
mk_mp_cmd_name(int code)
{
	return code_name(cmd_names, code);
}

const char *
mk_mp_reply_name(int code)
{
	return code_name(reply_names, code);
}
