/*
 * forwarder/fwd_server.h: the socketmap / tcp_table server (libevent).
 *
 * Each listener accepts both protocols, told apart by the first byte of a
 * connection: a digit starts a socketmap netstring, anything else a
 * tcp_table line.  A tcp_table request has no map name, so it is answered
 * only on a listener bound to one map (TCPForwardSocket...).  Malformed
 * input is logged and closes the connection (tcp_table gets "400 why" first).
 */
#ifndef FWD_SERVER_H
#define FWD_SERVER_H

#include <stddef.h>
#include <time.h>

#include <event2/event.h>

#include "forwarder/fwd_conf.h"

struct fwd_server;

/* cur: where the current state lives (swapped by reload; borrowed).
 * now: clock (tests pin it). */
struct fwd_server *fwd_server_new(struct event_base *base, struct fwd_state **cur,
    long idle_timeout, long max_conns, time_t (*now)(void));
struct fwd_server *fwd_server_free(struct fwd_server *srv);

/* Listen on spec ("unix:/path", "local:/path", "inet:PORT@HOST",
 * "inet6:PORT@HOST"); map: the map tcp_table requests go to, or NULL.
 * 0 / -1 with err. */
int fwd_server_listen(struct fwd_server *srv, const char *spec, const char *map,
    char *err, size_t errlen);

size_t fwd_server_conn_count(const struct fwd_server *srv);

/* SIGTERM: stop accepting (listeners closed), keep serving the open
 * connections until each has been answered and flushed everything it sent,
 * then close it; when none is left, or after max_seconds, or on a second
 * call, event_base_loopexit(). */
void fwd_server_drain(struct fwd_server *srv, int max_seconds);

#endif
