/*
 * cli/check_net.c: the network-side checks of "mailaka check": the TLS
 * certificate the server uses (validity period, expiry soon, host name with
 * X509_check_host, chain to a trusted root) and the SMTP ports of the mail
 * host (TCP connect, a 220 greeting -- over TLS on 465 -- and STARTTLS
 * offered on the others).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli/check.h"
#include "cli/smtp_client.h"

#define CHECK_CERT_WARN_DAYS 14	/* acme.sh renews 30 days before expiry */
#define CHECK_CHAIN_MAX 16	/* certificates read from one file */

static void
cert_times(struct check_ctx *c, X509 *leaf)
{
	const ASN1_TIME *nb = X509_get0_notBefore(leaf), *na = X509_get0_notAfter(leaf);
	char when[64] = "?";
	int days = 0, secs = 0;
	BIO *b;

	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		int n = ASN1_TIME_print(b, na) == 1 ? BIO_read(b, when, sizeof(when) - 1) : 0;

		when[n > 0 ? n : 0] = '\0';
		BIO_free(b);
	}
	if (X509_cmp_current_time(nb) > 0) {
		check_report(c, CHECK_FAIL, "cert", "check the clock, or reissue the certificate",
		    "not valid yet");
		return;
	}
	if (X509_cmp_current_time(na) < 0) {
		check_report(c, CHECK_FAIL, "cert", "renew it (acme.sh --renew) and reload the "
		    "daemons (SIGHUP)", "expired on %s", when);
		return;
	}
	ASN1_TIME_diff(&days, &secs, NULL, na);
	if (days < CHECK_CERT_WARN_DAYS)
		check_report(c, CHECK_WARN, "cert", "renew it now (acme.sh --renew)",
		    "expires in %d day(s), on %s", days, when);
	else
		check_report(c, CHECK_OK, "cert", NULL, "valid until %s (%d days)", when, days);
}

static void
cert_chain(struct check_ctx *c, X509 *leaf, STACK_OF(X509) *chain)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int err;

	if (st == NULL || ctx == NULL || X509_STORE_set_default_paths(st) != 1 ||
	    (c->cafile != NULL && X509_STORE_load_file(st, c->cafile) != 1)) {
		check_report(c, CHECK_FAIL, "cert chain", NULL, "cannot load the trust store%s%s",
		    c->cafile != NULL ? " or " : "", c->cafile != NULL ? c->cafile : "");
		goto done;
	}
	/* the validity period was checked above, on its own */
	X509_STORE_set_flags(st, X509_V_FLAG_NO_CHECK_TIME);
	if (X509_STORE_CTX_init(ctx, st, leaf, chain) != 1)
		goto done;
	if (X509_verify_cert(ctx) == 1)
		check_report(c, CHECK_OK, "cert chain", NULL, "chains to a trusted root");
	else {
		err = X509_STORE_CTX_get_error(ctx);
		check_report(c, CHECK_FAIL, "cert chain", "use the full chain from a public CA "
		    "(fullchain.pem from acme.sh), or --cafile for a private CA",
		    "does not verify: %s", X509_verify_cert_error_string(err));
	}
done:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ERR_clear_error();
}

/* Read the leaf and the rest of the chain from a PEM file. */
static X509 *
cert_load(const char *path, STACK_OF(X509) **chain)
{
	X509 *leaf = NULL, *x;
	FILE *f = fopen(path, "r");
	int n = 0;

	*chain = sk_X509_new_null();
	if (f == NULL || *chain == NULL)
		goto done;
	leaf = PEM_read_X509(f, NULL, NULL, NULL);
	while (leaf != NULL && n++ < CHECK_CHAIN_MAX && (x = PEM_read_X509(f, NULL, NULL,
	    NULL)) != NULL)
		if (sk_X509_push(*chain, x) == 0)
			X509_free(x);
done:
	if (f != NULL)
		fclose(f);
	ERR_clear_error();
	return leaf;
}

