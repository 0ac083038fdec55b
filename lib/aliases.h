/*
 * lib/aliases.h: chasquid-style aliases with catch-all.
 *
 * File format (chasquid's, one file per domain: domains/<domain>/aliases):
 *   # comment
 *   user: target[, target...]      target without '@' is in the same domain
 *   *: target                      catch-all: any other user of the domain
 *   user: | command args           pipe (parsed; honoured only with MK_ALIAS_PIPES)
 *   user: addr via host/host       chasquid forward-via (kept as an address, not expanded)
 * The "full addresses" variant (one file for all domains) has
 * "user@domain:" / "*@domain:" on the left; a target without '@' then
 * takes the left side's domain.
 *
 * Resolution (chasquid semantics): an address of a non-local domain is a
 * final recipient.  For a local one, look up the local part with drop
 * characters removed (before the first suffix separator), then with the
 * suffix removed too; then the catch-all.  Targets are resolved again
 * (depth limit MK_ALIAS_DEPTH_MAX); "*" as a target's user means the
 * original user ("*: *@other.example").  A catch-all target with no alias
 * of its own is a mailbox (it does not hit the catch-all again); a target
 * that names the address being expanded ("bob: bob, bob@remote") is a
 * mailbox too; any longer cycle is an error ("alias loop").  Results are
 * de-duplicated.  Local parts are case-insensitive (ASCII folded; UTF-8
 * bytes kept as is), domains lower-cased.
 */
#ifndef MK_ALIASES_H
#define MK_ALIASES_H

#include <stdbool.h>
#include <stddef.h>

#define MK_ALIAS_DEPTH_MAX 10		/* chasquid's recursion limit */
#define MK_ALIAS_LINE_MAX 4096		/* bytes in one aliases line */
#define MK_ALIAS_ADDR_MAX 512		/* bytes of one address */
#define MK_ALIAS_RCPTS_MAX 1000		/* recipients from one expansion */
#define MK_ALIAS_STEPS_MAX 10000	/* lookups in one expansion (fan-out bound) */
#define MK_ALIAS_CHARS_MAX 32		/* drop characters / suffix separators */
#define MK_ALIAS_FILE_MAX (64L * 1024 * 1024)

enum mk_alias_type {
	MK_ALIAS_EMAIL,		/* an address */
	MK_ALIAS_PIPE,		/* "| command": value is the command */
	MK_ALIAS_FORWARD,	/* "addr via hosts": value is addr, via the hosts */
};

struct mk_alias_rcpt {
	enum mk_alias_type type;
	char *value;
	char *via;		/* MK_ALIAS_FORWARD only, else NULL */
};

struct mk_alias_list {
	size_t n;
	size_t cap;
	struct mk_alias_rcpt *v;
	size_t pipes_skipped;	/* pipe targets left out (no MK_ALIAS_PIPES) */
	bool catchall;		/* the catch-all was used */
};

#define MK_ALIAS_PIPES 0x1	/* keep pipe targets in results */

struct mk_aliases;

/* Optional "does this mailbox exist" callback (mini-mta's users): a local
 * address without alias that exists is final before the catch-all applies. */
typedef bool (*mk_alias_exists_fn)(const char *user, const char *domain, void *arg);

/* drop_chars / suffix_seps: NULL means chasquid's defaults "." and "+". */
struct mk_aliases *mk_aliases_new(const char *drop_chars, const char *suffix_seps);
struct mk_aliases *mk_aliases_free(struct mk_aliases *a);
void mk_aliases_set_exists(struct mk_aliases *a, mk_alias_exists_fn fn, void *arg);

/* Declare domain local (aliases looked up, drop/suffix rules applied). 0 / -1. */
int mk_aliases_add_domain(struct mk_aliases *a, const char *domain);
bool mk_aliases_is_local(const struct mk_aliases *a, const char *domain);

/* Parse aliases text (pure: no I/O). domain != NULL: a per-domain file
 * (left sides without '@'); domain == NULL: the full-address variant.
 * name is used in errors: "name:line: why". Entries are added (a left side
 * seen again replaces the earlier one). 0 / -1. */
int mk_aliases_parse(struct mk_aliases *a, const char *domain, const char *buf, size_t len,
    const char *name, char *err, size_t errlen);
/* Read path and parse it; a missing file is not an error (chasquid). */
int mk_aliases_load_file(struct mk_aliases *a, const char *domain, const char *path,
    char *err, size_t errlen);
/* Load dir/<domain>/aliases for every subdirectory <domain> of dir (each
 * becomes a local domain). 0 / -1. */
int mk_aliases_load_dir(struct mk_aliases *a, const char *dir, char *err, size_t errlen);
size_t mk_aliases_count(const struct mk_aliases *a);

/* Expand addr into out (cleared first).  0 with out filled (a non-aliased
 * address yields itself, cleaned); -1 with *why ("alias loop", "recursion
 * limit exceeded", "too many recipients", "bad address"). */
int mk_aliases_resolve(const struct mk_aliases *a, const char *addr, size_t len,
    unsigned flags, struct mk_alias_list *out, const char **why);
/* Did addr expand to something other than itself? */
bool mk_alias_list_is_identity(const struct mk_alias_list *l, const char *addr);
void mk_alias_list_clear(struct mk_alias_list *l);

/* addr without drop characters (before the first separator) and without
 * the suffix, local part lower-cased, into out. 0 / -1 (no fit). */
int mk_aliases_clean(const struct mk_aliases *a, const char *addr, char *out, size_t outsz);

#endif
