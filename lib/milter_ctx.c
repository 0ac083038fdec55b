/*
 * lib/milter_ctx.c: milter engine own, per connection: option negotiation,
 * the macros of each stage, and the calls a callback makes through
 * lib/milter.h (getsymval, setreply, the end-of-message changes).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "lib/log.h"
#include "lib/milter_own.h"
#include "lib/milter_sess.h"

#define HDR_NAME_MAX	998	/* RFC 5322 2.1.1: a line */

int
own_add_reply(struct evbuffer *out, const struct mk_mp_reply *r)
{
	struct evbuffer_iovec v;
	ssize_t n = mk_mp_reply_encode(r, NULL, 0);

	if (n < 0 || evbuffer_reserve_space(out, n, &v, 1) < 1)
		return -1;
	if (mk_mp_reply_encode(r, v.iov_base, v.iov_len) != n)
		return -1;
	v.iov_len = (size_t)n;
	return evbuffer_commit_space(out, &v, 1);
}

/* ---- negotiation ------------------------------------------------------ */

/* Steps to skip when desc->negotiate is NULL: those without a callback. */
static unsigned long
default_steps(const struct mk_milter_desc *d)
{
	unsigned long f = MK_MP_NOUNKNOWN;

	if (d->connect == NULL)
		f |= MK_MP_NOCONNECT;
	if (d->helo == NULL)
		f |= MK_MP_NOHELO;
	if (d->envfrom == NULL)
		f |= MK_MP_NOMAIL;
	if (d->envrcpt == NULL)
		f |= MK_MP_NORCPT;
	if (d->data == NULL)
		f |= MK_MP_NODATA;
	if (d->header == NULL)
		f |= MK_MP_NOHDRS;
	if (d->eoh == NULL)
		f |= MK_MP_NOEOH;
	if (d->body == NULL)
		f |= MK_MP_NOBODY;
	return f;
}

int
own_negotiate(struct own_session *s)
{
	const struct mk_milter_desc *d = s->srv->desc;
	const struct mk_mp_cmd *c = &s->cmd;
	unsigned long f0 = c->actions, f1 = c->protocol, pf0 = d->actions, pf1 = 0, pf2 = 0,
	    pf3 = 0;
	enum mk_milter_status st = MK_MS_ACCEPT;
	struct mk_mp_reply r;
	struct evbuffer *out;
	int rc;

	if (c->version < MK_MP_VERSION_MIN) {
		mk_log_warn(s->idstr, "milter: MTA speaks protocol version %u (< %d): closing",
		    c->version, MK_MP_VERSION_MIN);
		return -1;
	}
	own_symlists_clear(s);
	s->in_negotiate = true;
	if (d->negotiate != NULL)
		st = d->negotiate(&s->ctx, f0, f1, 0, 0, &pf0, &pf1, &pf2, &pf3);
	s->in_negotiate = false;
	if (st == MK_MS_REJECT) {
		mk_log_info(s->idstr, "milter: the milter refused the MTA's options");
		own_symlists_clear(s);
		return -1;
	}
	if (st != MK_MS_CONTINUE) {
		pf0 = d->actions;
		pf1 = default_steps(d) & f1;
	}
	if ((pf0 & ~f0) != 0 || (pf1 & ~f1) != 0) {
		mk_log_warn(s->idstr, "milter: wants actions 0x%lx steps 0x%lx, the MTA offers "
		    "0x%lx 0x%lx: closing", pf0, pf1, f0, f1);
		own_symlists_clear(s);
		return -1;
	}
	s->pf0 = pf0;
	s->pf1 = pf1;
	memset(&r, 0, sizeof(r));
	r.code = MK_MPR_OPTNEG;
	r.version = c->version < MK_MP_VERSION ? c->version : MK_MP_VERSION;
	r.protocol = (uint32_t)pf1;
	if (s->nsym > 0 && (f0 & MK_MA_SETSYMLIST) != 0) {
		pf0 |= MK_MA_SETSYMLIST;
		for (r.nsymlists = 0; r.nsymlists < s->nsym; r.nsymlists++) {
			r.symlist_stage[r.nsymlists] = (uint32_t)s->sym_stage[r.nsymlists];
			r.symlist[r.nsymlists] = s->sym[r.nsymlists];
		}
	} else if (s->nsym > 0) {
		mk_log_debug(s->idstr, "milter: the MTA takes no macro lists: its defaults stay");
	}
	s->pf0 = pf0;
	r.actions = (uint32_t)pf0;
	mk_log_debug(s->idstr, "milter: negotiated version %u actions 0x%lx steps 0x%lx",
	    r.version, pf0, pf1);
	if ((out = evbuffer_new()) == NULL)
		rc = -1;
	else if ((rc = own_add_reply(out, &r)) == 0)
		rc = own_session_send(s, out);
	evbuffer_free(out);
	own_symlists_clear(s);
	return rc;
}

