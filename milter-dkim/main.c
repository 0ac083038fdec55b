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
#include <unistd.h>

#include <libmilter/mfapi.h>

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

static void *
reload_thread(void *arg)
{
	sigset_t *set = arg;
	struct dkim_runtime *rt;
	char err[1024];
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if ((rt = load_runtime(err, sizeof(err))) == NULL) {
			mk_log_err(NULL, "reload failed, keeping the old configuration: %s", err);
			continue;
		}
		dkim_runtime_set(rt);
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
	if (setuid(0) != -1 && pw->pw_uid != 0)
		mk_fatal("UserID %s: could regain root", userid);
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

static void
usage(void)
{
	fprintf(stderr, "usage: mailaka-dkim [-c FILE] [-f] [-n] [-V]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static sigset_t set;
	struct dkim_runtime *rt;
	const struct dkim_conf *c;
	bool fg = false, check = false;
	char err[1024];
	pthread_t th;
	int ch, rc;

	while ((ch = getopt(argc, argv, "c:fnV")) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'f': fg = true; break;
		case 'n': check = true; break;
		case 'V': printf("mailaka-dkim %s (libopendkim %08x)\n", PACKAGE_VERSION,
		    (unsigned)dkim_libversion()); return 0;
		default: usage();
		}
	}
	/* Every thread (libunbound's, the reload thread, libmilter's workers)
	 * inherits this mask: SIGTERM/SIGHUP/SIGINT reach libmilter's sigwait
	 * thread, SIGUSR1 the reload thread, never a default action. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	mk_log_open("mailaka-dkim", fg || check, LOG_MAIL);
	if ((rt = load_runtime(err, sizeof(err))) == NULL)
		mk_fatal("%s", err);
	c = rt->conf;
	if (check) {
		dkim_conf_dump(c, stdout);
		dkim_runtime_free(rt);
		return 0;
	}
	if (!fg && daemon(0, 0) == -1)
		mk_fatal("daemon: %s", strerror(errno));
	dkim_runtime_set(rt);
	/* header fields up to Postfix's header_size_limit (100 KiB) fit in one packet */
	(void)smfi_setmaxdatasize(DKIM_MILTER_DATA_MAX);
	if (dkim_milter_register() == -1 || smfi_setconn((char *)c->socket) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS)
		mk_fatal("cannot listen on %s", c->socket);
	if (c->userid != NULL)
		drop_privileges(c->userid);
	if (c->pidfile != NULL)
		write_pidfile(c->pidfile);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (pthread_create(&th, NULL, reload_thread, &set) != 0)
		mk_fatal("cannot start the reload thread");
	pthread_detach(th);
	mk_log_notice(NULL, "listening on %s, mode %s%s", c->socket, c->sign ? "s" : "",
	    c->verify ? "v" : "");
	rc = smfi_main();
	mk_log_notice(NULL, "stopped");
	return rc == MI_SUCCESS ? 0 : 1;
}
