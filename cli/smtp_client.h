/*
 * cli/smtp_client.h: a small blocking SMTP client connection for the admin
 * tool (mailaka send, mailaka check): TCP with timeouts, TLS through
 * OpenSSL (TLS 1.2 or later, SNI, certificate verification on by default),
 * bounded line reads, replies parsed by lib/smtp_reply.
 *
 * Every function that can fail fills err (a human-readable reason, peer
 * text escaped) and returns -1; 0 on success.  Nothing here ever logs or
 * prints what is written (AUTH data goes through smtp_client_write()).
 */
#ifndef MK_CLI_SMTP_CLIENT_H
#define MK_CLI_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/smtp_reply.h"

#define SMTP_CLIENT_TIMEOUT_DEFAULT_MS 30000
#define SMTP_CLIENT_CMD_MAX 512		/* RFC 5321 4.5.3.1.4 command line */

struct smtp_client;

struct smtp_tls_opts {
	const char *name;	/* name to verify and send as SNI (NULL: the host) */
	const char *cafile;	/* trust anchors (NULL: the system store) */
	bool insecure;		/* do not verify the certificate */
};

/* Connect to host:port (name or address; port a number).  timeout_ms bounds
 * the connect and each later read/write (0: the default).  Returns NULL with
 * err filled. */
struct smtp_client *smtp_client_connect(const char *host, const char *port,
    unsigned timeout_ms, char *err, size_t errlen);
/* Closes (without QUIT). Returns NULL. */
struct smtp_client *smtp_client_free(struct smtp_client *c);

/* Start TLS on the connection (implicit TLS right after connect, or after a
 * 220 to STARTTLS).  Fails when the read buffer holds data the server sent
 * before the handshake (a STARTTLS injection). */
int smtp_client_tls(struct smtp_client *c, const struct smtp_tls_opts *o, char *err, size_t errlen);
bool smtp_client_is_tls(const struct smtp_client *c);
const char *smtp_client_tls_version(const struct smtp_client *c);	/* "TLSv1.3" or "none" */
const char *smtp_client_tls_cipher(const struct smtp_client *c);	/* or "none" */

/* Read one complete reply into r. */
int smtp_client_reply(struct smtp_client *c, struct mk_smtp_reply *r, char *err, size_t errlen);
/* Write bytes as they are. */
int smtp_client_write(struct smtp_client *c, const void *buf, size_t len, char *err,
    size_t errlen);
/* Send "line CRLF" (line must not hold CR or LF; at most SMTP_CLIENT_CMD_MAX)
 * and read the reply. */
int smtp_client_cmd(struct smtp_client *c, const char *line, struct mk_smtp_reply *r,
    char *err, size_t errlen);

/* When set, the dialogue is traced to stderr ("C: ", "S: "); lines written
 * with smtp_client_write_secret() are shown as "C: <secret>". */
void smtp_client_set_trace(struct smtp_client *c, bool on);
int smtp_client_cmd_secret(struct smtp_client *c, const char *line, struct mk_smtp_reply *r,
    char *err, size_t errlen);

/* "550 5.1.1 text" of a reply, escaped, for error messages. */
void smtp_client_reply_str(const struct mk_smtp_reply *r, char *out, size_t outsz);

#endif
