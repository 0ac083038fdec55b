/*
 * lib/milter_listen.h: a listening socket in libmilter's smfi_setconn()
 * syntax: "unix:/path" (or "local:/path", or a bare "/path"),
 * "inet:PORT[@HOST]", "inet6:PORT[@HOST]" (HOST: an address or a name,
 * optionally [bracketed]; none: every address).  Generic: the other
 * daemons' listeners (policy-spf/listen.c, forwarder) could share it.
 */
#ifndef MK_MILTER_LISTEN_H
#define MK_MILTER_LISTEN_H

#include <stddef.h>

/* Bind and listen (non-blocking, close-on-exec).  A stale unix socket is
 * removed first and the new one gets the process umask; *unix_path is then
 * set (malloc'ed: the caller unlinks and frees it), else NULL.  The fd, or
 * -1 with err set. */
int mk_milter_listen(const char *spec, unsigned backlog, char **unix_path, char *err,
    size_t errlen);

#endif
