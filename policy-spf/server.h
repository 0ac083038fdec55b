/*
 * policy-spf/server.h: the policy server: listeners, connections, one
 * request at a time per connection (answers in order), async SPF checks.
 */
#ifndef SPF_SERVER_H
#define SPF_SERVER_H

#include "spf_conf.h"

struct spf_server;
struct event_base;

/* Binds conf->socket. conf is referenced. NULL with err on failure. */
struct spf_server *spf_server_new(struct event_base *base, struct spf_conf *conf,
    char *err, size_t errlen);
/* Replace the configuration (SIGHUP): new requests use it. conf referenced.
 * Settings that need a restart (Socket, Resolver, Cache_Size) are logged. */
void spf_server_reload(struct spf_server *s, struct spf_conf *conf);
/* Stop accepting; close idle connections; finish requests in flight, then
 * exit the loop (SIGTERM). */
void spf_server_drain(struct spf_server *s);
struct spf_server *spf_server_free(struct spf_server *s);

#endif
