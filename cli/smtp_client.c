/*
 * cli/smtp_client.c: blocking SMTP client connection (see smtp_client.h).
 * The socket is non-blocking; every read and write waits with poll() for at
 * most the timeout, so a silent server cannot hang the tool.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cli/smtp_client.h"
#include "lib/log.h"

#define SMTP_CLIENT_RBUF (MK_SMTP_REPLY_LINE_MAX + 2 + 4096)

struct smtp_client {
	int fd;
	unsigned timeout_ms;
	bool trace;
	SSL_CTX *ctx;
	SSL *ssl;
	size_t rstart, rend;
	char rbuf[SMTP_CLIENT_RBUF];
};

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The last OpenSSL error as text, or fallback. */
static const char *
ssl_errstr(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return fallback;
	ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static int
wait_fd(struct smtp_client *c, short events, char *err, size_t errlen)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int n;

	do
		n = poll(&p, 1, (int)c->timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		errf(err, errlen, "timeout after %u ms waiting for the server", c->timeout_ms);
		return -1;
	}
	if (n < 0) {
		errf(err, errlen, "poll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
connect_one(const struct addrinfo *ai, unsigned timeout_ms, char *err, size_t errlen)
{
	struct pollfd p;
	socklen_t sl = sizeof(int);
	int fd, soerr = 0, n;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0) {
		errf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	p.fd = fd;
	p.events = POLLOUT;
	do
		n = poll(&p, 1, (int)timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		errf(err, errlen, "connect: timeout after %u ms", timeout_ms);
		close(fd);
		return -1;
	}
	if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		goto fail;
	if (soerr == 0)
		return fd;
	errno = soerr;
fail:
	errf(err, errlen, "connect: %s", strerror(errno));
	close(fd);
	return -1;
}

struct smtp_client *
smtp_client_connect(const char *host, const char *port, unsigned timeout_ms, char *err,
    size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	struct smtp_client *c;
	int rc, fd = -1;

	if (timeout_ms == 0)
		timeout_ms = SMTP_CLIENT_TIMEOUT_DEFAULT_MS;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		errf(err, errlen, "%s port %s: %s", host, port, gai_strerror(rc));
		return NULL;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = connect_one(ai, timeout_ms, err, errlen);
	freeaddrinfo(res);
	if (fd < 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	return c;
}

struct smtp_client *
smtp_client_free(struct smtp_client *c)
{
	if (c == NULL)
		return NULL;
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

void
smtp_client_set_trace(struct smtp_client *c, bool on)
{
	c->trace = on;
}

static bool
is_ip_literal(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static int
tls_setup(struct smtp_client *c, const struct smtp_tls_opts *o, char *err, size_t errlen)
{
	char eb[256];

	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1)
		goto ssl_fail;
	if (!o->insecure) {
		if (o->cafile != NULL) {
			if (SSL_CTX_load_verify_locations(c->ctx, o->cafile, NULL) != 1) {
				errf(err, errlen, "cannot load CA file %s: %s", o->cafile,
				    ssl_errstr(eb, sizeof(eb), "bad file"));
				return -1;
			}
		} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1)
			goto ssl_fail;
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	}
	if ((c->ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		goto ssl_fail;
	if (!is_ip_literal(o->name) && SSL_set_tlsext_host_name(c->ssl, o->name) != 1)
		goto ssl_fail;
	if (!o->insecure) {
		if (is_ip_literal(o->name)) {
			if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), o->name) != 1)
				goto ssl_fail;
		} else if (SSL_set1_host(c->ssl, o->name) != 1)
			goto ssl_fail;
	}
	return 0;
ssl_fail:
	errf(err, errlen, "TLS setup: %s", ssl_errstr(eb, sizeof(eb), "OpenSSL error"));
	return -1;
}

int
smtp_client_tls(struct smtp_client *c, const struct smtp_tls_opts *o, char *err, size_t errlen)
{
	char eb[256];
	long vr;
	int rc, e;

	if (c->rend > c->rstart) {
		errf(err, errlen, "server sent data before the TLS handshake (STARTTLS injection?)");
		return -1;
	}
	if (c->ssl != NULL) {
		errf(err, errlen, "TLS already active");
		return -1;
	}
	if (tls_setup(c, o, err, errlen) != 0)
		return -1;
	while ((rc = SSL_connect(c->ssl)) != 1) {
		e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, err, errlen) != 0)
				return -1;
			continue;
		}
		vr = SSL_get_verify_result(c->ssl);
		if (vr != X509_V_OK)
			errf(err, errlen, "TLS handshake: certificate verification failed for %s: %s "
			    "(use --cafile FILE to trust its issuer, or --insecure)", o->name,
			    X509_verify_cert_error_string(vr));
		else
			errf(err, errlen, "TLS handshake failed: %s",
			    ssl_errstr(eb, sizeof(eb), e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ?
			    "connection closed by the server" : "protocol error"));
		return -1;
	}
	return 0;
}

bool
smtp_client_is_tls(const struct smtp_client *c)
{
	return c->ssl != NULL;
}

const char *
smtp_client_tls_version(const struct smtp_client *c)
{
	return c->ssl != NULL ? SSL_get_version(c->ssl) : "none";
}

const char *
smtp_client_tls_cipher(const struct smtp_client *c)
{
	return c->ssl != NULL ? SSL_get_cipher_name(c->ssl) : "none";
}

