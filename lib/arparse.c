/*
 * lib/arparse.c: DMARC inputs from trusted Authentication-Results and
 * Received-SPF headers (see arparse.h).
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/arparse.h"

/* ---- Received-SPF parser -------------------------------------------- */

struct rscan {
	const char *p, *end;
};

static bool
rs_is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* White space and (nested) comments; -1 if a comment is unbalanced. */
static int
rs_skip_cfws(struct rscan *s)
{
	int depth = 0;

	while (s->p < s->end) {
		char c = *s->p;

		if (depth > 0 && c == '\\' && s->p + 1 < s->end) {
			s->p += 2;
			continue;
		}
		if (c == '(') {
			if (++depth > 32)
				return -1;
		} else if (c == ')') {
			if (depth-- == 0)
				return -1;
		} else if (depth == 0 && !rs_is_wsp(c)) {
			break;
		}
		s->p++;
	}
	return depth == 0 ? 0 : -1;
}

/* A token up to white space, '(', ';', '=' or a quoted-string.  0 / -1. */
static int
rs_word(struct rscan *s, char *out, size_t outsz, bool lower, bool allow_empty)
{
	size_t n = 0;
	char c;

	if (s->p < s->end && *s->p == '"') {
		for (s->p++; s->p < s->end && *s->p != '"'; s->p++) {
			if (*s->p == '\\' && s->p + 1 < s->end)
				s->p++;
			if (n + 1 >= outsz || *s->p == '\0')
				return -1;
			out[n++] = *s->p;
		}
		if (s->p >= s->end)
			return -1;
		s->p++;
		out[n] = '\0';
		return 0;
	}
	while (s->p < s->end) {
		c = *s->p;
		if (rs_is_wsp(c) || c == '(' || c == ';' || c == '=' || c == '"' || c == '\0')
			break;
		if (n + 1 >= outsz)
			return -1;
		out[n++] = lower ? (char)tolower((unsigned char)c) : c;
		s->p++;
	}
	out[n] = '\0';
	return n > 0 || allow_empty ? 0 : -1;
}

static void
rs_store(struct mk_received_spf *out, const char *key, const char *value)
{
	static const struct { const char *key; size_t off, sz; } keys[] = {
		{ "identity", offsetof(struct mk_received_spf, identity), sizeof(out->identity) },
		{ "envelope-from", offsetof(struct mk_received_spf, envelope_from), sizeof(out->envelope_from) },
		{ "helo", offsetof(struct mk_received_spf, helo), sizeof(out->helo) },
		{ "client-ip", offsetof(struct mk_received_spf, client_ip), sizeof(out->client_ip) },
		{ "receiver", offsetof(struct mk_received_spf, receiver), sizeof(out->receiver) },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0) {
			snprintf((char *)out + keys[i].off, keys[i].sz, "%s", value);
			if (i == 0) {
				char *v = out->identity;

				for (; *v != '\0'; v++)
					*v = (char)tolower((unsigned char)*v);
			}
			return;
		}
}

int
mk_received_spf_parse(const char *buf, size_t len, struct mk_received_spf *out,
    const char **why)
{
	struct rscan s = { buf, buf + len };
	char key[64], value[MK_RSPF_VALUE_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (len > MK_RSPF_HEADER_MAX) {
		*why = "header too long";
		return -1;
	}
	if (rs_skip_cfws(&s) == -1 || rs_word(&s, out->result, sizeof(out->result), true,
	    false) == -1 || out->result[0] == '\0') {
		*why = "bad result";
		return -1;
	}
	for (;;) {
		if (rs_skip_cfws(&s) == -1) {
			*why = "unbalanced comment";
			return -1;
		}
		if (s.p < s.end && *s.p == ';') {
			s.p++;
			continue;
		}
		if (s.p >= s.end)
			return 0;
		if (rs_word(&s, key, sizeof(key), true, false) == -1 || rs_skip_cfws(&s) == -1 ||
		    s.p >= s.end || *s.p != '=') {
			*why = "bad key=value";
			return -1;
		}
		s.p++;
		if (rs_skip_cfws(&s) == -1 || rs_word(&s, value, sizeof(value), false, true) == -1) {
			*why = "bad value";
			return -1;
		}
		rs_store(out, key, value);
	}
}

/* ---- SPF / DKIM inputs ------------------------------------------------ */

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : addr;
}