void
own_symlists_clear(struct own_session *s)
{
	size_t i;

	for (i = 0; i < s->nsym; i++)
		free(s->sym[i]);
	s->nsym = 0;
}

/* ---- macros ----------------------------------------------------------- */

static int
mac_slot(int cmd)
{
	switch (cmd) {
	case MK_MPC_CONNECT: return OWN_MAC_CONNECT;
	case MK_MPC_HELO: return OWN_MAC_HELO;
	case MK_MPC_MAIL: return OWN_MAC_MAIL;
	case MK_MPC_RCPT: return OWN_MAC_RCPT;
	case MK_MPC_DATA: return OWN_MAC_DATA;
	case MK_MPC_HEADER: return OWN_MAC_HEADER;
	case MK_MPC_EOH: return OWN_MAC_EOH;
	case MK_MPC_BODY: return OWN_MAC_BODY;
	case MK_MPC_BODYEOB: return OWN_MAC_EOM;
	case MK_MPC_UNKNOWN: return OWN_MAC_UNKNOWN;
	}
	return -1;
}

void
own_macros_clear(struct own_session *s, int from)
{
	for (int i = from; i < OWN_MAC_SLOTS; i++) {
		free(s->mac[i]);
		s->mac[i] = NULL;
	}
}

int
own_macros_set(struct own_session *s, const struct mk_mp_cmd *c)
{
	int slot = mac_slot(c->macro_cmd);
	size_t len = 0, i;
	struct own_macros *m;
	const unsigned char *base = s->pkt;

	if (slot == -1)
		return 0;	/* macros for a command without a stage: unused */
	if (slot == OWN_MAC_MAIL)
		own_macros_clear(s, OWN_MAC_RCPT);	/* a new message */
	for (i = 0; i < c->nmacros; i++)
		len = (size_t)((const unsigned char *)c->macro_value[i] - base) +
		    strlen(c->macro_value[i]) + 1;
	m = malloc(sizeof(*m) + len + 2 * c->nmacros * sizeof(char *) + sizeof(char *));
	if (m == NULL)
		return -1;
	m->n = c->nmacros;
	m->name = (const char **)(void *)(m->data + len + sizeof(char *) -
	    (len % sizeof(char *)));
	m->value = m->name + c->nmacros;
	memcpy(m->data, base, len);
	for (i = 0; i < c->nmacros; i++) {
		m->name[i] = (const char *)m->data + ((const unsigned char *)c->macro_name[i] - base);
		m->value[i] = (const char *)m->data + ((const unsigned char *)c->macro_value[i] - base);
	}
	free(s->mac[slot]);
	s->mac[slot] = m;
	return 0;
}

/* "i" and "{i}" name the same macro. */
static bool
mac_name_eq(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	if (al >= 2 && a[0] == '{' && a[al - 1] == '}') {
		a++;
		al -= 2;
	}
	if (bl >= 2 && b[0] == '{' && b[bl - 1] == '}') {
		b++;
		bl -= 2;
	}
	return al == bl && memcmp(a, b, al) == 0;
}

