/*
 * t/milter-testd.c: a test milter on lib/milter.h, for the milter-*
 * integration tests.  It logs every callback with its arguments and
 * macros, one line each, to a file, and acts as the message asks:
 *
 *   X-Test-Action: addheader NAME VALUE...     (at eom, in order)
 *   X-Test-Action: insheader IDX NAME VALUE...
 *   X-Test-Action: chgheader NAME IDX VALUE... ("-": delete)
 *   X-Test-Action: quarantine REASON...
 *   X-Test-Action: chgfrom ADDRESS
 *   X-Test-Action: reject|tempfail CODE X.Y.Z TEXT...
 *   X-Test-Action: discard | accept
 *   X-Test-Action: sleep MS
 *   X-Test-Header-Reject: anything   (header callback: REJECT at once)
 *   MAIL FROM <reject-mail@...>      (envfrom: 550 5.7.1 by request)
 *   RCPT TO <tempfail-rcpt@...>      (envrcpt: 451 4.7.1 by request)
 *
 * Options: -s SOCKET -e own|libmilter -l LOGFILE [-o OFFLOAD] (hex
 * MK_MSTAGE_* or "all") [-p STEPS] (hex MK_MP_* to ask for, if offered)
 * [-k N] (body: SKIP after N chunks) [-t SECS] (timeout) [-m BYTES] [-q]
 * (log notices only) [-n] (no negotiate callback: the engine's defaults)
 * [-S STAGE:MACROS]... (mk_milter_setsymlist: MK_MSYM_* number, then the
 * macro list, e.g. "2:{mail_addr} {client_addr}"; at most 8).
 * SIGTERM/SIGINT stop it (mk_milter_stop); it exits with mk_milter_run's
 * result.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/milter.h"

#define ACTIONS_MAX 16

struct conn {
	unsigned long id;
	unsigned chunks;
	size_t nact;
	char *act[ACTIONS_MAX];
	bool hdr_reject;
};

static FILE *tlog;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long next_conn;
static unsigned long want_steps;
static int sym_stage[8];
static const char *sym_list[8];
static size_t nsym;
static unsigned skip_after;
static struct mk_milter *milter;

static const char *const macro_names[] = {
	"i", "j", "_", "{daemon_name}", "{client_addr}", "{client_name}", "{client_port}",
	"{if_addr}", "{mail_addr}", "{mail_mailer}", "{mail_host}", "{rcpt_addr}",
	"{rcpt_mailer}", "{rcpt_host}", "{auth_authen}", "v", NULL,
};

/* "CB <stage> conn=N args... | macros" */
static void
logcb(struct mk_milter_ctx *ctx, const char *stage, const char *fmt, ...)
{
	struct conn *c = ctx != NULL ? mk_milter_getpriv(ctx) : NULL;
	va_list ap;
	const char *v;

	pthread_mutex_lock(&log_mu);
	fprintf(tlog, "CB %s conn=%lu", stage, c != NULL ? c->id : 0UL);
	if (fmt != NULL) {
		fputc(' ', tlog);
		va_start(ap, fmt);
		vfprintf(tlog, fmt, ap);
		va_end(ap);
	}
	fputs(" |", tlog);
	for (size_t i = 0; ctx != NULL && macro_names[i] != NULL; i++)
		if ((v = mk_milter_getsymval(ctx, macro_names[i])) != NULL)
			fprintf(tlog, " %s=%s", macro_names[i], v);
	fputc('\n', tlog);
	fflush(tlog);
	pthread_mutex_unlock(&log_mu);
}

static void
msg_clear(struct conn *c)
{
	for (size_t i = 0; i < c->nact; i++)
		free(c->act[i]);
	c->nact = 0;
	c->chunks = 0;
	c->hdr_reject = false;
}

static enum mk_milter_status
t_negotiate(struct mk_milter_ctx *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	logcb(ctx, "negotiate", "f0=0x%lx f1=0x%lx", f0, f1);
	*pf0 = (MK_MA_ADDHDRS | MK_MA_CHGHDRS | MK_MA_QUARANTINE | MK_MA_CHGFROM) & f0;
	*pf1 = want_steps & f1;
	*pf2 = *pf3 = 0;
	for (size_t i = 0; i < nsym; i++)
		if (mk_milter_setsymlist(ctx, sym_stage[i], sym_list[i]) != 0)
			logcb(ctx, "setsymlist-failed", "stage=%d", sym_stage[i]);
	return MK_MS_CONTINUE;
}

static struct conn *
conn_get(struct mk_milter_ctx *ctx)
{
	struct conn *c = mk_milter_getpriv(ctx);

	if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL) {
		c->id = __atomic_add_fetch(&next_conn, 1, __ATOMIC_RELAXED);
		mk_milter_setpriv(ctx, c);
	}
	return c;
}

