/*
 * milter-dkim/login_map.h: SenderLoginMap -- which From addresses an
 * authenticated user may send as (OpenDKIM signs whatever From says, so one
 * user could get a valid signature as another).
 *
 * File: lines "LOGIN SENDER [SENDER...]" (commas or white space between
 * senders); SENDER is "user@domain" (that address), "@domain" or "domain"
 * (any address of the domain), or "*" (anything).  '#' comments.
 * A login not in the map (or no map) may send as its own domain: the part
 * after the last '@' of the login.  Matching ignores case.
 */
#ifndef DKIM_LOGIN_MAP_H
#define DKIM_LOGIN_MAP_H

#include <stdbool.h>

struct dkim_login_map;

/* NULL with err ("file:line: why"). */
struct dkim_login_map *dkim_login_map_load(const char *path, char *err, size_t errlen);
struct dkim_login_map *dkim_login_map_free(struct dkim_login_map *m);

/* May login send with From local@domain?  map may be NULL (defaults only).
 * A login without '@' that is not in the map gets *no_domain set and false. */
bool dkim_login_may_send(const struct dkim_login_map *m, const char *login, const char *local,
    const char *domain, bool *no_domain);

#endif