static const char *
mac_find(const struct own_macros *m, const char *name)
{
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (mac_name_eq(m->name[i], name))
			return m->value[i];
	return NULL;
}

static struct own_session *
sess(struct mk_milter_ctx *ctx)
{
	return (struct own_session *)ctx;
}

/* The current stage's macros, then the earlier stages'. */
static const char *
c_getsymval(struct mk_milter_ctx *ctx, const char *name)
{
	struct own_session *s = sess(ctx);
	int slot = s->cur_slot;
	const char *v;

	if (name == NULL)
		return NULL;
	if ((v = mac_find(s->mac[slot], name)) != NULL)
		return v;
	if (slot == OWN_MAC_UNKNOWN)
		slot = OWN_MAC_RCPT + 1;	/* an unknown command: envelope stages */
	while (--slot >= 0)
		if ((v = mac_find(s->mac[slot], name)) != NULL)
			return v;
	return NULL;
}

static void *
c_getpriv(struct mk_milter_ctx *ctx)
{
	return sess(ctx)->priv;
}

static void
c_setpriv(struct mk_milter_ctx *ctx, void *priv)
{
	sess(ctx)->priv = priv;
}

/* ---- reply text --------------------------------------------------------- */

/* "x.y.z": class digit, 1-3 digits, 1-3 digits (RFC 3463). */
static bool
xcode_is_valid(const char *x, char cls)
{
	size_t n;

	if (x[0] != cls || x[1] != '.')
		return false;
	x += 2;
	for (int part = 0; part < 2; part++) {
		n = strspn(x, "0123456789");
		if (n < 1 || n > 3)
			return false;
		x += n;
		if (part == 0 && *x++ != '.')
			return false;
	}
	return *x == '\0';
}

static int
c_setreply(struct mk_milter_ctx *ctx, const char *rcode, const char *xcode, const char *msg)
{
	struct own_session *s = sess(ctx);
	int n;

	if (rcode == NULL || strlen(rcode) != 3 || (rcode[0] != '4' && rcode[0] != '5') ||
	    !isdigit((unsigned char)rcode[1]) || !isdigit((unsigned char)rcode[2]))
		return -1;
	if (xcode != NULL && !xcode_is_valid(xcode, rcode[0]))
		return -1;
	if (msg != NULL && strpbrk(msg, "\r\n") != NULL)
		return -1;
	n = snprintf(s->reply, sizeof(s->reply), "%s%s%s%s%s", rcode, xcode ? " " : "",
	    xcode ? xcode : "", msg ? " " : "", msg ? msg : "");
	if (n < 0 || (size_t)n >= sizeof(s->reply)) {
		s->reply[0] = '\0';
		return -1;
	}
	return 0;
}

/* ---- end-of-message changes ----------------------------------------------- */

static bool
may_change(struct own_session *s, unsigned long action)
{
	return s->in_eom && (s->pf0 & action) != 0;
}

/* A header field name: printable ASCII without ':' (RFC 5322 3.6.8). */
static bool
hdr_name_is_valid(const char *name)
{
	size_t n = 0;

	if (name == NULL)
		return false;
	for (; name[n] != '\0'; n++)
		if (name[n] <= ' ' || name[n] > '~' || name[n] == ':')
			return false;
	return n > 0 && n <= HDR_NAME_MAX;
}

static int
add_change(struct own_session *s, struct mk_mp_reply *r)
{
	return own_add_reply(s->mods, r);
}

static int
c_addheader(struct mk_milter_ctx *ctx, const char *name, const char *value)
{
	struct own_session *s = sess(ctx);
	struct mk_mp_reply r = { .code = MK_MPR_ADDHEADER, .name = name, .value = value };

	if (!may_change(s, MK_MA_ADDHDRS) || !hdr_name_is_valid(name) || value == NULL)
		return -1;
	return add_change(s, &r);
}