static enum mk_milter_status
t_connect(struct mk_milter_ctx *ctx, char *host, const struct sockaddr *sa)
{
	char addr[64] = "-";

	conn_get(ctx);
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof(addr));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr,
		    sizeof(addr));
	else if (sa != NULL)
		snprintf(addr, sizeof(addr), "family%d", sa->sa_family);
	logcb(ctx, "connect", "host=%s addr=%s", host, addr);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
t_helo(struct mk_milter_ctx *ctx, char *helo)
{
	conn_get(ctx);
	logcb(ctx, "helo", "helo=%s", helo);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
t_envfrom(struct mk_milter_ctx *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);

	if (c != NULL)
		msg_clear(c);
	logcb(ctx, "envfrom", "from=%s argc=%d%s%s", argv[0], argv[1] ? 2 : 1,
	    argv[1] ? " arg1=" : "", argv[1] ? argv[1] : "");
	if (strstr(argv[0], "reject-mail") != NULL) {
		mk_milter_setreply(ctx, "550", "5.7.1", "sender refused by request");
		return MK_MS_REJECT;
	}
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
t_envrcpt(struct mk_milter_ctx *ctx, char **argv)
{
	conn_get(ctx);
	logcb(ctx, "envrcpt", "rcpt=%s", argv[0]);
	if (strstr(argv[0], "tempfail-rcpt") != NULL) {
		mk_milter_setreply(ctx, "451", "4.7.1", "recipient deferred by request");
		return MK_MS_TEMPFAIL;
	}
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
t_data(struct mk_milter_ctx *ctx)
{
	conn_get(ctx);
	logcb(ctx, "data", NULL);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
t_header(struct mk_milter_ctx *ctx, char *name, char *value)
{
	struct conn *c = conn_get(ctx);

	logcb(ctx, "header", "name=%s value=[%s]", name, value);
	if (c == NULL)
		return MK_MS_TEMPFAIL;
	if (strcasecmp(name, "X-Test-Action") == 0 && c->nact < ACTIONS_MAX)
		c->act[c->nact++] = strdup(value + strspn(value, " \t"));
	if (strcasecmp(name, "X-Test-Header-Reject") == 0) {
		mk_milter_setreply(ctx, "550", "5.7.0", "header refused by request");
		return MK_MS_REJECT;
	}
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
t_eoh(struct mk_milter_ctx *ctx)
{
	conn_get(ctx);
	logcb(ctx, "eoh", NULL);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
t_body(struct mk_milter_ctx *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = conn_get(ctx);

	(void)buf;
	logcb(ctx, "body", "len=%zu", len);
	if (c != NULL && skip_after > 0 && ++c->chunks >= skip_after)
		return MK_MS_SKIP;
	return MK_MS_CONTINUE;
}

/* One X-Test-Action at eom: the status it asks for, or CONTINUE. */
static enum mk_milter_status
act_one(struct mk_milter_ctx *ctx, char *a)
{
	char verb[32], s1[256], s2[256];
	int idx, n = 0, rc = 0;
	const char *rest;

	if (sscanf(a, "%31s %n", verb, &n) < 1)
		return MK_MS_CONTINUE;
	rest = a + n;
	if (strcmp(verb, "addheader") == 0 && sscanf(rest, "%255s %n", s1, &n) == 1)
		rc = mk_milter_addheader(ctx, s1, rest + n);
	else if (strcmp(verb, "insheader") == 0 && sscanf(rest, "%d %255s %n", &idx, s1, &n) == 2)
		rc = mk_milter_insheader(ctx, idx, s1, rest + n);
	else if (strcmp(verb, "chgheader") == 0 && sscanf(rest, "%255s %d %n", s1, &idx, &n) == 2)
		rc = mk_milter_chgheader(ctx, s1, idx, strcmp(rest + n, "-") == 0 ? NULL : rest + n);
	else if (strcmp(verb, "quarantine") == 0)
		rc = mk_milter_quarantine(ctx, rest);
	else if (strcmp(verb, "chgfrom") == 0)
		rc = mk_milter_chgfrom(ctx, rest, NULL);
	else if (strcmp(verb, "sleep") == 0)
		usleep((useconds_t)atoi(rest) * 1000);
	else if ((strcmp(verb, "reject") == 0 || strcmp(verb, "tempfail") == 0) &&
	    sscanf(rest, "%255s %255s %n", s1, s2, &n) == 2) {
		rc = mk_milter_setreply(ctx, s1, s2, rest + n);
		logcb(ctx, "setreply", "rc=%d", rc);
		return verb[0] == 'r' ? MK_MS_REJECT : MK_MS_TEMPFAIL;
	} else if (strcmp(verb, "discard") == 0)
		return MK_MS_DISCARD;
	else if (strcmp(verb, "accept") == 0)
		return MK_MS_ACCEPT;
	logcb(ctx, "action", "verb=%s rc=%d", verb, rc);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
t_eom(struct mk_milter_ctx *ctx)
{
	struct conn *c = conn_get(ctx);
	enum mk_milter_status st = MK_MS_CONTINUE;

	logcb(ctx, "eom", "actions=%zu", c != NULL ? c->nact : 0);
	/* outside eom, a change is refused: check it is */
	if (c == NULL)
		return MK_MS_TEMPFAIL;
	for (size_t i = 0; i < c->nact && st == MK_MS_CONTINUE; i++)
		st = act_one(ctx, c->act[i]);
	msg_clear(c);
	return st;
}

static enum mk_milter_status
t_abort(struct mk_milter_ctx *ctx)
{
	struct conn *c = mk_milter_getpriv(ctx);

	logcb(ctx, "abort", "addheader_outside_eom=%d", mk_milter_addheader(ctx, "X-No", "no"));
	if (c != NULL)
		msg_clear(c);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
t_close(struct mk_milter_ctx *ctx)
{
	struct conn *c = mk_milter_getpriv(ctx);

	logcb(ctx, "close", NULL);
	if (c != NULL) {
		msg_clear(c);
		free(c);
		mk_milter_setpriv(ctx, NULL);
	}
	return MK_MS_CONTINUE;
}

static void *
sig_main(void *arg)
{
	sigset_t *set = arg;
	int sig;

	if (sigwait(set, &sig) == 0) {
		logcb(NULL, "signal", "sig=%d", sig);
		mk_milter_stop(milter);
	}
	return NULL;
}

static const struct mk_milter_desc desc = {
	.name = "milter-testd",
	.actions = MK_MA_ADDHDRS | MK_MA_CHGHDRS | MK_MA_QUARANTINE | MK_MA_CHGFROM,
	.negotiate = t_negotiate,
	.connect = t_connect, .helo = t_helo, .envfrom = t_envfrom, .envrcpt = t_envrcpt,
	.data = t_data, .header = t_header, .eoh = t_eoh, .body = t_body, .eom = t_eom,
	.abort = t_abort, .close = t_close,
};

int
main(int argc, char **argv)
{
	struct mk_milter_opts opts = { .engine = MK_MILTER_OWN };
	struct mk_milter_desc d = desc;
	const char *logpath = "/dev/stderr";
	char err[256];
	static sigset_t set;
	pthread_t t;
	int ch, rc;
	bool quiet = false;

	while ((ch = getopt(argc, argv, "s:e:l:o:p:k:t:m:L:S:qn")) != -1) {
		switch (ch) {
		case 's': opts.socket = optarg; break;
		case 'e':
			if (mk_milter_engine_parse(optarg, &opts.engine) == -1)
				mk_fatal("bad engine %s", optarg);
			break;
		case 'l': logpath = optarg; break;
		case 'o':
			d.offload = strcmp(optarg, "all") == 0 ? 0x1ffU
			    : (unsigned)strtoul(optarg, NULL, 16);
			break;
		case 'p': want_steps = strtoul(optarg, NULL, 16); break;
		case 'k': skip_after = (unsigned)atoi(optarg); break;
		case 't': opts.timeout = (unsigned)atoi(optarg); break;
		case 'm': opts.max_data = (size_t)atol(optarg); break;
		case 'L': opts.loops = (unsigned)atoi(optarg); break;
		case 'S':
			if (nsym == 8 || strchr(optarg, ':') == NULL)
				return 2;
			sym_stage[nsym] = atoi(optarg);
			sym_list[nsym++] = strchr(optarg, ':') + 1;
			break;
		case 'q': quiet = true; break;
		case 'n': d.negotiate = NULL; break;
		default:
			fprintf(stderr, "usage: milter-testd -s SOCKET [-e ENGINE] [-l LOG] [-o OFFLOAD] "
			    "[-p STEPS] [-k N] [-t SECS] [-m BYTES] [-L LOOPS] [-q] [-n]\n");
			return 2;
		}
	}
	if (opts.socket == NULL || (tlog = fopen(logpath, "a")) == NULL)
		mk_fatal("need -s SOCKET and a writable -l LOG");
	mk_log_open("milter-testd", true, 0);
	mk_log_set_level(quiet ? MK_LOG_NOTICE : MK_LOG_DEBUG);
	if (opts.engine == MK_MILTER_LIBMILTER) {
		mk_milter_signals_block();
	} else {
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	if ((milter = mk_milter_open(&d, &opts, err, sizeof(err))) == NULL)
		mk_fatal("%s", err);
	if (opts.engine == MK_MILTER_OWN && pthread_create(&t, NULL, sig_main, &set) == 0)
		pthread_detach(t);
	logcb(NULL, "ready", "engine=%s", mk_milter_engine_name(opts.engine));
	rc = mk_milter_run(milter);
	logcb(NULL, "stopped", "rc=%d", rc);
	mk_milter_free(milter);
	fclose(tlog);
	return rc == 0 ? 0 : 1;
}
