/*
 * milter-dkim/main.c: mailaka-dkim -- arguments, configuration, privilege
 * drop, signal thread, then the milter loop (lib/milter.h; MilterEngine
 * own or libmilter).
 *
 *   mailaka-dkim [-c FILE] [-f] [-n] [-V]
 *     -c FILE  configuration (opendkim.conf syntax; default MK_SYSCONFDIR/dkim.conf)
 *     -f       foreground, log to stderr
 *     -n       check the configuration (keys and tables included), print the
 *              effective settings and exit
 *     -V       version
 *
 * Reload: SIGUSR1 (as OpenDKIM) re-reads the configuration and the keys; a
 * configuration that fails to load is logged and the old one kept.
 * Engine own: SIGHUP reloads too, SIGTERM and SIGINT stop (messages in
 * flight finish, then exit 0).  Engine libmilter: SIGHUP, SIGTERM and
 * SIGINT stop the milter (libmilter's own signal thread handles them).
 *
 * Why not SIGHUP under libmilter: libmilter's signal thread sigwait()s on
 * HUP, TERM and INT with the set hard-coded and maps HUP to MILTER_STOP
 * like TERM; smfi_main() then returns MI_SUCCESS either way (the cause is
 * not exposed), the stop state is sticky and the listen socket closed, so
 * smfi_main() cannot be re-entered.  A second thread sigwait()ing on HUP
 * competes with libmilter's: POSIX leaves the choice unspecified, and on
 * Linux a HUP arriving while that thread is busy (a reload in progress)
 * goes to libmilter and stops the milter.  SIGUSR1 is the only safe
 * reload signal under libmilter.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "lib/daemon.h"
#include "lib/dkim_verify.h"
#include "lib/log.h"
#include "lib/milter.h"
#include "milter-dkim/dkim_conf.h"
#include "milter-dkim/keyrec.h"
#include "milter-dkim/milter.h"
#include "milter-dkim/session.h"

#define DKIM_MILTER_DATA_MAX (1024 * 1024)	/* largest milter packet accepted */

static const char *conf_path = MK_SYSCONFDIR "/dkim.conf";

static void
warn_cb(const char *msg, void *arg)
{
	(void)arg;
	mk_log_warn(NULL, "%s", msg);
}

static struct dkim_runtime *
load_runtime(char *err, size_t errlen)
{
	struct dkim_conf *conf;

	if ((conf = dkim_conf_load(conf_path, warn_cb, NULL, err, errlen)) == NULL)
		return NULL;
	return dkim_runtime_new(conf, err, errlen);
}

static int
reload(void *arg, char *err, size_t errlen)
{
	struct dkim_runtime *rt;

	(void)arg;
	if ((rt = load_runtime(err, errlen)) == NULL)
		return -1;
	dkim_runtime_set(rt);
	dkim_keyrec_clear();	/* a reload is also how an admin says "keys changed" */
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: mailaka-dkim [-c FILE] [-f] [-n] [-V]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct mk_daemon_args args;
	struct mk_milter_opts opts;
	struct mk_milter *m;
	struct dkim_runtime *rt;
	const struct dkim_conf *c;
	char err[1024], pidfile[1024] = "";
	int rc;

	if (mk_daemon_args_parse(&args, conf_path, argc, argv, err, sizeof(err)) == -1)
		usage();
	if (args.version) {
		printf("mailaka-dkim %s (libopendkim %08x)\n", PACKAGE_VERSION,
		    (unsigned)dkim_libversion());
		return 0;
	}
	conf_path = args.conf_path;
	/* Every thread (libunbound's, the signal thread, the milter's)
	 * inherits this mask: TERM/HUP/INT/USR1 reach the thread sigwait()ing
	 * on them (libmilter's or ours), never a default action. */
	mk_milter_signals_block();
	mk_log_open("mailaka-dkim", args.foreground || args.check, LOG_MAIL);
	if ((rt = load_runtime(err, sizeof(err))) == NULL)
		mk_fatal("%s", err);
	c = rt->conf;
	if (args.check) {
		dkim_conf_dump(c, stdout);
		dkim_runtime_free(rt);
		return 0;
	}
	if (mk_daemon_detach(args.foreground, err, sizeof(err)) == -1)
		mk_fatal("%s", err);
	if (c->engine == MK_MILTER_OWN)
		signal(SIGPIPE, SIG_IGN);
	dkim_runtime_set(rt);
	memset(&opts, 0, sizeof(opts));
	opts.socket = c->socket;
	opts.engine = c->engine;
	/* header fields up to Postfix's header_size_limit (100 KiB) fit in one packet */
	opts.max_data = DKIM_MILTER_DATA_MAX;
	if ((m = mk_milter_open(dkim_milter_desc(), &opts, err, sizeof(err))) == NULL)
		mk_fatal("cannot listen on %s: %s", c->socket, err);
	if (c->userid != NULL && mk_privdrop(c->userid, err, sizeof(err)) == -1)
		mk_fatal("%s", err);
	if (c->pidfile != NULL) {
		snprintf(pidfile, sizeof(pidfile), "%s", c->pidfile);	/* c goes on reload */
		if (mk_pidfile_write(pidfile, err, sizeof(err)) == -1)
			mk_fatal("%s", err);
	}
	mk_log_notice(NULL, "listening on %s, mode %s%s, milter engine %s", c->socket,
	    c->sign ? "s" : "", c->verify ? "v" : "", mk_milter_engine_name(c->engine));
	/* c may go once the signal thread runs (a reload frees it) */
	if (mk_milter_signals_start(m, c->engine, reload, conf_path) == -1)
		mk_fatal("cannot start the signal thread");
	rc = mk_milter_run(m);
	mk_log_notice(NULL, "stopped");
	if (pidfile[0] != '\0')
		(void)mk_pidfile_remove(pidfile);
	m = mk_milter_free(m);
	dkim_keyrec_clear();
	mk_dkim_verify_cache_clear();
	return rc == 0 ? 0 : 1;
}
