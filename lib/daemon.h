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

/* Reload on a signal (the milters: SIGUSR1).  Blocks sig in the calling
 * thread (block it before creating other threads, so they inherit the mask)
 * and starts a detached thread that sigwait()s for it and calls
 * fn(arg, err, errlen): -1 is logged as "reload failed, keeping the old
 * configuration: ERR", 0 as "configuration reloaded from WHAT".  One per
 * process.  0, or -1 if the thread cannot be started. */
int mk_reload_thread_start(int sig, int (*fn)(void *arg, char *err, size_t errlen),
    void *arg, const char *what);

/* For libmilter programs, before any thread is created: block SIGHUP,
 * SIGTERM, SIGINT (libmilter's signal thread sigwait()s on them and stops
 * the milter cleanly) and SIGUSR1 (the reload thread's), so that no other
 * thread takes one with its default action. */
void mk_milter_signals_block(void);

#endif
