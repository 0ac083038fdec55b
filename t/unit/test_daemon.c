/*
 * t/unit/test_daemon.c: lib/daemon -- argument parsing, pid files (O_EXCL,
 * live vs stale owner), privilege drop (in a child, as root only), the
 * reload thread (a blocked signal reaches only it), the signal thread with
 * sets of reload and stop signals (in a child: one per process).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/daemon.h"
#include "tap.h"

static int
parse(struct mk_daemon_args *a, char *err, size_t errlen, int argc, ...)
{
	char *argv[8];
	va_list ap;

	va_start(ap, argc);
	for (int i = 0; i < argc && i < 7; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	return mk_daemon_args_parse(a, "/etc/default.conf", argc, argv, err, errlen);
}

static void
test_args(void)
{
	struct mk_daemon_args a;
	char err[128] = "";

	is_int(parse(&a, err, sizeof(err), 1, "prog"), 0, "args: none");
	is_str(a.conf_path, "/etc/default.conf", "args: default config path");
	ok(!a.foreground && !a.check && !a.version, "args: flags off by default");
	is_int(parse(&a, err, sizeof(err), 4, "prog", "-c", "/x.conf", "-f"), 0, "args: -c -f");
	is_str(a.conf_path, "/x.conf", "args: -c FILE");
	ok(a.foreground && !a.check, "args: -f sets foreground only");
	is_int(parse(&a, err, sizeof(err), 3, "prog", "-nV", "-c/y"), 0, "args: grouped flags");
	ok(a.check && a.version, "args: -n -V");
	is_str(a.conf_path, "/y", "args: -cFILE attached");
	is_int(parse(&a, err, sizeof(err), 2, "prog", "-x"), -1, "args: unknown option");
	is_str(err, "unknown option -x", "args: unknown option named");
	is_int(parse(&a, err, sizeof(err), 2, "prog", "-c"), -1, "args: -c without file");
	is_str(err, "option -c needs an argument", "args: missing argument named");
	is_int(parse(&a, err, sizeof(err), 2, "prog", "extra"), -1, "args: stray operand");
	ok(strstr(err, "extra") != NULL, "args: stray operand named (%s)", err);
}

static long
read_pid(const char *path)
{
	FILE *fp = fopen(path, "r");
	long pid = -1;

	if (fp == NULL)
		return -1;
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = -1;
	fclose(fp);
	return pid;
}

static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
}

static void
test_pidfile(const char *dir)
{
	char path[512], err[256] = "", text[64];
	pid_t child;
	int st;

	snprintf(path, sizeof(path), "%s/t.pid", dir);
	is_int(mk_pidfile_write(path, err, sizeof(err)), 0, "pidfile: created");
	is_int(read_pid(path), getpid(), "pidfile: holds our pid");
	is_int(mk_pidfile_write(path, err, sizeof(err)), 0, "pidfile: our own pid is stale");
	is_int(mk_pidfile_remove(path), 0, "pidfile: removed");
	ok(access(path, F_OK) == -1, "pidfile: gone after remove");

	/* a live process owns it: refused, file untouched */
	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	snprintf(text, sizeof(text), "%ld\n", (long)child);
	put(path, text);
	is_int(mk_pidfile_write(path, err, sizeof(err)), -1, "pidfile: live owner refused");
	ok(strstr(err, "already running") != NULL, "pidfile: error says so (%s)", err);
	is_int(read_pid(path), child, "pidfile: live owner's file untouched");
	is_int(mk_pidfile_remove(path), -1, "pidfile: remove refuses another's file");
	kill(child, SIGKILL);
	waitpid(child, &st, 0);

	/* the same pid, now dead: stale, replaced */
	is_int(mk_pidfile_write(path, err, sizeof(err)), 0, "pidfile: dead owner replaced");
	is_int(read_pid(path), getpid(), "pidfile: now ours");
	put(path, "garbage\n");
	is_int(mk_pidfile_write(path, err, sizeof(err)), 0, "pidfile: garbage replaced");
	is_int(read_pid(path), getpid(), "pidfile: ours after garbage");
	mk_pidfile_remove(path);

	snprintf(path, sizeof(path), "%s/no/such/dir.pid", dir);
	is_int(mk_pidfile_write(path, err, sizeof(err)), -1, "pidfile: unwritable path");
	ok(strstr(err, path) != NULL, "pidfile: error names the file (%s)", err);
}