/* An address as written in a header, brackets stripped, into out. */
static void
strip_brackets(const char *in, char *out, size_t outsz)
{
	size_t n = strlen(in);

	if (n >= 2 && in[0] == '<' && in[n - 1] == '>') {
		in++;
		n -= 2;
	}
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, in, n);
	out[n] = '\0';
}

/* Whether a header's mailfrom value names the session's envelope sender:
 * a full address must equal MAIL FROM (local part exact, domain
 * case-insensitive); a bare domain must equal its domain. */
static bool
mailfrom_matches(const char *value, const struct mk_spf_session *s)
{
	char v[MK_RSPF_VALUE_MAX + 1];
	const char *at;
	size_t ll;

	strip_brackets(value, v, sizeof(v));
	if (s->null_sender)
		return v[0] == '\0';
	if ((at = strrchr(v, '@')) == NULL)
		return strcasecmp(v, s->mailfrom_domain) == 0;
	ll = (size_t)(at - v);
	return strlen(s->mailfrom) > ll && strncmp(v, s->mailfrom, ll) == 0 &&
	    s->mailfrom[ll] == '@' && strcasecmp(at + 1, s->mailfrom_domain) == 0;
}

static void
fill_auth(struct mk_dmarc_auth *a, const char *domain, const char *result)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->domain, sizeof(a->domain), "%s", domain);
	snprintf(a->result, sizeof(a->result), "%s", result);
	for (char *p = a->domain; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
}

int
mk_arparse_spf_authres(const struct mk_authres *ar, const struct mk_spf_session *s,
    struct mk_dmarc_auth *spf, bool *helo)
{
	const struct mk_authres_result *r;
	const char *mf, *h;
	size_t i;

	for (i = 0; i < ar->count; i++) {
		r = &ar->res[i];
		if (strcmp(r->method, "spf") != 0)
			continue;
		mf = mk_authres_prop(r, "smtp.mailfrom");
		h = mk_authres_prop(r, "smtp.helo");
		if (mf != NULL && !s->null_sender && mailfrom_matches(mf, s)) {
			fill_auth(spf, s->mailfrom_domain, r->result);
			*helo = false;
			return 0;
		}
		/* null sender: the HELO identity (RFC 7489 4.1) */
		if (s->null_sender && h != NULL && s->helo[0] != '\0' &&
		    strcasecmp(h, s->helo) == 0) {
			fill_auth(spf, s->helo, r->result);
			*helo = true;
			return 0;
		}
	}
	return -1;
}

int
mk_arparse_spf_received(const struct mk_received_spf *r, const struct mk_spf_session *s,
    struct mk_dmarc_auth *spf, bool *helo)
{
	if (strcmp(r->identity, "mailfrom") == 0 && !s->null_sender &&
	    mailfrom_matches(r->envelope_from, s)) {
		fill_auth(spf, s->mailfrom_domain, r->result);
		*helo = false;
		return 0;
	}
	if (strcmp(r->identity, "helo") == 0 && s->null_sender && s->helo[0] != '\0' &&
	    strcasecmp(r->helo, s->helo) == 0) {
		fill_auth(spf, s->helo, r->result);
		*helo = true;
		return 0;
	}
	return -1;
}

size_t
mk_arparse_dkim_authres(const struct mk_authres *ar, struct mk_dmarc_input *in)
{
	const struct mk_authres_result *r;
	const char *d, *sel;
	size_t i, added = 0;

	for (i = 0; i < ar->count && in->ndkim < MK_DMARC_DKIM_MAX; i++) {
		r = &ar->res[i];
		if (strcmp(r->method, "dkim") != 0)
			continue;
		if ((d = mk_authres_prop(r, "header.d")) == NULL &&
		    (d = mk_authres_prop(r, "header.i")) == NULL)
			continue;
		if (*domain_of(d) == '\0')
			continue;	/* no domain: nothing to align */
		fill_auth(&in->dkim[in->ndkim], domain_of(d), r->result);
		if ((sel = mk_authres_prop(r, "header.s")) != NULL)
			snprintf(in->dkim[in->ndkim].selector, sizeof(in->dkim[0].selector), "%s", sel);
		in->ndkim++;
		added++;
	}
	return added;
}

bool
mk_arparse_id_is_trusted(const char *id, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], "*") == 0 || strcasecmp(list[i], id) == 0)
			return true;
	return false;
}
