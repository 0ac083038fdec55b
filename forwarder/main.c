/*
 * forwarder/main.c: mailaka-forward — aliases + catch-all + SRS as a
 * Postfix socketmap / tcp_table server (drop-in for postsrsd).
 *
 *   mailaka-forward [-c forward.conf] [-f] [-n] [-V]
 *
 * Thin: arguments, config, listeners, privilege drop, signals, reload.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/milter.h"
#include "forwarder/fwd_conf.h"
#include "forwarder/fwd_milter.h"
#include "forwarder/fwd_server.h"

#define FWD_DEFAULT_CONF MK_SYSCONFDIR "/forward.conf"
#define FWD_DRAIN_MAX_S 5	/* SIGTERM: how long in-flight replies may take */

static struct fwd_state *cur;
static pthread_rwlock_t cur_lock = PTHREAD_RWLOCK_INITIALIZER;	/* milter threads read cur */
static time_t pinned_now;

static time_t
fwd_now(void)
{
	return pinned_now ? pinned_now : time(NULL);
}

static void
usage(void)
{
	fprintf(stderr, "usage: mailaka-forward [-c forward.conf] [-f] [-n] [-V]\n");
	exit(EXIT_FAILURE);
}

static void
reload(const char *why)
{
	char err[MK_CONF_ERR_MAX];
	struct fwd_state *st = fwd_state_load(cur->path, err, sizeof(err));

	if (st == NULL) {
		mk_log_kv(MK_LOG_ERR, NULL, "event", "reload-failed", "trigger", why, "reason", err,
		    NULL);
		/* remember the files as they are now: retry on the next change only */
		fwd_state_rewatch(cur);
		return;
	}
	pthread_rwlock_wrlock(&cur_lock);
	fwd_state_free(cur);
	cur = st;
	pthread_rwlock_unlock(&cur_lock);
	mk_log_kv(MK_LOG_NOTICE, NULL, "event", "reloaded", "trigger", why, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct fwd_server *srv = arg;

	(void)what;
	if (sig == SIGHUP) {
		reload("SIGHUP");
		return;
	}
	mk_log_kv(MK_LOG_NOTICE, NULL, "event", "stopping", "signal", strsignal((int)sig), NULL);
	fwd_server_drain(srv, FWD_DRAIN_MAX_S);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (fwd_state_changed(cur))
		reload("file-changed");
}

static void
listen_all(struct fwd_server *srv)
{
	static const struct { const char *key, *map; } socks[] = {
		{ "Socket", NULL },
		{ "TCPForwardSocket", "forward" },
		{ "TCPReverseSocket", "reverse" },
		{ "TCPAliasSocket", "alias" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		const char *spec = mk_conf_str(cur->conf, socks[i].key);

		if (spec == NULL)
			continue;
		if (fwd_server_listen(srv, spec, socks[i].map, err, sizeof(err)) == -1)
			mk_fatal("%s: %s: %s", mk_conf_where(cur->conf, socks[i].key), socks[i].key,
			    err);
		mk_log_kv(MK_LOG_NOTICE, NULL, "event", "listening", "socket", spec, "map",
		    socks[i].map ? socks[i].map : "socketmap", NULL);
	}
}

/* -n: print the effective configuration (secrets and aliases not read). */
static int
dump_config(const char *path)
{
	char err[MK_CONF_ERR_MAX];
	struct mk_conf *conf = mk_conf_load(path, fwd_conf_table(), NULL, NULL, err, sizeof(err));

	if (conf == NULL)
		mk_fatal("%s", err);
	mk_conf_dump(conf, stdout);
	mk_conf_free(conf);
	return 0;
}

static void
setup_time(void)
{
	const char *s = getenv("MAILAKA_NOW");

	if (s == NULL || *s == '\0')
		return;
	pinned_now = (time_t)strtoll(s, NULL, 10);
	mk_log_warn(NULL, "MAILAKA_NOW is set: the clock is pinned to %lld (testing only!)",
	    (long long)pinned_now);
}

int
main(int argc, char **argv)
{
	struct mk_daemon_args args;
	const char *user, *milter;
	char *pidfile;
	struct event *sighup, *sigterm, *sigint, *tick = NULL;
	struct event_base *base;
	struct fwd_server *srv;
	char err[MK_CONF_ERR_MAX];
	long interval;

	if (mk_daemon_args_parse(&args, FWD_DEFAULT_CONF, argc, argv, err, sizeof(err)) == -1)
		usage();
	if (args.version) {
		printf("mailaka-forward %s\n", PACKAGE_VERSION);
		return 0;
	}
	mk_log_open("mailaka-forward", args.foreground || args.check, LOG_MAIL);
	if (args.check)
		return dump_config(args.conf_path);
	setup_time();
	if ((cur = fwd_state_load(args.conf_path, err, sizeof(err))) == NULL)
		mk_fatal("%s", err);
	mk_log_set_level((enum mk_log_level)mk_log_level_parse(mk_conf_str(cur->conf, "LogLevel")));
	if (mk_daemon_detach(args.foreground, err, sizeof(err)) == -1)
		mk_fatal("%s", err);
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		mk_fatal("event_base_new failed");
	srv = fwd_server_new(base, &cur, mk_conf_int(cur->conf, "IdleTimeout"),
	    mk_conf_int(cur->conf, "MaxConnections"), fwd_now);
	if (srv == NULL)
		mk_fatal("out of memory");
	listen_all(srv);
	if ((milter = mk_conf_str(cur->conf, "Milter")) != NULL) {
		enum mk_milter_engine engine = MK_MILTER_LIBMILTER;

		(void)mk_milter_engine_parse(mk_conf_str(cur->conf, "MilterEngine"), &engine);
		if (fwd_milter_open(milter, engine, &cur, &cur_lock, fwd_now, err, sizeof(err)) == -1)
			mk_fatal("%s: Milter: %s", mk_conf_where(cur->conf, "Milter"), err);
		mk_log_kv(MK_LOG_NOTICE, NULL, "event", "listening", "socket", milter, "map",
		    "milter", "engine", mk_milter_engine_name(engine), NULL);
	}
	/* copied: a reload frees cur->conf */
	pidfile = NULL;
	if (mk_conf_str(cur->conf, "PidFile") != NULL) {
		if ((pidfile = strdup(mk_conf_str(cur->conf, "PidFile"))) == NULL)
			mk_fatal("out of memory");
		if (mk_pidfile_write(pidfile, err, sizeof(err)) == -1)
			mk_fatal("%s", err);
	}
	if ((user = mk_conf_str(cur->conf, "UserID")) != NULL &&
	    mk_privdrop(user, err, sizeof(err)) == -1)
		mk_fatal("%s", err);
	if (milter != NULL && fwd_milter_start() == -1)
		mk_fatal("cannot start the milter thread");
	sighup = evsignal_new(base, SIGHUP, on_signal, srv);
	sigterm = evsignal_new(base, SIGTERM, on_signal, srv);
	sigint = evsignal_new(base, SIGINT, on_signal, srv);
	evsignal_add(sighup, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	if ((interval = mk_conf_int(cur->conf, "ReloadInterval")) > 0) {
		struct timeval tv = { interval, 0 };

		tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
		event_add(tick, &tv);
	}
	mk_log_kv(MK_LOG_NOTICE, NULL, "event", "started", "srs_domain", mk_srs_domain(cur->srs),
	    NULL);
	event_base_dispatch(base);
	fwd_milter_stop();
	if (tick != NULL)
		event_free(tick);
	event_free(sighup);
	event_free(sigterm);
	event_free(sigint);
	fwd_server_free(srv);
	event_base_free(base);
	if (pidfile != NULL)
		(void)mk_pidfile_remove(pidfile);
	free(pidfile);
	fwd_state_free(cur);
	mk_log_close();
	return 0;
}
