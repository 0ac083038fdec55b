/*
 * lib/dmarc_send.h: delivery helpers of DMARC reports -- gzip (zlib), the
 * RFC 7489 7.2.1.1 report mail (MIME, base64 attachment) and a minimal
 * SMTP submission client (plain SMTP to a configured relay such as the
 * local Postfix or mailaka-mta; no TLS, no AUTH: a loopback relay).
 */
#ifndef MK_DMARC_SEND_H
#define MK_DMARC_SEND_H

#include <stddef.h>

#define MK_SMTP_TIMEOUT_S 30	/* per reply */
#define MK_SMTP_REPLY_MAX 4096	/* bytes of one (multi-line) reply kept */

/* gzip (RFC 1952) of in; malloc'd, *outlen set; NULL on failure. */
unsigned char *mk_dmarc_gzip(const void *in, size_t inlen, size_t *outlen);

/* The report mail (headers + MIME body, CRLF line ends), malloc'd. */
char *mk_dmarc_report_mail(const char *from, const char *to, const char *domain,
    const char *org, const char *report_id, const char *filename,
    const unsigned char *gz, size_t gzlen, size_t *len);

/* Submit msg (CRLF lines) to relay "host:port" (host may be [v6]); 0, or
 * -1 with err holding the failing step and the server's reply. */
int mk_dmarc_smtp_send(const char *relay, const char *helo, const char *from,
    const char *to, const char *msg, size_t len, char *err, size_t errlen);

#endif