static int
c_insheader(struct mk_milter_ctx *ctx, int idx, const char *name, const char *value)
{
	struct own_session *s = sess(ctx);
	struct mk_mp_reply r = { .code = MK_MPR_INSHEADER, .name = name, .value = value };

	if (!may_change(s, MK_MA_ADDHDRS) || idx < 0 || !hdr_name_is_valid(name) || value == NULL)
		return -1;
	r.index = (uint32_t)idx;
	return add_change(s, &r);
}

/* value NULL: delete the idx-th (from 1) field of that name */
static int
c_chgheader(struct mk_milter_ctx *ctx, const char *name, int idx, const char *value)
{
	struct own_session *s = sess(ctx);
	struct mk_mp_reply r = { .code = MK_MPR_CHGHEADER, .name = name,
	    .value = value != NULL ? value : "" };

	if (!may_change(s, MK_MA_CHGHDRS) || idx < 0 || !hdr_name_is_valid(name))
		return -1;
	r.index = (uint32_t)idx;
	return add_change(s, &r);
}

static int
c_quarantine(struct mk_milter_ctx *ctx, const char *reason)
{
	struct own_session *s = sess(ctx);
	struct mk_mp_reply r = { .code = MK_MPR_QUARANTINE, .text = reason };

	if (!may_change(s, MK_MA_QUARANTINE) || reason == NULL || reason[0] == '\0')
		return -1;
	return add_change(s, &r);
}

static int
c_chgfrom(struct mk_milter_ctx *ctx, const char *from, const char *args)
{
	struct own_session *s = sess(ctx);
	struct mk_mp_reply r = { .code = MK_MPR_CHGFROM, .text = from, .args = args };

	if (!may_change(s, MK_MA_CHGFROM) || from == NULL || from[0] == '\0')
		return -1;
	return add_change(s, &r);
}

#define OWN_SYMLIST_MAX 4096	/* bytes of one macro list */

/* Negotiate only; a stage named again takes the new list. */
static int
c_setsymlist(struct mk_milter_ctx *ctx, int stage, const char *macros)
{
	struct own_session *s = sess(ctx);
	char *copy;
	size_t i;

	if (!s->in_negotiate || strlen(macros) > OWN_SYMLIST_MAX || (copy = strdup(macros)) == NULL)
		return -1;
	for (i = 0; i < s->nsym && s->sym_stage[i] != stage; i++)
		;
	if (i == MK_MP_SYMLISTS_MAX) {
		free(copy);
		return -1;
	}
	if (i == s->nsym)
		s->nsym++;
	else
		free(s->sym[i]);
	s->sym_stage[i] = stage;
	s->sym[i] = copy;
	return 0;
}

static int
c_addrcpt(struct mk_milter_ctx *ctx, const char *rcpt)
{
	struct own_session *s = sess(ctx);
	struct mk_mp_reply r = { .code = MK_MPR_ADDRCPT, .text = rcpt };

	if (!may_change(s, MK_MA_ADDRCPT) || rcpt == NULL || rcpt[0] == '\0')
		return -1;
	return add_change(s, &r);
}

static int
c_setoffload(struct mk_milter_ctx *ctx, unsigned stages)
{
	struct own_session *s = sess(ctx);

	s->offload = stages & s->srv->desc->offload;
	s->offload_set = true;
	return 0;
}

const struct mk_milter_ctx_ops own_ctx_ops = {
	.getpriv = c_getpriv,
	.setpriv = c_setpriv,
	.getsymval = c_getsymval,
	.setreply = c_setreply,
	.addheader = c_addheader,
	.insheader = c_insheader,
	.chgheader = c_chgheader,
	.quarantine = c_quarantine,
	.chgfrom = c_chgfrom,
	.addrcpt = c_addrcpt,
	.setsymlist = c_setsymlist,
	.setoffload = c_setoffload,
};
