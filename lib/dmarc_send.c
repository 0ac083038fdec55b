/*
 * lib/dmarc_send.c: gzip, the report mail and SMTP submission (see
 * dmarc_send.h).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "lib/dmarc_send.h"

unsigned char *
mk_dmarc_gzip(const void *in, size_t inlen, size_t *outlen)
{
	z_stream zs;
	unsigned char *out;
	size_t cap = inlen + inlen / 100 + 64;

	memset(&zs, 0, sizeof(zs));
	if ((out = malloc(cap)) == NULL)
		return NULL;
	/* windowBits 15 + 16: a gzip wrapper */
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return NULL;
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(out);
		return NULL;
	}
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

char *
mk_dmarc_report_mail(const char *from, const char *to, const char *domain,
    const char *org, const char *report_id, const char *filename,
    const unsigned char *gz, size_t gzlen, size_t *len)
{
	size_t b64len = 4 * ((gzlen + 2) / 3), cap, n, i;
	unsigned char *b64 = malloc(b64len + 1);
	char date[64], *msg;
	time_t now = time(NULL);
	struct tm tm;

	if (b64 == NULL)
		return NULL;
	EVP_EncodeBlock(b64, gz, (int)gzlen);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	cap = 2048 + strlen(filename) * 2 + b64len + b64len / 76 * 2 + 4;
	if ((msg = malloc(cap)) == NULL) {
		free(b64);
		return NULL;
	}
	n = (size_t)snprintf(msg, cap, "From: %s\r\nTo: %s\r\nDate: %s\r\n"
	    "Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\r\n"
	    "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"mailaka-dmarc-report\"\r\n\r\n"
	    "--mailaka-dmarc-report\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "DMARC aggregate report for %s from %s.\r\n\r\n"
	    "--mailaka-dmarc-report\r\nContent-Type: application/gzip; name=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n",
	    from, to, date, domain, org, report_id, report_id, org, domain, org, filename,
	    filename);
	for (i = 0; i < b64len && n + 80 < cap; i += 76) {
		size_t k = b64len - i < 76 ? b64len - i : 76;

		memcpy(msg + n, b64 + i, k);
		n += k;
		memcpy(msg + n, "\r\n", 2);
		n += 2;
	}
	n += (size_t)snprintf(msg + n, cap - n, "\r\n--mailaka-dmarc-report--\r\n");
	free(b64);
	*len = n;
	return msg;
}

/* ---- SMTP ------------------------------------------------------------ */

static int
smtp_connect(const char *relay, char *err, size_t errlen)
{
	char host[256], *port;
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { MK_SMTP_TIMEOUT_S, 0 };
	int fd = -1, rc;

	snprintf(host, sizeof(host), "%s", relay);
	if ((port = strrchr(host, ':')) == NULL) {
		snprintf(err, errlen, "relay %s: want host:port", relay);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "relay %s: %s", relay, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		snprintf(err, errlen, "relay %s: %s", relay, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Read one (multi-line) reply; its code, or -1. */
static int
smtp_reply(int fd, char *buf, size_t bufsz)
{
	size_t n = 0;
	ssize_t r;
	char *line;

	buf[0] = '\0';
	for (;;) {
		if (n + 1 >= bufsz)
			return -1;
		if ((r = read(fd, buf + n, 1)) <= 0)
			return -1;
		n++;
		buf[n] = '\0';
		if (buf[n - 1] != '\n')
			continue;
		line = buf;
		while (strchr(line, '\n') != NULL && strchr(line, '\n') + 1 < buf + n)
			line = strchr(line, '\n') + 1;
		if (strlen(line) >= 4 && line[3] == ' ')
			return atoi(line);
		if (strlen(line) < 4 || line[3] != '-')
			return -1;
	}
}

static int
smtp_write(int fd, const char *s, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, s, len)) <= 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
smtp_cmd(int fd, const char *cmd, int want, char *err, size_t errlen)
{
	char reply[MK_SMTP_REPLY_MAX];
	int code;

	if (cmd != NULL && smtp_write(fd, cmd, strlen(cmd)) == -1) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	code = smtp_reply(fd, reply, sizeof(reply));
	if (code / 100 != want / 100) {
		reply[strcspn(reply, "\r\n")] = '\0';
		snprintf(err, errlen, "%.*s: %s", (int)strcspn(cmd ? cmd : "greeting", "\r\n"),
		    cmd ? cmd : "greeting", code == -1 ? "no reply" : reply);
		return -1;
	}
	return 0;
}

/* DATA body with dot-stuffing. */
static int
smtp_data(int fd, const char *msg, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if ((i == 0 || msg[i - 1] == '\n') && msg[i] == '.') {
			if (smtp_write(fd, msg + start, i - start) == -1 || smtp_write(fd, ".", 1) == -1)
				return -1;
			start = i;
		}
	}
	if (smtp_write(fd, msg + start, len - start) == -1)
		return -1;
	if (len >= 2 && memcmp(msg + len - 2, "\r\n", 2) != 0 && smtp_write(fd, "\r\n", 2) == -1)
		return -1;
	return smtp_write(fd, ".\r\n", 3);
}

int
mk_dmarc_smtp_send(const char *relay, const char *helo, const char *from,
    const char *to, const char *msg, size_t len, char *err, size_t errlen)
{
	char cmd[1024];
	int fd, rc = -1;

	if ((fd = smtp_connect(relay, err, errlen)) == -1)
		return -1;
	if (smtp_cmd(fd, NULL, 220, err, errlen) == -1)
		goto done;
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", helo);
	if (smtp_cmd(fd, cmd, 250, err, errlen) == -1)
		goto done;
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", from);
	if (smtp_cmd(fd, cmd, 250, err, errlen) == -1)
		goto done;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", to);
	if (smtp_cmd(fd, cmd, 250, err, errlen) == -1 ||
	    smtp_cmd(fd, "DATA\r\n", 354, err, errlen) == -1)
		goto done;
	if (smtp_data(fd, msg, len) == -1) {
		snprintf(err, errlen, "DATA: write: %s", strerror(errno));
		goto done;
	}
	if (smtp_cmd(fd, NULL, 250, err, errlen) == -1)
		goto done;
	(void)smtp_cmd(fd, "QUIT\r\n", 221, err, errlen);
	rc = 0;
done:
	close(fd);
	return rc;
}
