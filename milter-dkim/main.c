/*
 * milter-dkim/main.c: mailaka-dkim -- arguments, configuration, privilege
 * drop, reload thread, then libmilter's loop.
 *
 *   mailaka-dkim [-c FILE] [-f] [-n] [-V]
 *     -c FILE  configuration (opendkim.conf syntax; default MK_SYSCONFDIR/dkim.conf)
 *     -f       foreground, log to stderr
 *     -n       check the configuration (keys and tables included), print the
 *              effective settings and exit
 *     -V       version
 *
 * Reload: SIGUSR1 (as OpenDKIM) re-reads the configuration and the keys; a
 * configuration that fails to load is logged and the old one kept.  Under
 * libmilter, SIGHUP and SIGTERM stop the milter (libmilter's own signal
 * thread handles them).
 *
 * Why not SIGHUP: libmilter's signal thread sigwait()s on HUP, TERM and
 * INT with the set hard-coded and maps HUP to MILTER_STOP like TERM;
 * smfi_main() then returns MI_SUCCESS either way (the cause is not
 * exposed), the stop state is sticky and the listen socket closed, so
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

#include <libmilter/mfapi.h>

#include "lib/daemon.h"
#include "lib/log.h"
#include "milter-dkim/dkim_conf.h"
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
	/* Every thread (libunbound's, the reload thread, libmilter's workers)
	 * inherits this mask: SIGTERM/SIGHUP/SIGINT reach libmilter's sigwait
	 * thread, SIGUSR1 the reload thread, never a default action. */
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
	dkim_runtime_set(rt);
	/* header fields up to Postfix's header_size_limit (100 KiB) fit in one packet */
	(void)smfi_setmaxdatasize(DKIM_MILTER_DATA_MAX);
	if (dkim_milter_register() == -1 || smfi_setconn((char *)c->socket) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS)
		mk_fatal("cannot listen on %s", c->socket);
	if (c->userid != NULL && mk_privdrop(c->userid, err, sizeof(err)) == -1)
		mk_fatal("%s", err);
	if (c->pidfile != NULL) {
		snprintf(pidfile, sizeof(pidfile), "%s", c->pidfile);	/* c goes on reload */
		if (mk_pidfile_write(pidfile, err, sizeof(err)) == -1)
			mk_fatal("%s", err);
	}
	if (mk_reload_thread_start(SIGUSR1, reload, NULL, conf_path) == -1)
		mk_fatal("cannot start the reload thread");
	mk_log_notice(NULL, "listening on %s, mode %s%s", c->socket, c->sign ? "s" : "",
	    c->verify ? "v" : "");
	rc = smfi_main();
	mk_log_notice(NULL, "stopped");
	if (pidfile[0] != '\0')
		(void)mk_pidfile_remove(pidfile);
	return rc == MI_SUCCESS ? 0 : 1;
}
