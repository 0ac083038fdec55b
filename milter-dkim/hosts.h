/*
 * milter-dkim/hosts.h: host lists (InternalHosts, ExternalIgnoreList) with
 * OpenDKIM's semantics: entries are IPv4/IPv6 addresses or CIDR blocks, host
 * names ("mail.example.com") or domain suffixes (".example.com"); a leading
 * '!' negates (a negated match wins over any positive one).  The setting is
 * either an inline list ("127.0.0.1, ::1, 10.0.0.0/8", "csl:...") or a file
 * ("/path", "file:/path", "refile:/path") with entries separated by white
 * space or commas, '#' comments.
 */
#ifndef DKIM_HOSTS_H
#define DKIM_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

struct dkim_hosts;

/* From an inline list of items (borrowed). NULL with err on a bad entry. */
struct dkim_hosts *dkim_hosts_new_list(const char *const *items, size_t n,
    const char *where, char *err, size_t errlen);
/* From a config value: a file when it starts with '/', "file:" or "refile:",
 * else a comma/space list. Errors name file:line. */
struct dkim_hosts *dkim_hosts_new(const char *value, const char *where, char *err, size_t errlen);
struct dkim_hosts *dkim_hosts_free(struct dkim_hosts *h);

/* ip: presentation form or NULL (no address: e.g. a unix-socket client);
 * host: the client's host name or NULL. */
bool dkim_hosts_match(const struct dkim_hosts *h, const char *ip, const char *host);

#endif