/* Read some bytes into buf: >0 bytes, 0 EOF, -1 error. */
static ssize_t
client_read(struct smtp_client *c, char *buf, size_t len, char *err, size_t errlen)
{
	ssize_t n;
	int e;

	for (;;) {
		if (c->ssl != NULL) {
			if ((n = SSL_read(c->ssl, buf, (int)len)) > 0)
				return n;
			e = SSL_get_error(c->ssl, (int)n);
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
					return 0;
				errf(err, errlen, "TLS read error");
				ERR_clear_error();
				return -1;
			}
			if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, err, errlen) != 0)
				return -1;
			continue;
		}
		if ((n = read(c->fd, buf, len)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			errf(err, errlen, "read: %s", strerror(errno));
			return -1;
		}
		if (wait_fd(c, POLLIN, err, errlen) != 0)
			return -1;
	}
}

/* One line without CRLF/LF: *line points into rbuf, valid until the next read. */
static int
client_readline(struct smtp_client *c, const char **line, size_t *len, char *err, size_t errlen)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(c->rbuf + c->rstart, '\n', c->rend - c->rstart);
		if (nl != NULL) {
			*line = c->rbuf + c->rstart;
			*len = (size_t)(nl - *line);
			if (*len > 0 && (*line)[*len - 1] == '\r')
				(*len)--;
			c->rstart = (size_t)(nl - c->rbuf) + 1;
			return 0;
		}
		if (c->rend - c->rstart > MK_SMTP_REPLY_LINE_MAX + 1) {
			errf(err, errlen, "reply line longer than %d bytes", MK_SMTP_REPLY_LINE_MAX);
			return -1;
		}
		if (c->rstart > 0) {
			memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
			c->rend -= c->rstart;
			c->rstart = 0;
		}
		if ((n = client_read(c, c->rbuf + c->rend, sizeof(c->rbuf) - c->rend, err,
		    errlen)) < 0)
			return -1;
		if (n == 0) {
			errf(err, errlen, "connection closed by the server");
			return -1;
		}
		c->rend += (size_t)n;
	}
}

int
smtp_client_reply(struct smtp_client *c, struct mk_smtp_reply *r, char *err, size_t errlen)
{
	const char *line, *why;
	char esc[MK_SMTP_REPLY_LINE_MAX * 4 + 1];
	size_t len;
	int rc;

	mk_smtp_reply_init(r);
	do {
		if (client_readline(c, &line, &len, err, errlen) != 0)
			return -1;
		if (c->trace)
			fprintf(stderr, "S: %s\n", mk_log_escape(line, len, esc, sizeof(esc)));
		if ((rc = mk_smtp_reply_feed(r, line, len, &why)) < 0) {
			errf(err, errlen, "bad reply from the server (%s): \"%s\"", why,
			    mk_log_escape(line, len > 200 ? 200 : len, esc, sizeof(esc)));
			return -1;
		}
	} while (rc == 0);
	return 0;
}

int
smtp_client_write(struct smtp_client *c, const void *buf, size_t len, char *err, size_t errlen)
{
	const char *p = buf;
	ssize_t n;
	int e;

	while (len > 0) {
		if (c->ssl != NULL) {
			if ((n = SSL_write(c->ssl, p, (int)(len > 65536 ? 65536 : len))) <= 0) {
				e = SSL_get_error(c->ssl, (int)n);
				ERR_clear_error();
				if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
					errf(err, errlen, "TLS write error");
					return -1;
				}
				if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, err,
				    errlen) != 0)
					return -1;
				continue;
			}
		} else if ((n = send(c->fd, p, len, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				errf(err, errlen, "write: %s", strerror(errno));
				return -1;
			}
			if (wait_fd(c, POLLOUT, err, errlen) != 0)
				return -1;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
client_cmd(struct smtp_client *c, const char *line, bool secret, struct mk_smtp_reply *r,
    char *err, size_t errlen)
{
	char buf[SMTP_CLIENT_CMD_MAX + 3];
	size_t n = strlen(line);
	int rc;

	if (n > SMTP_CLIENT_CMD_MAX || strpbrk(line, "\r\n") != NULL) {
		errf(err, errlen, "command line too long or holding CR/LF");
		return -1;
	}
	if (c->trace)
		fprintf(stderr, "C: %s\n", secret ? "<secret>" : line);
	memcpy(buf, line, n);
	memcpy(buf + n, "\r\n", 2);
	rc = smtp_client_write(c, buf, n + 2, err, errlen);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0)
		return -1;
	return smtp_client_reply(c, r, err, errlen);
}

int
smtp_client_cmd(struct smtp_client *c, const char *line, struct mk_smtp_reply *r, char *err,
    size_t errlen)
{
	return client_cmd(c, line, false, r, err, errlen);
}

int
smtp_client_cmd_secret(struct smtp_client *c, const char *line, struct mk_smtp_reply *r,
    char *err, size_t errlen)
{
	return client_cmd(c, line, true, r, err, errlen);
}

void
smtp_client_reply_str(const struct mk_smtp_reply *r, char *out, size_t outsz)
{
	char esc[1024];
	const char *last = strrchr(r->text, '\n');
	size_t len;

	/* The last line of a multi-line reply usually says the most. */
	last = last != NULL ? last + 1 : r->text;
	len = r->textlen - (size_t)(last - r->text);
	snprintf(out, outsz, "%03d %s", r->code,
	    mk_log_escape(last, len > 300 ? 300 : len, esc, sizeof(esc)));
}
