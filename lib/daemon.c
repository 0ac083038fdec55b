/*
 * lib/daemon.c: start-up plumbing shared by the mailaka daemons (see
 * daemon.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/daemon.h"
#include "lib/log.h"

#define MK_PIDFILE_MAX 32	/* bytes read from an existing pid file */

int
mk_daemon_args_parse(struct mk_daemon_args *a, const char *default_conf, int argc,
    char **argv, char *err, size_t errlen)
{
	int ch;

	memset(a, 0, sizeof(*a));
	a->conf_path = default_conf;
	optind = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv, ":c:fnV")) != -1) {
		switch (ch) {
		case 'c': a->conf_path = optarg; break;
		case 'f': a->foreground = true; break;
		case 'n': a->check = true; break;
		case 'V': a->version = true; break;
		case ':':
			snprintf(err, errlen, "option -%c needs an argument", optopt);
			return -1;
		default:
			snprintf(err, errlen, "unknown option -%c", optopt);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument %s", argv[optind]);
		return -1;
	}
	return 0;
}

/* The pid in path, or 0 if it holds none (garbage, empty, unreadable). */
static pid_t
pidfile_read(const char *path)
{
	char buf[MK_PIDFILE_MAX + 1], *end;
	ssize_t n;
	long pid;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	n = read(fd, buf, MK_PIDFILE_MAX);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || pid <= 0 ||
	    pid > 0x7fffffffL)
		return 0;
	return (pid_t)pid;
}

static bool
pid_alive(pid_t pid)
{
	return pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM);
}

int
mk_pidfile_write(const char *path, char *err, size_t errlen)
{
	char buf[MK_PIDFILE_MAX];
	pid_t old;
	int fd = -1, len;

	for (int tries = 0; tries < 2 && fd == -1; tries++) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd != -1 || errno != EEXIST)
			break;
		if ((old = pidfile_read(path)) != 0 && pid_alive(old)) {
			snprintf(err, errlen, "PidFile %s: already running as pid %ld", path,
			    (long)old);
			return -1;
		}
		if (unlink(path) == -1 && errno != ENOENT) {
			/* stale file in a directory we may not write (after the
			 * privilege drop): overwrite it if we may */
			fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
			break;
		}
	}
	if (fd == -1) {
		snprintf(err, errlen, "PidFile %s: %s", path, strerror(errno));
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)len) != len) {
		snprintf(err, errlen, "PidFile %s: write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "PidFile %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int
mk_pidfile_remove(const char *path)
{
	if (path == NULL || pidfile_read(path) != getpid())
		return -1;
	return unlink(path);
}

/* Resolve "user[:group]" to ids and a login name. */
static int
privdrop_ids(const char *spec, uid_t *uid, gid_t *gid, char *name, size_t namelen,
    char *err, size_t errlen)
{
	char user[256], *colon;
	struct passwd *pw;
	struct group *gr;

	if (snprintf(user, sizeof(user), "%s", spec) >= (int)sizeof(user)) {
		snprintf(err, errlen, "UserID %.64s...: too long", spec);
		return -1;
	}
	if ((colon = strchr(user, ':')) != NULL)
		*colon++ = '\0';
	if (user[0] == '\0' || (pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "UserID %s: no such user %s", spec, user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	snprintf(name, namelen, "%s", pw->pw_name);
	if (colon != NULL) {
		if (*colon == '\0' || (gr = getgrnam(colon)) == NULL) {
			snprintf(err, errlen, "UserID %s: no such group %s", spec, colon);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int
mk_privdrop(const char *spec, char *err, size_t errlen)
{
	char name[256];
	uid_t uid;
	gid_t gid;

	if (privdrop_ids(spec, &uid, &gid, name, sizeof(name), err, errlen) == -1)
		return -1;
	if (initgroups(name, gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "UserID %s: cannot drop privileges: %s", spec,
		    strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) != -1 || geteuid() == 0 || seteuid(0) != -1)) {
		snprintf(err, errlen, "UserID %s: root could be regained", spec);
		return -1;
	}
	if (gid != 0 && uid != 0 && (setgid(0) != -1 || getegid() == 0)) {
		snprintf(err, errlen, "UserID %s: group root could be regained", spec);
		return -1;
	}
	return 0;
}

int
mk_daemon_detach(bool foreground, char *err, size_t errlen)
{
	if (!foreground && daemon(0, 0) == -1) {
		snprintf(err, errlen, "daemon: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static struct {
	sigset_t reload, stop, all;
	int (*reload_fn)(void *, char *, size_t);
	void (*stop_fn)(void *, int);
	void *arg;
	const char *what;
	bool started;
} sigthr;

static void *
signal_thread(void *unused)
{
	char err[1024];
	int sig;

	(void)unused;
	for (;;) {
		if (sigwait(&sigthr.all, &sig) != 0)
			continue;
		if (sigismember(&sigthr.stop, sig) == 1) {
			mk_log_notice(NULL, "%s: stopping", strsignal(sig));
			sigthr.stop_fn(sigthr.arg, sig);
			continue;	/* a second one: stop again (harmless) */
		}
		if (sigthr.reload_fn(sigthr.arg, err, sizeof(err)) == -1)
			mk_log_err(NULL, "reload failed, keeping the old configuration: %s", err);
		else
			mk_log_notice(NULL, "configuration reloaded from %s", sigthr.what);
	}
	return NULL;
}

/* sigs (0-terminated, at most MK_SIGNALS_MAX) into set; -1 on a bad signal. */
static int
sigset_from(sigset_t *set, const int *sigs)
{
	sigemptyset(set);
	for (size_t i = 0; sigs != NULL && sigs[i] != 0; i++)
		if (i >= MK_SIGNALS_MAX || sigaddset(set, sigs[i]) == -1)
			return -1;
	return 0;
}

int
mk_signal_thread_start(const struct mk_signals *s)
{
	pthread_t th;

	if (sigthr.started || s->reload_fn == NULL ||
	    (s->stop != NULL && s->stop[0] != 0 && s->stop_fn == NULL))
		return -1;
	if (sigset_from(&sigthr.reload, s->reload) == -1 ||
	    sigset_from(&sigthr.stop, s->stop) == -1)
		return -1;
	sigthr.all = sigthr.reload;
	for (size_t i = 0; s->stop != NULL && s->stop[i] != 0; i++)
		sigaddset(&sigthr.all, s->stop[i]);
	sigthr.reload_fn = s->reload_fn;
	sigthr.stop_fn = s->stop_fn;
	sigthr.arg = s->arg;
	sigthr.what = s->what;
	if (pthread_sigmask(SIG_BLOCK, &sigthr.all, NULL) != 0 ||
	    pthread_create(&th, NULL, signal_thread, NULL) != 0)
		return -1;
	pthread_detach(th);
	sigthr.started = true;
	return 0;
}

int
mk_reload_thread_start(int sig, int (*fn)(void *arg, char *err, size_t errlen), void *arg,
    const char *what)
{
	const int reload[] = { sig, 0 };
	struct mk_signals s = { reload, NULL, fn, NULL, arg, what };

	return mk_signal_thread_start(&s);
}

void
mk_milter_signals_block(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}
