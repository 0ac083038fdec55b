/*
 * cli/cmd_send.c: "mailaka send" -- the guide's test mail through a
 * submission server: STARTTLS or implicit TLS, AUTH PLAIN/LOGIN, one
 * message, and a one-line summary of the dialogue on stdout:
 *
 *   sent server=HOST:PORT tls=TLSv1.3 cipher=NAME auth=PLAIN:235 \
 *        from=A to=B queue_id=ID reply="250 2.0.0 Ok: queued as ID"
 *
 * Errors go to stderr with the step and the server's reply; exit status 0
 * sent, 1 failed, 2 usage.  Mail and AUTH are never sent without TLS unless
 * --tls none is given, and then AUTH is refused.  The password comes from
 * --password-file, MAILAKA_PASSWORD, or --password (wiped from argv); it is
 * never printed, traced or logged.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cli/cli.h"
#include "cli/send_msg.h"
#include "cli/smtp_client.h"

#define SEND_CRED_MAX 255	/* bytes of user name and of password */
#define SEND_ERR_MAX 1024

enum send_tls { SEND_TLS_STARTTLS, SEND_TLS_IMPLICIT, SEND_TLS_NONE };

struct send_opts {
	char host[256];
	char port[8];
	const char *user;
	char *password;		/* malloc'd, wiped on exit */
	const char *password_file;
	const char *from;
	struct send_msg msg;
	const char *subject;
	enum send_tls tls;
	const char *ehlo;
	const char *auth;	/* forced mechanism, or NULL */
	const char *body_file;
	struct smtp_tls_opts tlso;
	unsigned timeout_ms;
	bool verbose;
};

struct send_state {
	struct smtp_client *c;
	struct mk_smtp_reply r;
	char err[SEND_ERR_MAX];
	char mech[16];
	int auth_code;
	char queue_id[MK_SMTP_QUEUE_ID_MAX + 1];
	char final[400];
};

static int
usage(void)
{
	fprintf(stderr, "usage: mailaka send --server HOST:PORT [--user U] [--password P | "
	    "--password-file F] --to ADDR [--from ADDR] [--subject S] [--body-file F] "
	    "[--tls starttls|implicit|none] [--ehlo NAME] [--auth plain|login] [--cafile F] "
	    "[--tls-name NAME] [--insecure] [--timeout SECONDS] [--verbose]\n"
	    "  the password may also come from the environment variable MAILAKA_PASSWORD\n");
	return 2;
}

