/*
 * lib/dmarc_report.c: aggregate report XML (see dmarc_report.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dmarc_report.h"

struct xbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void
xb_add(struct xbuf *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
xb_str(struct xbuf *b, const char *s)
{
	xb_add(b, s, strlen(s));
}

/* <name>escaped text</name> at indent. */
static void
xb_el(struct xbuf *b, int indent, const char *name, const char *text)
{
	const char *p;
	int i;

	for (i = 0; i < indent; i++)
		xb_str(b, "  ");
	xb_str(b, "<");
	xb_str(b, name);
	xb_str(b, ">");
	for (p = text; *p != '\0'; p++) {
		switch (*p) {
		case '<': xb_str(b, "&lt;"); break;
		case '>': xb_str(b, "&gt;"); break;
		case '&': xb_str(b, "&amp;"); break;
		case '"': xb_str(b, "&quot;"); break;
		default:
			/* control characters are not allowed in XML 1.0 */
			if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n')
				xb_str(b, "?");
			else
				xb_add(b, p, 1);
		}
	}
	xb_str(b, "</");
	xb_str(b, name);
	xb_str(b, ">\n");
}

static void
xb_open(struct xbuf *b, int indent, const char *tag)
{
	int i;

	for (i = 0; i < indent; i++)
		xb_str(b, "  ");
	xb_str(b, tag);
	xb_str(b, "\n");
}

static void
xb_num(struct xbuf *b, int indent, const char *name, unsigned long long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%llu", v);
	xb_el(b, indent, name, num);
}

static void
metadata(struct xbuf *b, const struct mk_dmarc_report_meta *m)
{
	xb_open(b, 1, "<report_metadata>");
	xb_el(b, 2, "org_name", m->org_name);
	xb_el(b, 2, "email", m->email);
	xb_el(b, 2, "report_id", m->report_id);
	xb_open(b, 2, "<date_range>");
	xb_num(b, 3, "begin", (unsigned long long)m->begin);
	xb_num(b, 3, "end", (unsigned long long)m->end);
	xb_open(b, 2, "</date_range>");
	if (m->spec == MK_DMARC_SPEC_9989 && m->generator != NULL)
		xb_el(b, 2, "generator", m->generator);
	xb_open(b, 1, "</report_metadata>");
}

static const char *
or_default(const char *v, const char *def)
{
	return v[0] != '\0' && strcmp(v, "unset") != 0 ? v : def;
}

static void
published(struct xbuf *b, const struct mk_dmarc_report_meta *m,
    const struct mk_dmarc_published *pol)
{
	const char *p = or_default(pol->p, "none");

	xb_open(b, 1, "<policy_published>");
	xb_el(b, 2, "domain", pol->domain);
	if (m->spec == MK_DMARC_SPEC_9989)
		xb_el(b, 2, "discovery_method", or_default(pol->discovery, "treewalk"));
	xb_el(b, 2, "adkim", or_default(pol->adkim, "r"));
	xb_el(b, 2, "aspf", or_default(pol->aspf, "r"));
	xb_el(b, 2, "p", p);
	xb_el(b, 2, "sp", or_default(pol->sp, p));
	if (m->spec == MK_DMARC_SPEC_9989) {
		if (strcmp(or_default(pol->np, ""), "") != 0)
			xb_el(b, 2, "np", pol->np);
		xb_el(b, 2, "testing", pol->testing ? "y" : "n");
	} else {
		xb_num(b, 2, "pct", (unsigned long long)pol->pct);
	}
	xb_el(b, 2, "fo", "0");
	xb_open(b, 1, "</policy_published>");
}

/* DKIM results of a row: "domain selector result" lines. */
static void
dkim_results(struct xbuf *b, const char *dkim, bool selector_required)
{
	char dom[256], sel[128], res[32];
	const char *p = dkim, *nl;
	char line[512];
	size_t n;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (sscanf(line, "%255s %127s %31s", dom, sel, res) == 3) {
			xb_open(b, 3, "<dkim>");
			xb_el(b, 4, "domain", dom);
			if (strcmp(sel, "-") != 0 || selector_required)
				xb_el(b, 4, "selector", strcmp(sel, "-") != 0 ? sel : "");
			xb_el(b, 4, "result", res);
			xb_open(b, 3, "</dkim>");
		}
		p += n;
		if (*p == '\n')
			p++;
	}
}

