/*
 * cli/send_msg.c: the message of "mailaka send" (see send_msg.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli/send_msg.h"
#include "lib/addr.h"

#define SEND_MSG_HEADER_MAX 8192

static const char send_msg_default_body[] =
    "This is a test message sent by \"mailaka send\".\n"
    "\n"
    "If it arrived, submission, TLS and authentication work.\n";

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
send_msg_addr_check(const char *addr, char *err, size_t errlen)
{
	struct mk_path p;
	const char *why = "bad address";
	size_t end, n = strlen(addr);

	if (n == 0 || mk_path_parse(addr, n, MK_PATH_LAX, &p, &end, &why) != 0 ||
	    end != n || p.null || p.addr.domain[0] == '\0' || addr[0] == '<') {
		errf(err, errlen, "bad address \"%s\": %s", addr,
		    n == 0 || addr[0] == '<' ? "give it as local@domain" : why);
		return -1;
	}
	return 0;
}

/* Subject as a header value: ASCII as is, otherwise an RFC 2047 encoded
 * word (UTF-8, base64).  0 / -1. */
static int
subject_encode(const char *s, char *out, size_t outsz, char *err, size_t errlen)
{
	unsigned char b64[((SEND_MSG_SUBJECT_MAX + 2) / 3) * 4 + 1];
	size_t n = strlen(s), i;
	bool ascii = true;

	if (n > SEND_MSG_SUBJECT_MAX || strpbrk(s, "\r\n") != NULL) {
		errf(err, errlen, "the subject must be one line of at most %d bytes",
		    SEND_MSG_SUBJECT_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || ((unsigned char)s[i] < 0x20 && s[i] != '\t'))
			ascii = false;
	if (!ascii && n > SEND_MSG_SUBJECT_MAX * 2 / 3) {
		/* the encoded word must stay within one 998-octet line */
		errf(err, errlen, "a non-ASCII subject may have at most %d bytes",
		    SEND_MSG_SUBJECT_MAX * 2 / 3);
		return -1;
	}
	if (ascii)
		return snprintf(out, outsz, "%s", s) < (int)outsz ? 0 : -1;
	EVP_EncodeBlock(b64, (const unsigned char *)s, (int)n);
	return snprintf(out, outsz, "=?UTF-8?B?%s?=", b64) < (int)outsz ? 0 : -1;
}

static size_t
headers_build(const struct send_msg *m, const char *subj, char *out, size_t outsz)
{
	char date[64];
	struct tm tm;
	size_t o, i;
	int n;

	gmtime_r(&m->now, &tm);
	/* RFC 5322 3.3, English names regardless of the locale. */
	snprintf(date, sizeof(date), "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    (const char *[]){ "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }[tm.tm_wday],
	    tm.tm_mday, (const char *[]){ "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	    "Aug", "Sep", "Oct", "Nov", "Dec" }[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	n = snprintf(out, outsz, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, m->from);
	o = (size_t)n;
	for (i = 0; i < m->nto && o < outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%s<%s>", i > 0 ? ",\r\n    " : "",
		    m->to[i]);
	if (o < outsz)
		o += (size_t)snprintf(out + o, outsz - o, "\r\nSubject: %s\r\nMessage-ID: <%s>\r\n"
		    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\nUser-Agent: mailaka-send/%s\r\n\r\n",
		    subj, m->msgid, PACKAGE_VERSION);
	return o;
}

/* Append the body to out (room for 2 * len + 8 bytes), CRLF and dot-stuffed.
 * Returns the bytes written or -1 with err. */
static long
body_build(const char *b, size_t len, char *out, char *err, size_t errlen)
{
	size_t i, o = 0, col = 0, lineno = 1;

	for (i = 0; i < len; i++) {
		if (b[i] == '\0' || (b[i] == '\r' && (i + 1 >= len || b[i + 1] != '\n'))) {
			errf(err, errlen, "body line %zu: %s", lineno,
			    b[i] == '\0' ? "NUL byte" : "bare CR");
			return -1;
		}
		if (b[i] == '\r')
			continue;
		if (b[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
			lineno++;
			continue;
		}
		if (col == 0 && b[i] == '.')
			out[o++] = '.';
		if (++col > SEND_MSG_LINE_MAX) {
			errf(err, errlen, "body line %zu longer than %d octets", lineno,
			    SEND_MSG_LINE_MAX);
			return -1;
		}
		out[o++] = b[i];
	}
	if (col > 0) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	return (long)(o + 3);
}

char *
send_msg_build(const struct send_msg *m, size_t *outlen, char *err, size_t errlen)
{
	char subj[((SEND_MSG_SUBJECT_MAX + 2) / 3) * 4 + 16];
	const char *body = m->body != NULL ? m->body : send_msg_default_body;
	size_t blen = m->body != NULL ? m->bodylen : strlen(send_msg_default_body), hl;
	char *out;
	long bl;

	if (blen > SEND_MSG_BODY_MAX) {
		errf(err, errlen, "body larger than %d bytes", SEND_MSG_BODY_MAX);
		return NULL;
	}
	if (m->nto == 0 || m->nto > SEND_MSG_TO_MAX) {
		errf(err, errlen, "between 1 and %d recipients", SEND_MSG_TO_MAX);
		return NULL;
	}
	if (subject_encode(m->subject, subj, sizeof(subj), err, errlen) != 0)
		return NULL;
	if ((out = malloc(SEND_MSG_HEADER_MAX + 2 * blen + 9)) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	hl = headers_build(m, subj, out, SEND_MSG_HEADER_MAX);
	if (hl >= SEND_MSG_HEADER_MAX) {
		errf(err, errlen, "header fields too long");
		free(out);
		return NULL;
	}
	if ((bl = body_build(body, blen, out + hl, err, errlen)) < 0) {
		free(out);
		return NULL;
	}
	*outlen = hl + (size_t)bl;
	out[*outlen] = '\0';	/* for callers that print it; not sent */
	return out;
}
