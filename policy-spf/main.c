/*
 * policy-spf/main.c: mailaka-spf, the SPF policy daemon (Postfix
 * check_policy_service, Exim ${readsocket}).
 *
 *   mailaka-spf -c spf.conf [-f] [-n] [-V]
 *     -f  foreground, log to stderr;  -n  print the effective config and exit
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "server.h"
#include "spf_conf.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

struct app {
	const char *conf_path;
	struct event_base *base;
	struct spf_server *srv;
	struct spf_conf *conf;
};

static void
usage(void)
{
	fprintf(stderr, "usage: mailaka-spf -c FILE [-f] [-n] [-V]\n");
	exit(EXIT_FAILURE);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct app *a = arg;
	char err[MK_CONF_ERR_MAX];
	struct spf_conf *nc;

	(void)sig; (void)what;
	nc = spf_conf_load(a->conf_path, err, sizeof(err));
	if (nc == NULL) {
		mk_log_err(NULL, "event=reload status=failed error=\"%s\" (keeping the old configuration)", err);
		return;
	}
	if (nc->log_level >= 0)
		mk_log_set_level((enum mk_log_level)nc->log_level);
	spf_server_reload(a->srv, nc);
	spf_conf_unref(a->conf);
	a->conf = nc;
}

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
	struct app *a = arg;

	(void)what;
	mk_log_info(NULL, "event=shutdown signal=%d", (int)sig);
	spf_server_drain(a->srv);
}

int
main(int argc, char **argv)
{
	struct app a = { 0 };
	struct event *ev_hup, *ev_term, *ev_int;
	char err[MK_CONF_ERR_MAX];
	struct mk_daemon_args args;

	if (mk_daemon_args_parse(&args, NULL, argc, argv, err, sizeof(err)) == -1)
		usage();
	if (args.version) {
		printf("mailaka-spf %s\n", PACKAGE_VERSION);
		return 0;
	}
	if ((a.conf_path = args.conf_path) == NULL)
		usage();
	mk_log_open("mailaka-spf", args.foreground || args.check, LOG_MAIL);
	if ((a.conf = spf_conf_load(a.conf_path, err, sizeof(err))) == NULL)
		mk_fatal("%s", err);
	if (args.check) {
		spf_conf_dump(a.conf, stdout);
		spf_conf_unref(a.conf);
		return 0;
	}
	if (a.conf->log_level >= 0)
		mk_log_set_level((enum mk_log_level)a.conf->log_level);
	signal(SIGPIPE, SIG_IGN);
	if ((a.base = event_base_new()) == NULL)
		mk_fatal("event_base_new failed");
	if ((a.srv = spf_server_new(a.base, a.conf, err, sizeof(err))) == NULL)
		mk_fatal("%s", err);
	/* the pid file as root, like the socket */
	if (a.conf->pidfile != NULL && mk_pidfile_write(a.conf->pidfile, err, sizeof(err)) == -1)
		mk_fatal("%s", err);
	if (a.conf->user != NULL && a.conf->user[0] != '\0' &&
	    mk_privdrop(a.conf->user, err, sizeof(err)) == -1)
		mk_fatal("%s", err);
	ev_hup = evsignal_new(a.base, SIGHUP, on_hup, &a);
	ev_term = evsignal_new(a.base, SIGTERM, on_term, &a);
	ev_int = evsignal_new(a.base, SIGINT, on_term, &a);
	evsignal_add(ev_hup, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	mk_log_info(NULL, "event=start socket=%s resolver=%s version=%s", a.conf->socket,
	    a.conf->resolver, PACKAGE_VERSION);
	event_base_dispatch(a.base);
	mk_log_info(NULL, "event=stop");
	event_free(ev_hup);
	event_free(ev_term);
	event_free(ev_int);
	spf_server_free(a.srv);
	if (a.conf->pidfile != NULL)
		(void)mk_pidfile_remove(a.conf->pidfile);
	spf_conf_unref(a.conf);
	event_base_free(a.base);
	mk_log_close();
	return 0;
}