/* "host:port", "[v6]:port", or "host" (port from the TLS mode). */
static int
send_parse_server(const char *s, struct send_opts *o)
{
	const char *colon, *hs = s, *he;

	if (s[0] == '[') {
		if ((he = strchr(s, ']')) == NULL)
			return -1;
		hs = s + 1;
		colon = he[1] == ':' ? he + 1 : NULL;
		if (he[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			return -1;	/* bare IPv6: needs brackets */
		he = colon != NULL ? colon : s + strlen(s);
	}
	if (he == hs || (size_t)(he - hs) >= sizeof(o->host))
		return -1;
	memcpy(o->host, hs, (size_t)(he - hs));
	o->host[he - hs] = '\0';
	if (colon != NULL) {
		if (strlen(colon + 1) == 0 || strlen(colon + 1) > 5 ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) == 0 ||
		    atoi(colon + 1) > 65535)
			return -1;
		snprintf(o->port, sizeof(o->port), "%s", colon + 1);
	}
	return 0;
}

/* First line of a file, without the line end, malloc'd. */
static char *
read_first_line(const char *path, char *err, size_t errlen)
{
	char buf[SEND_CRED_MAX + 3], *p;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot open password file %s", path);
		return NULL;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	if (n > SEND_CRED_MAX) {
		OPENSSL_cleanse(buf, sizeof(buf));
		snprintf(err, errlen, "password in %s longer than %d bytes", path, SEND_CRED_MAX);
		return NULL;
	}
	buf[n] = '\0';
	p = strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return p;
}

static int
send_password(struct send_opts *o, char *err, size_t errlen)
{
	const char *env;

	if (o->user == NULL || o->password != NULL)
		return 0;
	if (o->password_file != NULL)
		o->password = read_first_line(o->password_file, err, errlen);
	else if ((env = getenv("MAILAKA_PASSWORD")) != NULL)
		o->password = strdup(env);
	else {
		snprintf(err, errlen, "--user needs a password: --password-file F, "
		    "MAILAKA_PASSWORD in the environment, or --password P");
		return -1;
	}
	if (o->password == NULL)
		return -1;
	if (strlen(o->password) > SEND_CRED_MAX) {
		snprintf(err, errlen, "password longer than %d bytes", SEND_CRED_MAX);
		return -1;
	}
	return 0;
}

static char *
read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "cannot open body file %s", path);
		return NULL;
	}
	if ((buf = malloc(SEND_MSG_BODY_MAX + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, SEND_MSG_BODY_MAX + 1, f);
	fclose(f);
	if (n > SEND_MSG_BODY_MAX) {
		snprintf(err, errlen, "body file %s larger than %d bytes", path, SEND_MSG_BODY_MAX);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int
send_opt(int c, struct send_opts *o)
{
	switch (c) {
	case 's': return send_parse_server(optarg, o);
	case 'u': o->user = optarg; return 0;
	case 'p':
		free(o->password);
		o->password = strdup(optarg);
		OPENSSL_cleanse(optarg, strlen(optarg));	/* hide it from ps */
		return o->password != NULL ? 0 : -1;
	case 'P': o->password_file = optarg; return 0;
	case 't':
		if (o->msg.nto >= SEND_MSG_TO_MAX)
			return -1;
		o->msg.to[o->msg.nto++] = optarg;
		return 0;
	case 'f': o->from = optarg; return 0;
	case 'S': o->subject = optarg; return 0;
	case 'T':
		if (strcasecmp(optarg, "starttls") == 0)
			o->tls = SEND_TLS_STARTTLS;
		else if (strcasecmp(optarg, "implicit") == 0 || strcasecmp(optarg, "smtps") == 0)
			o->tls = SEND_TLS_IMPLICIT;
		else if (strcasecmp(optarg, "none") == 0)
			o->tls = SEND_TLS_NONE;
		else
			return -1;
		return 0;
	case 'e': o->ehlo = optarg; return 0;
	case 'a':
		if (strcasecmp(optarg, "plain") != 0 && strcasecmp(optarg, "login") != 0)
			return -1;
		o->auth = optarg;
		return 0;
	case 'b': o->body_file = optarg; return 0;
	case 'c': o->tlso.cafile = optarg; return 0;
	case 'n': o->tlso.name = optarg; return 0;
	case 'k': o->tlso.insecure = true; return 0;
	case 'w':
		if (atoi(optarg) <= 0 || atoi(optarg) > 3600)
			return -1;
		o->timeout_ms = (unsigned)atoi(optarg) * 1000;
		return 0;
	case 'v': o->verbose = true; return 0;
	default: return -1;
	}
}

static int
send_args(int argc, char **argv, struct send_opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' }, { "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "to", required_argument, NULL, 't' }, { "from", required_argument, NULL, 'f' },
		{ "subject", required_argument, NULL, 'S' }, { "tls", required_argument, NULL, 'T' },
		{ "ehlo", required_argument, NULL, 'e' }, { "auth", required_argument, NULL, 'a' },
		{ "body-file", required_argument, NULL, 'b' },
		{ "cafile", required_argument, NULL, 'c' },
		{ "tls-name", required_argument, NULL, 'n' },
		{ "insecure", no_argument, NULL, 'k' }, { "timeout", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' }, { NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:u:p:P:t:f:S:T:e:a:b:c:n:kw:v", longopts,
	    NULL)) != -1)
		if (send_opt(c, o) != 0) {
			fprintf(stderr, "mailaka send: bad option or value%s%s\n",
			    optarg != NULL && c != 'p' ? ": " : "", optarg != NULL && c != 'p' ?
			    optarg : "");
			return -1;
		}
	if (optind != argc || o->host[0] == '\0' || o->msg.nto == 0) {
		fprintf(stderr, "mailaka send: --server and --to are required\n");
		return -1;
	}
	if (o->user != NULL && o->tls == SEND_TLS_NONE) {
		fprintf(stderr, "mailaka send: refusing to send a password without TLS "
		    "(--tls none with --user)\n");
		return -1;
	}
	if (o->from == NULL && o->user != NULL && strchr(o->user, '@') != NULL)
		o->from = o->user;
	if (o->from == NULL) {
		fprintf(stderr, "mailaka send: --from is needed (the user name is no address)\n");
		return -1;
	}
	if (o->port[0] == '\0')
		snprintf(o->port, sizeof(o->port), "%s", o->tls == SEND_TLS_IMPLICIT ? "465" :
		    o->tls == SEND_TLS_STARTTLS ? "587" : "25");
	if (o->tlso.name == NULL)
		o->tlso.name = o->host;
	return 0;
}

static int
step(struct send_state *st, const char *what, const char *line, int want)
{
	char rs[400];

	if (smtp_client_cmd(st->c, line, &st->r, st->err, sizeof(st->err)) != 0)
		return -1;
	if (st->r.code / 100 != want) {
		smtp_client_reply_str(&st->r, rs, sizeof(rs));
		snprintf(st->err, sizeof(st->err), "%s refused: %s", what, rs);
		return -1;
	}
	return 0;
}

static int
b64(const void *in, size_t len, char *out, size_t outsz)
{
	if (((len + 2) / 3) * 4 + 1 > outsz)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return 0;
}

/* AUTH with one mechanism; the credentials never leave this function
 * except over the (TLS) connection. */
static int
send_auth_mech(struct send_state *st, const struct send_opts *o, const char *mech)
{
	char raw[2 * SEND_CRED_MAX + 3], enc[((2 * SEND_CRED_MAX + 3 + 2) / 3) * 4 + 1];
	char line[sizeof(enc) + 16], rs[400];
	size_t ul = strlen(o->user), pl = strlen(o->password);
	int rc = -1;

	if (strcasecmp(mech, "PLAIN") == 0) {
		raw[0] = '\0';	/* authzid empty, RFC 4616 */
		memcpy(raw + 1, o->user, ul);
		raw[1 + ul] = '\0';
		memcpy(raw + 2 + ul, o->password, pl);
		if (b64(raw, 2 + ul + pl, enc, sizeof(enc)) != 0)
			goto done;
		snprintf(line, sizeof(line), "AUTH PLAIN %s", enc);
		if (strlen(line) > SMTP_CLIENT_CMD_MAX) {	/* RFC 4954 4: empty initial response */
			if (step(st, "AUTH PLAIN", "AUTH PLAIN", 3) != 0)
				goto done;
			snprintf(line, sizeof(line), "%s", enc);
		}
		if (smtp_client_cmd_secret(st->c, line, &st->r, st->err, sizeof(st->err)) != 0)
			goto done;
	} else {
		if (step(st, "AUTH LOGIN", "AUTH LOGIN", 3) != 0)
			goto done;
		if (b64(o->user, ul, enc, sizeof(enc)) != 0 ||
		    smtp_client_cmd_secret(st->c, enc, &st->r, st->err, sizeof(st->err)) != 0)
			goto done;
		if (st->r.code == 334 && (b64(o->password, pl, enc, sizeof(enc)) != 0 ||
		    smtp_client_cmd_secret(st->c, enc, &st->r, st->err, sizeof(st->err)) != 0))
			goto done;
	}
	st->auth_code = st->r.code;
	if (st->r.code != 235) {
		smtp_client_reply_str(&st->r, rs, sizeof(rs));
		snprintf(st->err, sizeof(st->err), "AUTH %s failed: %s", mech, rs);
		goto done;
	}
	rc = 0;
done:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(enc, sizeof(enc));
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

static int
send_auth(struct send_state *st, const struct send_opts *o, const struct mk_smtp_reply *ehlo)
{
	const char *mech = o->auth;

	if (!mk_smtp_reply_has_ext(ehlo, "AUTH")) {
		snprintf(st->err, sizeof(st->err), "the server offers no AUTH%s",
		    smtp_client_is_tls(st->c) ? "" : " (without TLS)");
		return -1;
	}
	if (mech == NULL)
		mech = mk_smtp_reply_ext_has_param(ehlo, "AUTH", "PLAIN") ? "PLAIN" :
		    mk_smtp_reply_ext_has_param(ehlo, "AUTH", "LOGIN") ? "LOGIN" : NULL;
	if (mech == NULL) {
		snprintf(st->err, sizeof(st->err), "the server offers neither AUTH PLAIN nor LOGIN");
		return -1;
	}
	snprintf(st->mech, sizeof(st->mech), "%s", mech);
	for (char *p = st->mech; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	return send_auth_mech(st, o, st->mech);
}

static int
send_hello(struct send_state *st, const struct send_opts *o, struct mk_smtp_reply *ehlo)
{
	char line[300];

	snprintf(line, sizeof(line), "EHLO %s", o->ehlo);
	if (step(st, "EHLO", line, 2) != 0)
		return -1;
	*ehlo = st->r;
	return 0;
}

/* Greeting, EHLO, TLS, AUTH: ready for MAIL FROM. */
static int
send_open(struct send_state *st, const struct send_opts *o)
{
	struct mk_smtp_reply ehlo;
	char rs[400];

	if ((st->c = smtp_client_connect(o->host, o->port, o->timeout_ms, st->err,
	    sizeof(st->err))) == NULL)
		return -1;
	smtp_client_set_trace(st->c, o->verbose);
	if (o->tls == SEND_TLS_IMPLICIT && smtp_client_tls(st->c, &o->tlso, st->err,
	    sizeof(st->err)) != 0)
		return -1;
	if (smtp_client_reply(st->c, &st->r, st->err, sizeof(st->err)) != 0)
		return -1;
	if (st->r.code != 220) {
		smtp_client_reply_str(&st->r, rs, sizeof(rs));
		snprintf(st->err, sizeof(st->err), "greeting refused: %s", rs);
		return -1;
	}
	if (send_hello(st, o, &ehlo) != 0)
		return -1;
	if (o->tls == SEND_TLS_STARTTLS) {
		if (!mk_smtp_reply_has_ext(&ehlo, "STARTTLS")) {
			snprintf(st->err, sizeof(st->err), "the server does not offer STARTTLS: "
			    "refusing to send AUTH or mail in clear (try --tls implicit on port 465)");
			return -1;
		}
		if (step(st, "STARTTLS", "STARTTLS", 2) != 0 ||
		    smtp_client_tls(st->c, &o->tlso, st->err, sizeof(st->err)) != 0 ||
		    send_hello(st, o, &ehlo) != 0)
			return -1;
	}
	if (o->user != NULL && send_auth(st, o, &ehlo) != 0)
		return -1;
	return 0;
}

static int
send_mail(struct send_state *st, const struct send_opts *o, const char *data, size_t len)
{
	char line[SMTP_CLIENT_CMD_MAX + 1];
	size_t i;

	snprintf(line, sizeof(line), "MAIL FROM:<%s>", o->from);
	if (step(st, "MAIL FROM", line, 2) != 0)
		return -1;
	for (i = 0; i < o->msg.nto; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<%s>", o->msg.to[i]);
		if (step(st, "RCPT TO", line, 2) != 0)
			return -1;
	}
	if (step(st, "DATA", "DATA", 3) != 0)
		return -1;
	if (smtp_client_write(st->c, data, len, st->err, sizeof(st->err)) != 0 ||
	    smtp_client_reply(st->c, &st->r, st->err, sizeof(st->err)) != 0)
		return -1;
	smtp_client_reply_str(&st->r, st->final, sizeof(st->final));
	if (st->r.code / 100 != 2) {
		snprintf(st->err, sizeof(st->err), "message refused at end of DATA: %s", st->final);
		return -1;
	}
	if (mk_smtp_reply_queue_id(&st->r, st->queue_id, sizeof(st->queue_id)) != 0)
		snprintf(st->queue_id, sizeof(st->queue_id), "unknown");
	return 0;
}

static void
send_summary(const struct send_state *st, const struct send_opts *o)
{
	size_t i;

	printf("sent server=%s%s%s:%s tls=%s cipher=%s auth=", strchr(o->host, ':') ? "[" : "",
	    o->host, strchr(o->host, ':') ? "]" : "", o->port, smtp_client_tls_version(st->c),
	    smtp_client_tls_cipher(st->c));
	if (st->mech[0] != '\0')
		printf("%s:%d", st->mech, st->auth_code);
	else
		printf("none");
	printf(" from=%s to=", o->from);
	for (i = 0; i < o->msg.nto; i++)
		printf("%s%s", i > 0 ? "," : "", o->msg.to[i]);
	printf(" queue_id=%s reply=\"%s\"\n", st->queue_id, st->final);
}

/* Message-ID: <random hex.unix time@domain of from>. */
static void
send_msgid(const char *from, time_t now, char *out, size_t outsz)
{
	unsigned char rnd[12];
	char hex[sizeof(rnd) * 2 + 1];
	size_t i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(out, outsz, "%s.%lld@%s", hex, (long long)now, strrchr(from, '@') + 1);
}

int
cmd_send(int argc, char **argv, const struct cli_opts *opts)
{
	struct send_opts o = { .subject = "mailaka test message", .tls = SEND_TLS_STARTTLS };
	struct send_state st = { .c = NULL };
	char msgid[400], host[256], *data = NULL, *body = NULL;
	size_t i, dlen = 0;
	int rc = 2;

	(void)opts;
	if (send_args(argc, argv, &o) != 0) {
		usage();
		goto done;
	}
	rc = 1;
	if (o.ehlo == NULL) {
		if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		o.ehlo = host;
	}
	if (send_msg_addr_check(o.from, st.err, sizeof(st.err)) != 0)
		goto fail;
	for (i = 0; i < o.msg.nto; i++)
		if (send_msg_addr_check(o.msg.to[i], st.err, sizeof(st.err)) != 0)
			goto fail;
	if (send_password(&o, st.err, sizeof(st.err)) != 0)
		goto fail;
	if (o.body_file != NULL &&
	    (body = read_file(o.body_file, &o.msg.bodylen, st.err, sizeof(st.err))) == NULL)
		goto fail;
	o.msg.now = time(NULL);
	send_msgid(o.from, o.msg.now, msgid, sizeof(msgid));
	o.msg.from = o.from;
	o.msg.subject = o.subject;
	o.msg.msgid = msgid;
	o.msg.body = body;
	if ((data = send_msg_build(&o.msg, &dlen, st.err, sizeof(st.err))) == NULL)
		goto fail;
	if (send_open(&st, &o) != 0 || send_mail(&st, &o, data, dlen) != 0)
		goto fail;
	send_summary(&st, &o);
	(void)smtp_client_cmd(st.c, "QUIT", &st.r, st.err, sizeof(st.err));
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "mailaka send: %s\n", st.err);
	if (st.c != NULL && st.r.done)
		(void)smtp_client_cmd(st.c, "QUIT", &st.r, st.err, sizeof(st.err));
done:
	st.c = smtp_client_free(st.c);
	if (o.password != NULL) {
		OPENSSL_cleanse(o.password, strlen(o.password));
		free(o.password);
	}
	free(body);
	free(data);
	return rc;
}
