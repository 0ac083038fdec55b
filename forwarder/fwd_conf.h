/*
 * forwarder/fwd_conf.h: mailaka-forward configuration (forward.conf) and
 * the reloadable state built from it (SRS context, aliases, domains).
 */
#ifndef FWD_CONF_H
#define FWD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "lib/aliases.h"
#include "lib/conf.h"
#include "lib/srs.h"

/* A file whose change triggers a reload. */
struct fwd_watch {
	char *path;
	bool exists;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* Everything a lookup needs; rebuilt whole on reload and swapped. */
struct fwd_state {
	char *path;			/* config file */
	struct mk_conf *conf;
	struct mk_srs *srs;
	struct mk_aliases *aliases;	/* local domains live here too */
	char **exclude;			/* SRSExcludeDomains (".x" = subdomains of x) */
	size_t nexclude;
	struct fwd_watch *watch;
	size_t nwatch;
};

const struct mk_conf_key *fwd_conf_table(void);

/* Load path and build the state (reads secrets and aliases). NULL with err
 * ("file:line: why" or "path: why"). */
struct fwd_state *fwd_state_load(const char *path, char *err, size_t errlen);
struct fwd_state *fwd_state_free(struct fwd_state *st);

/* Has any watched file changed (mtime, size, inode, existence)? */
bool fwd_state_changed(const struct fwd_state *st);
/* Record the watched files as they are now (after a failed reload). */
void fwd_state_rewatch(struct fwd_state *st);

/* Is domain local (LocalDomains, AliasesDir/AliasesFile domains, SRSDomain)? */
bool fwd_domain_is_local(const struct fwd_state *st, const char *domain);
/* Excluded from SRS rewriting (local, or SRSExcludeDomains)? */
bool fwd_domain_is_excluded(const struct fwd_state *st, const char *domain);

#endif
