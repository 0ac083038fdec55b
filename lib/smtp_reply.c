/*
 * lib/smtp_reply.c: SMTP reply parsing (see smtp_reply.h).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "smtp_reply.h"

void
mk_smtp_reply_init(struct mk_smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

static bool
reply_code_valid(const char *p)
{
	return p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '5' &&
	    p[2] >= '0' && p[2] <= '9';
}

static void
reply_text_add(struct mk_smtp_reply *r, const char *s, size_t n)
{
	size_t room;

	if (r->nlines > 1) {
		if (r->textlen < MK_SMTP_REPLY_TEXT_MAX)
			r->text[r->textlen++] = '\n';
		else
			r->truncated = true;
	}
	room = MK_SMTP_REPLY_TEXT_MAX - r->textlen;
	if (n > room) {
		n = room;
		r->truncated = true;
	}
	memcpy(r->text + r->textlen, s, n);
	r->textlen += n;
	r->text[r->textlen] = '\0';
}

int
mk_smtp_reply_feed(struct mk_smtp_reply *r, const char *line, size_t len, const char **why)
{
	const char *dummy;
	size_t i;
	int code;

	if (why == NULL)
		why = &dummy;
	if (r->done) {
		*why = "line after the end of the reply";
		return -1;
	}
	if (len > MK_SMTP_REPLY_LINE_MAX) {
		*why = "reply line too long";
		return -1;
	}
	if (len < 3 || !reply_code_valid(line)) {
		*why = "reply line does not start with a reply code";
		return -1;
	}
	if (len > 3 && line[3] != ' ' && line[3] != '-') {
		*why = "reply code not followed by space or hyphen";
		return -1;
	}
	for (i = 3; i < len; i++)
		if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n') {
			*why = "NUL, CR or LF inside a reply line";
			return -1;
		}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code) {
		*why = "reply code changes between lines";
		return -1;
	}
	if (r->nlines >= MK_SMTP_REPLY_LINES_MAX) {
		*why = "too many reply lines";
		return -1;
	}
	r->code = code;
	r->nlines++;
	reply_text_add(r, len > 4 ? line + 4 : "", len > 4 ? len - 4 : 0);
	if (len == 3 || line[3] == ' ')
		r->done = true;
	return r->done ? 1 : 0;
}

long
mk_smtp_reply_parse(const char *buf, size_t len, struct mk_smtp_reply *r, const char **why)
{
	const char *dummy, *nl;
	size_t off = 0, ll;
	int rc;

	if (why == NULL)
		why = &dummy;
	mk_smtp_reply_init(r);
	while (off < len) {
		if ((nl = memchr(buf + off, '\n', len - off)) == NULL) {
			if (len - off > MK_SMTP_REPLY_LINE_MAX + 1) {
				*why = "reply line too long";
				return -1;
			}
			return 0;
		}
		ll = (size_t)(nl - (buf + off));
		if (ll > 0 && buf[off + ll - 1] == '\r')
			ll--;
		if ((rc = mk_smtp_reply_feed(r, buf + off, ll, why)) < 0)
			return -1;
		off = (size_t)(nl - buf) + 1;
		if (rc == 1)
			return (long)off;
	}
	return 0;
}

int
mk_smtp_reply_class(const struct mk_smtp_reply *r)
{
	return r->code / 100;
}

/* Calls fn for each line of the text after the first; stops when fn
 * returns true.  Lines are not NUL-terminated. */
static bool
reply_lines_any(const struct mk_smtp_reply *r, bool (*fn)(const char *, size_t, const void *),
    const void *arg)
{
	const char *p = r->text, *end = r->text + r->textlen, *nl;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return false;	/* only the greeting line */
	p = nl + 1;
	while (p <= end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (fn(p, nl != NULL ? (size_t)(nl - p) : (size_t)(end - p), arg))
			return true;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}

/* Length of the first word of s (up to space, '=' for old "AUTH=" lines). */
static size_t
word_len(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != ' ' && s[i] != '='; i++)
		;
	return i;
}

static bool
line_is_kw(const char *s, size_t n, const void *arg)
{
	const char *kw = arg;
	size_t wl = word_len(s, n);

	return wl == strlen(kw) && strncasecmp(s, kw, wl) == 0;
}

struct kw_param {
	const char *kw;
	const char *param;
};

static bool
line_has_param(const char *s, size_t n, const void *arg)
{
	const struct kw_param *kp = arg;
	size_t i, wl, pl = strlen(kp->param);

	if (!line_is_kw(s, n, kp->kw))
		return false;
	for (i = word_len(s, n); i < n; i += wl) {
		while (i < n && (s[i] == ' ' || s[i] == '='))
			i++;
		wl = word_len(s + i, n - i);
		if (wl == 0)
			break;
		if (wl == pl && strncasecmp(s + i, kp->param, pl) == 0)
			return true;
	}
	return false;
}

bool
mk_smtp_reply_has_ext(const struct mk_smtp_reply *r, const char *kw)
{
	return r->code == 250 && reply_lines_any(r, line_is_kw, kw);
}

bool
mk_smtp_reply_ext_has_param(const struct mk_smtp_reply *r, const char *kw, const char *param)
{
	struct kw_param kp = { kw, param };

	return r->code == 250 && reply_lines_any(r, line_has_param, &kp);
}

static bool
id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_' || c == '-';
}

/* Copy the id at p (up to end) into out: 0 or -1. */
static int
id_copy(const char *p, const char *end, char *out, size_t outsz)
{
	size_t n = 0;

	while (p + n < end && id_char(p[n]))
		n++;
	if (n == 0 || n > MK_SMTP_QUEUE_ID_MAX || n >= outsz)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* Case-insensitive search for needle in [s, end). */
static const char *
find_ci(const char *s, const char *end, const char *needle)
{
	size_t nl = strlen(needle);

	for (; s + nl <= end; s++)
		if (strncasecmp(s, needle, nl) == 0)
			return s;
	return NULL;
}

int
mk_smtp_reply_queue_id(const struct mk_smtp_reply *r, char *out, size_t outsz)
{
	const char *end = r->text + r->textlen, *p, *q;

	if (r->code != 250 || outsz == 0)
		return -1;
	if ((p = find_ci(r->text, end, "queued as ")) != NULL)
		return id_copy(p + 10, end, out, outsz);
	if ((p = find_ci(r->text, end, "id=")) != NULL)
		return id_copy(p + 3, end, out, outsz);
	if ((p = find_ci(r->text, end, " Message accepted")) != NULL) {
		/* Sendmail: "2.0.0 ID Message accepted for delivery" */
		for (q = p; q > r->text && id_char(q[-1]); q--)
			;
		if (q < p)
			return id_copy(q, p, out, outsz);
	}
	return -1;
}
