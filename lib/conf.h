/*
 * lib/conf.h: "Key value" configuration files, table driven.
 *
 * Syntax (a superset of opendkim.conf, opendmarc.conf and policyd-spf.conf):
 *   - one setting per line: "Key value" or "Key = value" (policyd-spf.conf);
 *   - keys are case-insensitive; '#' starts a comment outside quotes;
 *   - a value may be "double quoted" (\" and \\ escapes) to keep spaces/#;
 *   - lists: comma- and/or whitespace-separated items (mk_conf_list);
 *   - "include PATH" (or "Include") reads another file at that point
 *     (relative paths are relative to the including file; depth <= 8,
 *     loops detected);
 *   - a line longer than MK_CONF_LINE_MAX, a NUL byte (or another control
 *     character than TAB), an unterminated quote is an error naming
 *     file:line; so is a file larger than MK_CONF_FILE_MAX, an include of
 *     something that is not a regular file, or more than
 *     MK_CONF_FILES_MAX files in one load;
 *   - a value may not be empty, except for a LIST (an empty list) or when
 *     written "" (an empty STR).
 * Later settings of the same key override earlier ones (except LIST keys
 * declared with MK_CONF_F_APPEND, whose items accumulate).
 * Unknown keys are warnings naming file:line (reported through the warn
 * callback), so an existing OpenDKIM/OpenDMARC/policyd-spf config loads.
 * Bad values (type, range, validator) are errors naming file:line.
 */
#ifndef MK_CONF_H
#define MK_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define MK_CONF_LINE_MAX 4096  /* bytes in one logical line */
#define MK_CONF_INCLUDE_MAX 8  /* include nesting depth */
#define MK_CONF_ERR_MAX 512    /* size for error buffers */
#define MK_CONF_FILE_MAX (1024 * 1024) /* bytes in one file (or buffer) */
#define MK_CONF_FILES_MAX 64   /* files read by one load, includes counted */

enum mk_conf_type {
	MK_CONF_STR,   /* any string */
	MK_CONF_INT,   /* decimal long within [min, max] */
	MK_CONF_BOOL,  /* yes/no, true/false, on/off, 1/0, and the letters y/n, t/f
			  (case-insensitive; OpenDMARC/OpenDKIM configs) */
	MK_CONF_LIST,  /* list of strings */
	MK_CONF_DURATION, /* integer seconds, optional suffix s, m, h, d, w */
	MK_CONF_SIZE,  /* integer bytes, optional suffix k, m, g (powers of 1024) */
};

#define MK_CONF_F_APPEND 0x1	/* LIST: repeated keys add items */
#define MK_CONF_F_IGNORED 0x2	/* known (from a peer's config), accepted, not used:
				 * not checked, not stored, not dumped; logged at info */

struct mk_conf_key {
	const char *name;	/* canonical name; matched case-insensitively */
	enum mk_conf_type type;
	const char *defval;	/* default as config text, or NULL (unset) */
	long min, max;		/* INT/DURATION/SIZE bounds; both 0 = unbounded */
	/* optional extra check of the value (of each item for a LIST) once
	 * unquoted; 0 ok, -1 with err filled (the caller adds file:line) */
	int (*validate)(const char *value, char *err, size_t errlen);
	unsigned flags;
	const char *alias;	/* optional other name for the same key (e.g. "Nameservers" for "Resolver") */
};
/* A table ends with an entry whose name is NULL. */

struct mk_conf;

/* Called for each warning (unknown key...), with "file:line: message". */
typedef void (*mk_conf_warn_fn)(const char *msg, void *arg);

/* Load path against table. On error returns NULL and writes "file:line: why" into err. */
struct mk_conf *mk_conf_load(const char *path, const struct mk_conf_key *table,
    mk_conf_warn_fn warn, void *warn_arg, char *err, size_t errlen);
/* Same, from memory (name is used in messages; include is resolved relative
 * to cwd). warn NULL logs warnings with mk_log_warn(). A bad defval in the
 * table is a programming error (mk_panic). */
struct mk_conf *mk_conf_parse(const char *buf, size_t len, const char *name,
    const struct mk_conf_key *table, mk_conf_warn_fn warn, void *warn_arg,
    char *err, size_t errlen);
/* Returns NULL. */
struct mk_conf *mk_conf_free(struct mk_conf *conf);

/* Typed getters; key is the canonical name (aliases resolve to it). Values
 * of keys not set in the file come from defval. Getting a key of another
 * type or not in the table is a programming error (mk_panic). */
bool mk_conf_is_set(const struct mk_conf *conf, const char *key); /* set in a file, not default */
const char *mk_conf_str(const struct mk_conf *conf, const char *key); /* NULL if unset, no default */
long mk_conf_int(const struct mk_conf *conf, const char *key);   /* INT, DURATION, SIZE; 0 if unset */
bool mk_conf_bool(const struct mk_conf *conf, const char *key);
/* LIST: number of items; *items points to a NULL-terminated array owned by conf. */
size_t mk_conf_list(const struct mk_conf *conf, const char *key, const char *const **items);
/* "file:line" where key was set, or "default". Owned by conf. */
const char *mk_conf_where(const struct mk_conf *conf, const char *key);

/* Print the effective configuration ("Key value" lines, all keys) to fp (for -n).
 * The output parses back to the same values: values are quoted when needed,
 * numbers are printed plain (seconds, bytes), an unset STR is a comment. */
void mk_conf_dump(const struct mk_conf *conf, FILE *fp);

/* Helpers shared by validators and callers. */
int mk_conf_parse_bool(const char *s, bool *out);		/* 0 / -1 */
int mk_conf_parse_long(const char *s, long *out);		/* 0 / -1 */
int mk_conf_parse_duration(const char *s, long *seconds);	/* 0 / -1 */
int mk_conf_parse_size(const char *s, long *bytes);		/* 0 / -1 */

#endif
