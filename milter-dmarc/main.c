/*
 * milter-dmarc/main.c: mailaka-dmarc -- arguments, configuration, DNS,
 * PSL and history store, privilege drop, then the milter loop
 * (lib/milter.h; MilterEngine own or libmilter).
 *
 *   mailaka-dmarc [-c FILE] [-f] [-n] [-V]
 *     -c FILE  configuration (opendmarc.conf syntax; default MK_SYSCONFDIR/dmarc.conf)
 *     -f       foreground, log to stderr
 *     -n       check the configuration, print the effective settings, exit
 *     -V       version
 * SIGUSR1 reloads the configuration (connections in flight keep the one
 * they started with).  Engine own: SIGHUP reloads too, SIGTERM / SIGINT
 * stop (messages in flight finish, exit 0).  Engine libmilter: SIGTERM /
 * SIGHUP / SIGINT stop (libmilter's signal thread; why SIGHUP cannot be a
 * reload under libmilter: milter-dkim/main.c).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/daemon.h"
#include "lib/dmarc_history.h"
#include "lib/log.h"
#include "lib/milter.h"
#include "milter-dmarc/dmarc_conf.h"
#include "milter-dmarc/dnscache.h"
#include "milter-dmarc/failure.h"
#include "milter-dmarc/runtime.h"
#include "milter-dmarc/session.h"

#define DMARC_MILTER_DATA_MAX (1024 * 1024)

static const char *conf_path = MK_SYSCONFDIR "/dmarc.conf";

/* SIGUSR1 (as mailaka-dkim): re-read the configuration; a configuration
 * that fails to load is logged and the old one kept. */
static int
reload(void *arg, char *err, size_t errlen)
{
	struct dmarc_runtime *rt;

	(void)arg;
	if ((rt = dmarc_runtime_new(conf_path, true, err, errlen)) == NULL)
		return -1;
	dmarc_runtime_set(rt);
	dmarc_dnscache_clear();	/* the resolver may have changed */
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: mailaka-dmarc [-c FILE] [-f] [-n] [-V]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct dmarc_runtime *rt;
	const struct dmarc_conf *c;
	struct mk_daemon_args args;
	struct mk_milter_opts opts;
	struct mk_milter *m;
	enum mk_milter_engine engine;
	char err[1024], pidfile[1024] = "";
	int rc;

	if (mk_daemon_args_parse(&args, conf_path, argc, argv, err, sizeof(err)) == -1)
		usage();
	if (args.version) {
		printf("mailaka-dmarc %s\n", PACKAGE_VERSION);
		return 0;
	}
	conf_path = args.conf_path;
	/* before the resolver and signal threads: TERM/HUP/INT/USR1 reach the
	 * thread sigwait()ing on them (libmilter's or ours), never a default
	 * action */
	mk_milter_signals_block();
	mk_log_open("mailaka-dmarc", args.foreground || args.check, LOG_MAIL);
	if ((rt = dmarc_runtime_new(conf_path, false, err, sizeof(err))) == NULL)
		mk_fatal("%s", err);
	c = rt->conf;
	if (args.check) {
		dmarc_conf_dump(c, stdout);
		dmarc_runtime_put(rt);
		return 0;
	}
	if (mk_daemon_detach(args.foreground, err, sizeof(err)) == -1)
		mk_fatal("%s", err);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	engine = c->engine;	/* c goes on reload */
	if (engine == MK_MILTER_OWN)
		signal(SIGPIPE, SIG_IGN);
	memset(&opts, 0, sizeof(opts));
	opts.socket = c->socket;
	opts.engine = engine;
	opts.max_data = DMARC_MILTER_DATA_MAX;
	if ((m = mk_milter_open(dmarc_milter_desc(), &opts, err, sizeof(err))) == NULL)
		mk_fatal("cannot listen on %s: %s", c->socket, err);
	if (c->userid != NULL && mk_privdrop(c->userid, err, sizeof(err)) == -1)
		mk_fatal("%s", err);
	/* opened after the privilege drop: the database belongs to UserID */
	if (c->history_file != NULL &&
	    (rt->hist = mk_dmarc_history_open(c->history_file, false, err, sizeof(err))) == NULL)
		mk_fatal("%s: HistoryFile: %s", mk_conf_where(c->raw, "HistoryFile"), err);
	if (c->pidfile != NULL) {
		snprintf(pidfile, sizeof(pidfile), "%s", c->pidfile);	/* c goes on reload */
		if (mk_pidfile_write(pidfile, err, sizeof(err)) == -1)
			mk_fatal("%s", err);
	}
	mk_log_notice(NULL, "listening on %s, DMARCSpec %s, authserv-id %s, milter engine %s",
	    c->socket, c->spec == MK_DMARC_SPEC_7489 ? "7489" : "9989", c->authserv_id,
	    mk_milter_engine_name(engine));
	dmarc_runtime_set(rt);
	if (mk_milter_signals_start(m, engine, reload, conf_path) == -1)
		mk_fatal("cannot start the signal thread");
	rc = mk_milter_run(m);
	dmarc_failure_drain(10);
	mk_log_notice(NULL, "stopped");
	if (pidfile[0] != '\0')
		(void)mk_pidfile_remove(pidfile);
	m = mk_milter_free(m);
	dmarc_runtime_set(NULL);
	dmarc_dnscache_clear();
	return rc == 0 ? 0 : 1;
}
