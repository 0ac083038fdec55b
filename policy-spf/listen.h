/*
 * policy-spf/listen.h: the policy socket (lib/listen.h syntax):
 * "unix:/path" (or "local:/path", or a bare "/path"), "inet:PORT@HOST",
 * "inet6:PORT@HOST" (HOST optional: all addresses).
 */
#ifndef SPF_LISTEN_H
#define SPF_LISTEN_H

#include <stddef.h>

#include <event2/listener.h>

/* Bind and listen. A unix socket gets mode (chmod) and owner ("user" or
 * "user:group", NULL = unchanged); a stale socket file is removed first;
 * *unix_path (malloc'ed) is set so the caller unlinks it at exit. NULL
 * with err on failure. */
struct evconnlistener *spf_listen(struct event_base *base, const char *spec, int mode,
    const char *owner, evconnlistener_cb cb, void *arg, char **unix_path, char *err,
    size_t errlen);

#endif
