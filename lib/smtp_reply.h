/*
 * lib/smtp_reply.h: SMTP replies as a client reads them (RFC 5321 4.2).
 *
 * A reply is one or more lines "NNN-text" ... "NNN text" (or a bare
 * "NNN" on the last line).  The parser is a pure function of the lines fed
 * to it: no I/O, no logging, no allocation.  The caller reads a line
 * (bounded by MK_SMTP_REPLY_LINE_MAX, CRLF removed) and feeds it; the
 * reply is complete when mk_smtp_reply_feed() returns 1.
 *
 * Strict where it matters for safety: every line of a reply must carry the
 * same code, codes are 2xx..5xx with a second digit 0..5, text holds no
 * NUL, CR or LF, and a reply has at most MK_SMTP_REPLY_LINES_MAX lines.
 * The text of the lines (without the code and separator) is kept joined by
 * '\n', truncated at MK_SMTP_REPLY_TEXT_MAX (truncated set).
 */
#ifndef MK_SMTP_REPLY_H
#define MK_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define MK_SMTP_REPLY_LINE_MAX 1000	/* RFC 5321 4.5.3.1.5 says 512; be lenient, bounded */
#define MK_SMTP_REPLY_LINES_MAX 100	/* lines in one reply (EHLO lists ~20) */
#define MK_SMTP_REPLY_TEXT_MAX 4096	/* bytes of text kept */
#define MK_SMTP_QUEUE_ID_MAX 64		/* bytes of a queue id kept */

struct mk_smtp_reply {
	int code;			/* 0 until the first line */
	bool done;			/* last line seen */
	bool truncated;			/* text did not fit */
	size_t nlines;
	size_t textlen;
	char text[MK_SMTP_REPLY_TEXT_MAX + 1];	/* lines' text joined by '\n', NUL-terminated */
};

/* Start a new reply (zeroes r). */
void mk_smtp_reply_init(struct mk_smtp_reply *r);

/* Feed one line (without CRLF).  Returns 1 when the reply is complete,
 * 0 when more lines follow, -1 when the line is malformed (*why says why,
 * a static string; r is then unusable).  Feeding after completion is an
 * error. */
int mk_smtp_reply_feed(struct mk_smtp_reply *r, const char *line, size_t len, const char **why);

/* Convenience for tests and fuzzing: parse a whole reply from buf, lines
 * ended by CRLF (or LF).  Returns the bytes consumed (> 0) once complete,
 * 0 if buf ends before the reply does, -1 on a malformed reply. */
long mk_smtp_reply_parse(const char *buf, size_t len, struct mk_smtp_reply *r, const char **why);

/* The code class: 2, 3, 4 or 5 (0 before a line). */
int mk_smtp_reply_class(const struct mk_smtp_reply *r);

/* EHLO replies: whether the extension keyword kw is offered (the first word
 * of a line after the greeting line, case-insensitive). */
bool mk_smtp_reply_has_ext(const struct mk_smtp_reply *r, const char *kw);
/* Whether the extension kw lists param among its parameters
 * ("AUTH PLAIN LOGIN": kw "AUTH", param "LOGIN"), case-insensitive. */
bool mk_smtp_reply_ext_has_param(const struct mk_smtp_reply *r, const char *kw,
    const char *param);

/* The queue id a server reports in its reply to the end of DATA:
 * Postfix "queued as ID", Exim "id=ID", Sendmail "ID Message accepted".
 * 0 with out filled ([A-Za-z0-9._-]+, at most MK_SMTP_QUEUE_ID_MAX), or -1. */
int mk_smtp_reply_queue_id(const struct mk_smtp_reply *r, char *out, size_t outsz);

#endif
