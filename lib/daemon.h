/*
 * lib/daemon.h: start-up plumbing shared by the mailaka daemons.
 *
 * Command line (DESIGN.md): -c FILE, -f (foreground, log to stderr),
 * -n (check the configuration, print it, exit), -V (version).
 * Pid file: created with O_EXCL; an existing file naming a live process is
 * an error ("already running"), a stale one (dead pid, garbage) is replaced.
 * Privilege drop: "user" or "user:group", after the sockets are bound:
 * initgroups, setresgid, setresuid, then a check that root cannot be
 * regained.
 */
#ifndef MK_DAEMON_H
#define MK_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

struct mk_daemon_args {
	const char *conf_path;	/* -c, or the default given to the parser */
	bool foreground;	/* -f */
	bool check;		/* -n */
	bool version;		/* -V */
};

/* Parse argv (getopt "c:fnV"; optind is reset first).  0, or -1 with err
 * set on an unknown option, a missing argument or an extra operand. */
int mk_daemon_args_parse(struct mk_daemon_args *a, const char *default_conf, int argc,
    char **argv, char *err, size_t errlen);

/* Write getpid() to path (mode 0644).  0, or -1 with err set. */
int mk_pidfile_write(const char *path, char *err, size_t errlen);

/* Remove path if it holds our pid.  0, or -1 (not ours / cannot remove). */
int mk_pidfile_remove(const char *path);

/* Switch to spec ("user" or "user:group") for good.  0, or -1 with err set
 * (unknown user/group, a failing call, root still reachable). */
int mk_privdrop(const char *spec, char *err, size_t errlen);

/* Fork into the background unless foreground (daemon(0, 0)).  0 or -1. */
int mk_daemon_detach(bool foreground, char *err, size_t errlen);

#define MK_SIGNALS_MAX 8	/* signals in one set of struct mk_signals */

/* What a signal thread does with which signal (sets: 0-terminated arrays). */
struct mk_signals {
	const int *reload;	/* reload on these (the milters: SIGUSR1, and SIGHUP under engine own) */
	const int *stop;	/* stop on these (SIGTERM, SIGINT), or NULL */
	int (*reload_fn)(void *arg, char *err, size_t errlen);
	void (*stop_fn)(void *arg, int sig);	/* called from the signal thread; NULL if no stop */
	void *arg;
	const char *what;	/* what is reloaded, for the log ("configuration reloaded from WHAT") */
};

/* Blocks the signals of both sets in the calling thread (block them before
 * creating other threads, so they inherit the mask) and starts a detached
 * thread that sigwait()s for them.  A reload signal calls reload_fn(arg,
 * err, errlen): -1 is logged as "reload failed, keeping the old
 * configuration: ERR", 0 as "configuration reloaded from WHAT".  A stop
 * signal is logged ("Terminated: stopping") and calls stop_fn(arg, sig)
 * (again on a second one).  One per process.  0, or -1 if the thread cannot
 * be started, a set is too long, or one was started before. */
int mk_signal_thread_start(const struct mk_signals *s);

/* The same with one reload signal and no stop signal. */
int mk_reload_thread_start(int sig, int (*fn)(void *arg, char *err, size_t errlen),
    void *arg, const char *what);

/* For the milters, before any thread is created: block SIGHUP, SIGTERM,
 * SIGINT and SIGUSR1, so that no thread takes one with its default action.
 * Engine libmilter: libmilter's signal thread sigwait()s on HUP, TERM and
 * INT and stops the milter cleanly, the reload thread on USR1.  Engine own:
 * the signal thread (mk_signal_thread_start) takes all four. */
void mk_milter_signals_block(void);

#endif