/* In a child: drop to spec; exit 0 if uid/gid are the target's and root is gone. */
static int
privdrop_child(const char *spec, uid_t uid, gid_t gid)
{
	char err[256];
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		if (mk_privdrop(spec, err, sizeof(err)) == -1)
			_exit(10);
		if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
			_exit(11);
		if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
			_exit(12);
		if (open("/etc/shadow", O_RDONLY) != -1)
			_exit(13);
		_exit(0);
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
test_privdrop(void)
{
	struct passwd *pw;
	char err[256] = "";

	is_int(mk_privdrop("no-such-user-mk", err, sizeof(err)), -1, "privdrop: unknown user");
	ok(strstr(err, "no such user no-such-user-mk") != NULL, "privdrop: named (%s)", err);
	is_int(mk_privdrop("root:no-such-group-mk", err, sizeof(err)), -1,
	    "privdrop: unknown group");
	ok(strstr(err, "no such group no-such-group-mk") != NULL, "privdrop: group named (%s)",
	    err);
	is_int(mk_privdrop(":", err, sizeof(err)), -1, "privdrop: empty user");
	if (getuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		printf("ok %d # SKIP not root or no user nobody\n", ++tap_n);
		return;
	}
	is_int(privdrop_child("nobody", pw->pw_uid, pw->pw_gid), 0,
	    "privdrop: nobody, and root cannot be regained");
	is_int(privdrop_child("nobody:daemon", pw->pw_uid, 1), 0, "privdrop: user:group");
}

/* As root: a stale pid file owned by nobody in a root-owned directory (the
 * milters write theirs after the privilege drop): overwritten in place. */
static void
test_pidfile_readonly_dir(const char *dir)
{
	char path[512], err[256];
	struct passwd *pw;
	pid_t pid;
	int st = -1;

	if (getuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		printf("ok %d # SKIP not root or no user nobody\n", ++tap_n);
		return;
	}
	snprintf(path, sizeof(path), "%s/ro.pid", dir);
	put(path, "999999999\n");
	if (chown(path, pw->pw_uid, pw->pw_gid) == -1 || chmod(dir, 0755) == -1)
		diag("chown/chmod: %s", strerror(errno));
	if ((pid = fork()) == 0) {
		if (mk_privdrop("nobody", err, sizeof(err)) == -1 ||
		    mk_pidfile_write(path, err, sizeof(err)) == -1)
			_exit(1);
		_exit(read_pid(path) == (long)getpid() ? 0 : 2);
	}
	waitpid(pid, &st, 0);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0,
	    "pidfile: stale file in an unwritable directory overwritten");
	unlink(path);
}

static volatile int reloads;

static int
count_reload(void *arg, char *err, size_t errlen)
{
	(void)arg;
	reloads++;
	if (reloads == 2) {	/* the second one fails: logged, counted */
		snprintf(err, errlen, "broken on purpose");
		return -1;
	}
	return 0;
}

static void
test_reload_thread(void)
{
	is_int(mk_reload_thread_start(SIGUSR2, count_reload, NULL, "test"), 0,
	    "reload: thread started");
	for (int want = 1; want <= 3; want++) {
		kill(getpid(), SIGUSR2);	/* blocked here: only the thread takes it */
		for (int i = 0; i < 200 && reloads < want; i++)
			usleep(10000);
		is_int(reloads, want, "reload: signal %d handled, process alive", want);
	}
}

static volatile int set_reloads, set_stops, set_stop_sig;

static int
count_set_reload(void *arg, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	set_reloads++;
	return 0;
}

static void
count_set_stop(void *arg, int sig)
{
	(void)arg;
	set_stop_sig = sig;
	set_stops++;
}

static int
wait_for(volatile int *v, int want)
{
	for (int i = 0; i < 200 && *v < want; i++)
		usleep(10000);
	return *v == want;
}

/* In a child (one signal thread per process, and no fork after it): exit
 * status bits name what failed. */
static int
signal_set_child(void)
{
	static const int reload[] = { SIGUSR2, SIGHUP, 0 }, stop[] = { SIGTERM, SIGINT, 0 };
	static const int too_many[] = { SIGUSR2, SIGHUP, SIGUSR1, SIGALRM, SIGWINCH, SIGCHLD,
	    SIGTTIN, SIGTTOU, SIGURG, 0 };
	struct mk_signals bad = { too_many, NULL, count_set_reload, NULL, NULL, "x" };
	struct mk_signals nostopfn = { reload, stop, count_set_reload, NULL, NULL, "x" };
	struct mk_signals s = { reload, stop, count_set_reload, count_set_stop, NULL, "set" };
	int fail = 0;

	if (mk_signal_thread_start(&bad) != -1 || mk_signal_thread_start(&nostopfn) != -1)
		fail |= 1;
	if (mk_signal_thread_start(&s) != 0)
		return 2;
	kill(getpid(), SIGUSR2);
	if (!wait_for(&set_reloads, 1))
		fail |= 4;
	kill(getpid(), SIGHUP);	/* blocked here: its default action would kill us */
	if (!wait_for(&set_reloads, 2))
		fail |= 8;
	kill(getpid(), SIGTERM);
	if (!wait_for(&set_stops, 1) || set_stop_sig != SIGTERM || set_reloads != 2)
		fail |= 16;
	kill(getpid(), SIGINT);
	if (!wait_for(&set_stops, 2) || set_stop_sig != SIGINT)
		fail |= 32;
	if (mk_reload_thread_start(SIGUSR1, count_set_reload, NULL, "again") != -1)
		fail |= 64;
	return fail;
}

static void
test_signal_set(void)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(signal_set_child());
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st), "signals: child alive through HUP, TERM, INT (status 0x%x)", st);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	is_int(st & 1, 0, "signals: a set too long / stop set without stop_fn refused");
	is_int(st & 2, 0, "signals: thread started with reload {USR2, HUP}, stop {TERM, INT}");
	is_int(st & 4, 0, "signals: USR2 reloads");
	is_int(st & 8, 0, "signals: HUP reloads");
	is_int(st & 16, 0, "signals: TERM calls stop_fn with SIGTERM, no reload");
	is_int(st & 32, 0, "signals: INT calls stop_fn again with SIGINT");
	is_int(st & 64, 0, "signals: a second signal thread in the process refused");
}

int
main(void)
{
	char dir[] = "/tmp/test_daemon.XXXXXX";

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_args();
	test_pidfile(dir);
	test_privdrop();
	test_pidfile_readonly_dir(dir);
	test_signal_set();
	test_reload_thread();	/* last: no fork after a thread */
	rmdir(dir);
	return done_testing();
}