void
check_cert(struct check_ctx *c)
{
	char path[REC_PATH_MAX], fix[MK_DNS_NAME_MAX + 64];
	STACK_OF(X509) *chain = NULL;
	struct stat sb;
	X509 *leaf;

	if (c->cert != NULL)
		snprintf(path, sizeof(path), "%s", c->cert);
	else
		snprintf(path, sizeof(path), "%.3000s/certs/%s/fullchain.pem", c->opts->confdir,
		    c->host);
	if (c->cert == NULL && stat(path, &sb) != 0) {
		check_report(c, CHECK_WARN, "cert", "give the server's certificate with --cert FILE",
		    "no certificate at %s", path);
		return;
	}
	if ((leaf = cert_load(path, &chain)) == NULL) {
		check_report(c, CHECK_FAIL, "cert", "point --cert at the PEM certificate the "
		    "server uses", "cannot read a PEM certificate from %s", path);
		goto done;
	}
	cert_times(c, leaf);
	snprintf(fix, sizeof(fix), "issue a certificate for %s", c->host);
	if (X509_check_host(leaf, c->host, 0, 0, NULL) == 1)
		check_report(c, CHECK_OK, "cert name", NULL, "the certificate is valid for %s",
		    c->host);
	else
		check_report(c, CHECK_FAIL, "cert name", fix, "the certificate in %s is not valid "
		    "for %s", path, c->host);
	cert_chain(c, leaf, chain);
	X509_free(leaf);
done:
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
}

/* One address and port: connect, greeting (over TLS when tls), EHLO. */
static void
port_check(struct check_ctx *c, const char *ip, const char *port, bool tls)
{
	struct smtp_tls_opts to = { .name = c->host, .insecure = true };
	struct mk_smtp_reply r;
	struct smtp_client *sc;
	char err[512], what[96], rs[400], fix[128], line[MK_DNS_NAME_MAX + 8];

	snprintf(what, sizeof(what), strchr(ip, ':') ? "port [%s]:%s" : "port %s:%s", ip, port);
	snprintf(fix, sizeof(fix), "start the SMTP server on port %s and open it in the firewall",
	    port);
	sc = smtp_client_connect(ip, port, c->timeout_ms ? c->timeout_ms : CHECK_CONNECT_TIMEOUT_MS,
	    err, sizeof(err));
	if (sc == NULL || (tls && smtp_client_tls(sc, &to, err, sizeof(err)) != 0) ||
	    smtp_client_reply(sc, &r, err, sizeof(err)) != 0) {
		check_report(c, CHECK_FAIL, what, fix, "%s", err);
		goto done;
	}
	smtp_client_reply_str(&r, rs, sizeof(rs));
	if (r.code != 220) {
		check_report(c, CHECK_FAIL, what, fix, "greeting is not 220: %s", rs);
		goto done;
	}
	snprintf(line, sizeof(line), "EHLO %s", c->host);
	if (!tls && smtp_client_cmd(sc, line, &r, err, sizeof(err)) == 0 &&
	    !mk_smtp_reply_has_ext(&r, "STARTTLS"))
		check_report(c, CHECK_WARN, what, "configure a certificate for STARTTLS",
		    "open, %s, but no STARTTLS offered", rs);
	else
		check_report(c, CHECK_OK, what, NULL, "open%s, %s", tls ? " (TLS)" : "", rs);
	(void)smtp_client_cmd(sc, "QUIT", &r, err, sizeof(err));
done:
	smtp_client_free(sc);
}

void
check_ports(struct check_ctx *c)
{
	char list[256], *tok, *save = NULL, *slash;
	size_t i;
	bool tls;

	if (c->ports[0] == '\0')
		return;
	snprintf(list, sizeof(list), "%s", c->ports);
	for (tok = strtok_r(list, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		/* "465" and "N/tls" are implicit TLS */
		if ((slash = strchr(tok, '/')) != NULL)
			*slash++ = '\0';
		tls = (slash != NULL && strcmp(slash, "tls") == 0) || strcmp(tok, "465") == 0;
		if (strspn(tok, "0123456789") != strlen(tok) || atoi(tok) <= 0 || atoi(tok) > 65535) {
			check_report(c, CHECK_FAIL, "ports", NULL, "bad port \"%s\"", tok);
			continue;
		}
		for (i = 0; i < c->rec.n4; i++)
			port_check(c, c->rec.ipv4[i], tok, tls);
		for (i = 0; i < c->rec.n6; i++)
			port_check(c, c->rec.ipv6[i], tok, tls);
		if (c->rec.n4 + c->rec.n6 == 0)
			check_report(c, CHECK_SKIP, "ports", NULL, "no address to connect to");
	}
}
