/*
 * lib/listen.h: a listening socket in libmilter's smfi_setconn() syntax:
 * "unix:/path" (or "local:/path", or a bare "/path"), "inet:PORT[@HOST]",
 * "inet6:PORT[@HOST]" (HOST: an address or a name, optionally [bracketed];
 * none: every address).  Used by the milter engine, mailaka-spf
 * (policy-spf/listen.c) and mailaka-forward (forwarder/fwd_server.c).
 */
#ifndef MK_LISTEN_H
#define MK_LISTEN_H

#include <stddef.h>

/* Bind and listen (non-blocking, close-on-exec).  A stale unix socket is
 * removed first and the new one gets the process umask; *unix_path is then
 * set (malloc'ed: the caller unlinks and frees it), else NULL.  The fd, or
 * -1 with err set. */
int mk_listen(const char *spec, unsigned backlog, char **unix_path, char *err,
    size_t errlen);

#endif
