/*
 * cli/send_msg.h: the test message "mailaka send" submits, as the DATA
 * payload: RFC 5322 header fields (Date, From, To, Subject, Message-ID,
 * MIME-Version, Content-Type), the body with every line ending turned into
 * CRLF and leading dots doubled (RFC 5321 4.5.2), then the final ".\r\n".
 * A pure function of its input (time and Message-ID are given).
 */
#ifndef MK_CLI_SEND_MSG_H
#define MK_CLI_SEND_MSG_H

#include <stddef.h>
#include <time.h>

#define SEND_MSG_LINE_MAX 998		/* RFC 5322 2.1.1: octets per line without CRLF */
#define SEND_MSG_BODY_MAX (10 * 1024 * 1024)	/* bytes of body accepted */
#define SEND_MSG_SUBJECT_MAX 900
#define SEND_MSG_TO_MAX 16

struct send_msg {
	const char *from;		/* header and envelope address */
	const char *to[SEND_MSG_TO_MAX];
	size_t nto;
	const char *subject;
	const char *msgid;		/* without <>, e.g. "abc.123@example.test" */
	time_t now;
	const char *body;		/* any line endings (LF, CRLF); NULL: a default text */
	size_t bodylen;
};

/* Returns the malloc'd payload (*outlen its length, NUL-terminated after
 * that), or NULL with err
 * filled (subject with CR/LF or too long, body line over 998 octets, bare
 * CR or NUL in the body, body too big). */
char *send_msg_build(const struct send_msg *m, size_t *outlen, char *err, size_t errlen);

/* Whether an address is a plain local@domain usable in a header and a path. */
int send_msg_addr_check(const char *addr, char *err, size_t errlen);

#endif