static void
record(struct xbuf *b, const struct mk_dmarc_report_meta *m, const struct mk_dmarc_agg_row *r)
{
	static const char *const spf_ok[] = { "none", "neutral", "pass", "fail", "softfail",
		"temperror", "permerror", NULL };
	const char *spf_result = "none";
	size_t i;

	for (i = 0; spf_ok[i] != NULL; i++)
		if (strcmp(r->spf_result, spf_ok[i]) == 0)
			spf_result = spf_ok[i];
	xb_open(b, 1, "<record>");
	xb_open(b, 2, "<row>");
	xb_el(b, 3, "source_ip", r->source_ip);
	xb_num(b, 3, "count", r->count);
	xb_open(b, 3, "<policy_evaluated>");
	xb_el(b, 4, "disposition", or_default(r->disposition, "none"));
	xb_el(b, 4, "dkim", r->dkim_eval);
	xb_el(b, 4, "spf", r->spf_eval);
	if (r->override[0] != '\0') {
		xb_open(b, 4, "<reason>");
		/* 7489 has no policy_test_mode: its pct=0 is "sampled_out" */
		xb_el(b, 5, "type", m->spec == MK_DMARC_SPEC_7489 &&
		    strcmp(r->override, "policy_test_mode") == 0 ? "sampled_out" : r->override);
		xb_open(b, 4, "</reason>");
	}
	xb_open(b, 3, "</policy_evaluated>");
	xb_open(b, 2, "</row>");
	xb_open(b, 2, "<identifiers>");
	if (m->spec == MK_DMARC_SPEC_7489 || r->envelope_from[0] != '\0')
		xb_el(b, 3, "envelope_from", r->envelope_from);
	xb_el(b, 3, "header_from", r->header_from);
	xb_open(b, 2, "</identifiers>");
	xb_open(b, 2, "<auth_results>");
	dkim_results(b, r->dkim, m->spec == MK_DMARC_SPEC_9989);
	xb_open(b, 3, "<spf>");
	xb_el(b, 4, "domain", r->spf_domain);
	/* RFC 9990 knows only the mfrom scope; 7489 also helo */
	if (m->spec == MK_DMARC_SPEC_7489 || strcmp(r->spf_scope, "helo") != 0)
		xb_el(b, 4, "scope", r->spf_scope[0] ? r->spf_scope : "mfrom");
	xb_el(b, 4, "result", spf_result);
	xb_open(b, 3, "</spf>");
	xb_open(b, 2, "</auth_results>");
	xb_open(b, 1, "</record>");
}

char *
mk_dmarc_report_xml(const struct mk_dmarc_report_meta *meta,
    const struct mk_dmarc_published *pol, const struct mk_dmarc_agg_row *rows, size_t nrows,
    size_t *len)
{
	struct xbuf b = { NULL, 0, 0, false };
	size_t i;

	if (nrows == 0 || nrows > MK_DMARC_REPORT_ROWS_MAX)
		return NULL;
	xb_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	if (meta->spec == MK_DMARC_SPEC_9989) {
		xb_str(&b, "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n");
		xb_el(&b, 1, "version", "1.0");
	} else {
		xb_str(&b, "<feedback xmlns=\"http://dmarc.org/dmarc-xml/0.1\">\n");
	}
	metadata(&b, meta);
	published(&b, meta, pol);
	for (i = 0; i < nrows; i++)
		record(&b, meta, &rows[i]);
	xb_str(&b, "</feedback>\n");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static void
safe_part(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstsz; i++)
		dst[i] = isalnum((unsigned char)src[i]) || src[i] == '.' || src[i] == '-' ||
		    src[i] == '_' ? src[i] : '_';
	dst[i] = '\0';
}

int
mk_dmarc_report_filename(const char *receiver, const char *domain, time_t begin,
    time_t end, const char *id, char *out, size_t outsz)
{
	char r[256], d[256], u[256];
	int n;

	safe_part(r, sizeof(r), receiver);
	safe_part(d, sizeof(d), domain);
	safe_part(u, sizeof(u), id);
	n = snprintf(out, outsz, "%s!%s!%lld!%lld!%s.xml.gz", r, d, (long long)begin,
	    (long long)end, u);
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

long
mk_dmarc_report_interval(long period, unsigned long ri)
{
	long want;

	if (ri == 0 || ri <= (unsigned long)period)
		return period;
	want = ri > MK_DMARC_REPORT_RI_MAX ? MK_DMARC_REPORT_RI_MAX : (long)ri;
	if (want <= period)
		return period;
	return (want + period - 1) / period * period;
}
