/*
 * milter-dmarc/main.c: mailaka-dmarc -- arguments, configuration, DNS,
 * PSL and history store, privilege drop, then libmilter's loop.
 *
 *   mailaka-dmarc [-c FILE] [-f] [-n] [-V]
 *     -c FILE  configuration (opendmarc.conf syntax; default MK_SYSCONFDIR/dmarc.conf)
 *     -f       foreground, log to stderr
 *     -n       check the configuration, print the effective settings, exit
 *     -V       version
 * SIGUSR1 reloads the configuration (connections in flight keep the one
 * they started with); SIGTERM / SIGHUP stop (libmilter's signal thread).
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "lib/dmarc_history.h"
#include "lib/log.h"
#include "milter-dmarc/dmarc_conf.h"
#include "milter-dmarc/failure.h"
#include "milter-dmarc/runtime.h"
#include "milter-dmarc/session.h"

#define DMARC_MILTER_DATA_MAX (1024 * 1024)

static const char *conf_path = MK_SYSCONFDIR "/dmarc.conf";

/* SIGUSR1 (as mailaka-dkim): re-read the configuration; a configuration
 * that fails to load is logged and the old one kept. */
static void *
reload_thread(void *arg)
{
	sigset_t *set = arg;
	struct dmarc_runtime *rt;
	char err[1024];
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if ((rt = dmarc_runtime_new(conf_path, true, err, sizeof(err))) == NULL) {
			mk_log_err(NULL, "reload failed, keeping the old configuration: %s", err);
			continue;
		}
		dmarc_runtime_set(rt);
		mk_log_notice(NULL, "configuration reloaded from %s", conf_path);
	}
	return NULL;
}

static void
drop_privileges(const char *userid)
{
	char user[256], *colon;
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	snprintf(user, sizeof(user), "%s", userid);
	if ((colon = strchr(user, ':')) != NULL)
		*colon++ = '\0';
	if ((pw = getpwnam(user)) == NULL)
		mk_fatal("UserID %s: no such user", user);
	gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon)) == NULL)
			mk_fatal("UserID %s: no such group %s", userid, colon);
		gid = gr->gr_gid;
	}
	if (initgroups(pw->pw_name, gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		mk_fatal("UserID %s: %s", userid, strerror(errno));
	if (pw->pw_uid != 0 && setuid(0) != -1)
		mk_fatal("UserID %s: could regain root", userid);
}

static void
usage(void)
{
	fprintf(stderr, "usage: mailaka-dmarc [-c FILE] [-f] [-n] [-V]\n");
	exit(2);
}

static void
write_pidfile(const char *path)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		mk_fatal("PidFile %s: %s", path, strerror(errno));
	fprintf(fp, "%ld\n", (long)getpid());
	fclose(fp);
}

int
main(int argc, char **argv)
{
	static sigset_t set;
	struct dmarc_runtime *rt;
	const struct dmarc_conf *c;
	bool fg = false, check = false;
	char err[1024];
	pthread_t th;
	int ch, rc;

	while ((ch = getopt(argc, argv, "c:fnV")) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'f': fg = true; break;
		case 'n': check = true; break;
		case 'V': printf("mailaka-dmarc %s\n", PACKAGE_VERSION); return 0;
		default: usage();
		}
	}
	mk_log_open("mailaka-dmarc", fg || check, LOG_MAIL);
	if ((rt = dmarc_runtime_new(conf_path, false, err, sizeof(err))) == NULL)
		mk_fatal("%s", err);
	c = rt->conf;
	if (check) {
		dmarc_conf_dump(c, stdout);
		dmarc_runtime_put(rt);
		return 0;
	}
	if (!fg && daemon(0, 0) == -1)
		mk_fatal("daemon: %s", strerror(errno));
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	(void)smfi_setmaxdatasize(DMARC_MILTER_DATA_MAX);
	if (dmarc_milter_register() == -1 || smfi_setconn((char *)c->socket) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS)
		mk_fatal("cannot listen on %s", c->socket);
	if (c->userid != NULL)
		drop_privileges(c->userid);
	/* opened after the privilege drop: the database belongs to UserID */
	if (c->history_file != NULL &&
	    (rt->hist = mk_dmarc_history_open(c->history_file, false, err, sizeof(err))) == NULL)
		mk_fatal("%s: HistoryFile: %s", mk_conf_where(c->raw, "HistoryFile"), err);
	if (c->pidfile != NULL)
		write_pidfile(c->pidfile);
	mk_log_notice(NULL, "listening on %s, DMARCSpec %s, authserv-id %s", c->socket,
	    c->spec == MK_DMARC_SPEC_7489 ? "7489" : "9989", c->authserv_id);
	dmarc_runtime_set(rt);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&th, NULL, reload_thread, &set) != 0)
		mk_fatal("cannot start the reload thread");
	pthread_detach(th);
	rc = smfi_main();
	dmarc_failure_drain(10);
	mk_log_notice(NULL, "stopped");
	dmarc_runtime_set(NULL);
	return rc == MI_SUCCESS ? 0 : 1;
}
