/*
 * lib/conf.c: "Key value" configuration files, table driven.
 *
 * A file is read whole (at most MK_CONF_FILE_MAX bytes), then parsed line
 * by line into one value slot per table entry.  Nothing here is global:
 * a struct mk_conf is a snapshot that a reload replaces.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define CONF_SHOW_MAX 64	/* bytes of a key or value quoted in a message */
#define CONF_WHY_MAX 256	/* bytes of a reason, before "file:line: " */

struct conf_val {
	bool	set;		/* set in a file (not the default) */
	char	*where;		/* "file:line" when set */
	char	*str;		/* STR */
	long	num;		/* INT, DURATION, SIZE */
	bool	b;		/* BOOL */
	char	**items;	/* LIST, NULL-terminated */
	size_t	nitems;
};

struct mk_conf {
	const struct mk_conf_key *table;
	size_t		nkeys;
	struct conf_val	*vals;
};

struct conf_file_id {
	dev_t	dev;
	ino_t	ino;
};

struct conf_ctx {
	struct mk_conf	*conf;
	mk_conf_warn_fn	warn;
	void		*warn_arg;
	char		*err;
	size_t		errlen;
	int		depth;		/* includes being read */
	int		nfiles;		/* files read by this load */
	int		nstack;		/* files on the include stack */
	struct conf_file_id stack[MK_CONF_INCLUDE_MAX + 1];
};

struct conf_src {
	const char	*name;		/* for messages */
	const char	*dir;		/* for relative includes; NULL = cwd */
	unsigned	line;
};

struct conf_lex {
	const char	*p, *end;
	bool		inq;		/* inside "..." */
	bool		quoted;		/* saw a quote at all */
};

/* Allocation sizes here are bounded by MK_CONF_FILE_MAX. */
static void *
conf_xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL)
		mk_fatal("conf: out of memory");
	return p;
}

static void *
conf_xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		mk_fatal("conf: out of memory");
	if ((p = realloc(old, n * size)) == NULL)
		mk_fatal("conf: out of memory");
	return p;
}

static char *
conf_xstrndup(const char *s, size_t n)
{
	char *p;

	p = conf_xcalloc(1, n + 1);
	memcpy(p, s, n);
	return p;
}

static bool
conf_is_space(int c)
{
	return c == ' ' || c == '\t';
}

static bool
conf_is_keychar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Escape s (len bytes) for a message, bounded. */
static const char *
conf_show(const char *s, size_t len, char *buf, size_t bufsz)
{
	return mk_log_escape(s, len, buf, bufsz);
}

static void __attribute__((format(printf, 3, 4)))
conf_err(struct conf_ctx *ctx, const struct conf_src *src, const char *fmt, ...)
{
	char why[CONF_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (ctx->err == NULL || ctx->errlen == 0)
		return;
	if (src->line > 0)
		snprintf(ctx->err, ctx->errlen, "%s:%u: %s", src->name,
		    src->line, why);
	else
		snprintf(ctx->err, ctx->errlen, "%s: %s", src->name, why);
}

/* ---- values --------------------------------------------------------- */

int
mk_conf_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || conf_is_space(*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
mk_conf_parse_bool(const char *s, bool *out)
{
	static const struct {
		const char	*name;
		bool		 value;
	} words[] = {
		{ "yes", true }, { "no", false },
		{ "true", true }, { "false", false },
		{ "on", true }, { "off", false },
		{ "1", true }, { "0", false },
		/* OpenDMARC/OpenDKIM read only a boolean's first byte, so
		 * their configs carry one-letter values: the exact letters */
		{ "t", true }, { "f", false },
		{ "y", true }, { "n", false },
	};
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcasecmp(s, words[i].name) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return -1;
}

struct conf_unit {
	char	suffix;
	long	mult;
};

/* Non-negative decimal with an optional one-letter unit from units. */
static int
conf_parse_scaled(const char *s, const struct conf_unit *units, size_t nunits,
    long *out)
{
	char *end;
	long v, mult = 1;
	size_t i;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	if (*end != '\0') {
		for (i = 0; i < nunits; i++)
			if ((*end | 0x20) == units[i].suffix)
				break;
		if (i == nunits || end[1] != '\0')
			return -1;
		mult = units[i].mult;
	}
	if (v > LONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

int
mk_conf_parse_duration(const char *s, long *seconds)
{
	static const struct conf_unit units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 604800 },
	};

	return conf_parse_scaled(s, units, sizeof(units) / sizeof(units[0]),
	    seconds);
}

int
mk_conf_parse_size(const char *s, long *bytes)
{
	static const struct conf_unit units[] = {
		{ 'k', 1024L }, { 'm', 1024L * 1024 }, { 'g', 1024L * 1024 * 1024 },
	};

	return conf_parse_scaled(s, units, sizeof(units) / sizeof(units[0]),
	    bytes);
}

static void
conf_val_clear(struct conf_val *v)
{
	size_t i;

	free(v->where);
	free(v->str);
	for (i = 0; i < v->nitems; i++)
		free(v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

/*
 * Next logical character of a value: 1 (*c, *quoted set), 0 at the end
 * (end of line or an unquoted '#'), -1 for an unterminated quote.
 */
static int
conf_lex_next(struct conf_lex *lx, char *c, bool *quoted)
{
	char ch;

	for (;;) {
		if (lx->p >= lx->end)
			return lx->inq ? -1 : 0;
		ch = *lx->p++;
		if (!lx->inq) {
			if (ch == '#') {
				lx->p = lx->end;
				return 0;
			}
			if (ch == '"') {
				lx->inq = lx->quoted = true;
				continue;
			}
			*c = ch;
			*quoted = false;
			return 1;
		}
		if (ch == '"') {
			lx->inq = false;
			continue;
		}
		if (ch == '\\' && lx->p < lx->end &&
		    (*lx->p == '"' || *lx->p == '\\'))
			ch = *lx->p++;
		*c = ch;
		*quoted = true;
		return 1;
	}
}

/*
 * The value as one string: quotes removed, trailing unquoted blanks
 * dropped. out has room for end - p + 1 bytes. Returns -1 for an
 * unterminated quote.
 */
static int
conf_value_scalar(const char *p, const char *end, char *out, bool *quoted)
{
	struct conf_lex lx = { p, end, false, false };
	size_t n = 0, keep = 0;
	bool q;
	char c;
	int r;

	while ((r = conf_lex_next(&lx, &c, &q)) == 1) {
		out[n++] = c;
		if (q || !conf_is_space(c))
			keep = n;
	}
	out[keep] = '\0';
	*quoted = lx.quoted;
	return r;
}

/* Split a value into items at unquoted commas and blanks. */
static int
conf_value_items(const char *p, const char *end, char ***itemsp, size_t *np)
{
	struct conf_lex lx = { p, end, false, false };
	char **items = NULL;
	char *cur;
	size_t n = 0, len = 0;
	bool q;
	char c;
	int r;

	cur = conf_xcalloc(1, (size_t)(end - p) + 1);
	for (;;) {
		r = conf_lex_next(&lx, &c, &q);
		if (r == 1 && (q || (c != ',' && !conf_is_space(c)))) {
			cur[len++] = c;
			continue;
		}
		if (len > 0) {
			items = conf_xreallocarray(items, n + 2, sizeof(*items));
			items[n++] = conf_xstrndup(cur, len);
			items[n] = NULL;
			len = 0;
		}
		if (r != 1)
			break;
	}
	free(cur);
	if (items == NULL)
		items = conf_xcalloc(1, sizeof(*items));
	*itemsp = items;
	*np = n;
	if (r == -1) {
		while (n > 0)
			free(items[--n]);
		free(items);
		*itemsp = NULL;
		*np = 0;
		return -1;
	}
	return 0;
}

static int
conf_check_range(const struct mk_conf_key *k, long v, char *why, size_t whylen)
{
	if (k->min == 0 && k->max == 0)
		return 0;
	if (v >= k->min && v <= k->max)
		return 0;
	snprintf(why, whylen, "%ld is out of range [%ld, %ld]", v, k->min,
	    k->max);
	return -1;
}

static int
conf_validate(const struct mk_conf_key *k, const char *s, char *why,
    size_t whylen)
{
	char show[CONF_SHOW_MAX];

	if (k->validate == NULL)
		return 0;
	why[0] = '\0';
	if (k->validate(s, why, whylen) == 0)
		return 0;
	if (why[0] == '\0')
		snprintf(why, whylen, "invalid value \"%s\"",
		    conf_show(s, strlen(s), show, sizeof(show)));
	return -1;
}

/*
 * Convert a value of key k into nv: text is the unquoted scalar (quoted:
 * whether quotes were used), [raw, rawend) the text as written (for
 * lists). On error why says what is wrong.
 */
static int
conf_convert(const struct mk_conf_key *k, struct conf_val *nv, const char *text,
    bool quoted, const char *raw, const char *rawend, char *why, size_t whylen)
{
	char show[CONF_SHOW_MAX];
	size_t i;

	conf_show(text, strlen(text), show, sizeof(show));
	if (*text == '\0' && !quoted && k->type != MK_CONF_LIST) {
		snprintf(why, whylen, "missing value");
		return -1;
	}
	switch (k->type) {
	case MK_CONF_STR:
		if (conf_validate(k, text, why, whylen) == -1)
			return -1;
		nv->str = conf_xstrndup(text, strlen(text));
		return 0;
	case MK_CONF_INT:
		if (mk_conf_parse_long(text, &nv->num) == -1) {
			snprintf(why, whylen, "\"%s\" is not an integer", show);
			return -1;
		}
		break;
	case MK_CONF_DURATION:
		if (mk_conf_parse_duration(text, &nv->num) == -1) {
			snprintf(why, whylen, "\"%s\" is not a duration "
			    "(N[s|m|h|d|w])", show);
			return -1;
		}
		break;
	case MK_CONF_SIZE:
		if (mk_conf_parse_size(text, &nv->num) == -1) {
			snprintf(why, whylen, "\"%s\" is not a size (N[k|m|g])",
			    show);
			return -1;
		}
		break;
	case MK_CONF_BOOL:
		if (mk_conf_parse_bool(text, &nv->b) == -1) {
			snprintf(why, whylen, "\"%s\" is not a boolean "
			    "(yes/no, true/false, on/off, 1/0, y/n, t/f)", show);
			return -1;
		}
		return conf_validate(k, text, why, whylen);
	case MK_CONF_LIST:
		if (conf_value_items(raw, rawend, &nv->items, &nv->nitems) == -1) {
			snprintf(why, whylen, "unterminated quote");
			return -1;
		}
		for (i = 0; i < nv->nitems; i++)
			if (conf_validate(k, nv->items[i], why, whylen) == -1)
				return -1;
		return 0;
	default:
		mk_panic("conf: key %s has bad type %d", k->name, (int)k->type);
	}
	if (conf_check_range(k, nv->num, why, whylen) == -1)
		return -1;
	return conf_validate(k, text, why, whylen);
}

/* Store nv (taken) into v: replace, or append for MK_CONF_F_APPEND lists. */
static void
conf_store(const struct mk_conf_key *k, struct conf_val *v, struct conf_val *nv,
    char *where)
{
	size_t i;

	if (k->type == MK_CONF_LIST && (k->flags & MK_CONF_F_APPEND) && v->set) {
		v->items = conf_xreallocarray(v->items,
		    v->nitems + nv->nitems + 1, sizeof(*v->items));
		for (i = 0; i < nv->nitems; i++)
			v->items[v->nitems++] = nv->items[i];
		v->items[v->nitems] = NULL;
		nv->nitems = 0;
		conf_val_clear(nv);
		free(v->where);
	} else {
		conf_val_clear(v);
		*v = *nv;
		memset(nv, 0, sizeof(*nv));
	}
	v->where = where;
	v->set = where != NULL;
}

static struct mk_conf *
conf_new(const struct mk_conf_key *table)
{
	struct mk_conf *conf;
	struct conf_val nv;
	const struct mk_conf_key *k;
	char why[CONF_WHY_MAX];
	size_t i, len;

	if (table == NULL)
		mk_panic("conf: NULL key table");
	conf = conf_xcalloc(1, sizeof(*conf));
	conf->table = table;
	while (table[conf->nkeys].name != NULL)
		conf->nkeys++;
	conf->vals = conf_xcalloc(conf->nkeys + 1, sizeof(*conf->vals));
	for (i = 0; i < conf->nkeys; i++) {
		k = &table[i];
		if (k->defval == NULL || (k->flags & MK_CONF_F_IGNORED))
			continue;
		memset(&nv, 0, sizeof(nv));
		len = strlen(k->defval);
		if (conf_convert(k, &nv, k->defval, true, k->defval,
		    k->defval + len, why, sizeof(why)) == -1)
			mk_panic("conf: bad default for %s: %s", k->name, why);
		conf_store(k, &conf->vals[i], &nv, NULL);
	}
	return conf;
}

struct mk_conf *
mk_conf_free(struct mk_conf *conf)
{
	size_t i;

	if (conf == NULL)
		return NULL;
	for (i = 0; i < conf->nkeys; i++)
		conf_val_clear(&conf->vals[i]);
	free(conf->vals);
	free(conf);
	return NULL;
}

/* Table index of key (name or alias, any case), or -1. */
static long
conf_lookup(const struct mk_conf_key *table, size_t nkeys, const char *key,
    size_t klen)
{
	const struct mk_conf_key *k;
	size_t i;

	for (i = 0; i < nkeys; i++) {
		k = &table[i];
		if (strlen(k->name) == klen &&
		    strncasecmp(k->name, key, klen) == 0)
			return (long)i;
		if (k->alias != NULL && strlen(k->alias) == klen &&
		    strncasecmp(k->alias, key, klen) == 0)
			return (long)i;
	}
	return -1;
}

/* ---- files ---------------------------------------------------------- */

/* Read a regular file of at most MK_CONF_FILE_MAX bytes. */
static int
conf_read_file(const char *path, char **bufp, size_t *lenp,
    struct conf_file_id *id, char *why, size_t whylen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	ssize_t r;
	int fd;

	/* O_NONBLOCK: never hang on a FIFO or a device someone includes */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto fail;
	}
	if (st.st_size > MK_CONF_FILE_MAX)
		goto toolarge;
	cap = (size_t)st.st_size + 1;
	buf = conf_xcalloc(1, cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > MK_CONF_FILE_MAX)
				goto toolarge;
			cap = cap * 2 > MK_CONF_FILE_MAX + 1 ?
			    MK_CONF_FILE_MAX + 1 : cap * 2;
			buf = conf_xreallocarray(buf, cap + 1, 1);
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(why, whylen, "read: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > MK_CONF_FILE_MAX)
		goto toolarge;
	close(fd);
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	*bufp = buf;
	*lenp = len;
	return 0;

toolarge:
	snprintf(why, whylen, "file too large (> %d bytes)", MK_CONF_FILE_MAX);
fail:
	free(buf);
	close(fd);
	return -1;
}

/* Directory part of path ("." style relative paths give NULL: cwd). */
static char *
conf_dirname(const char *path)
{
	const char *slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return NULL;
	if (slash == path)
		return conf_xstrndup("/", 1);
	return conf_xstrndup(path, (size_t)(slash - path));
}

static int conf_parse_buf(struct conf_ctx *, const char *, size_t,
    const char *, const char *);

static int
conf_include(struct conf_ctx *ctx, const struct conf_src *src, const char *arg)
{
	char path[PATH_MAX], why[CONF_WHY_MAX], show[CONF_SHOW_MAX];
	struct conf_file_id id;
	char *buf = NULL, *dir = NULL;
	size_t len;
	int i, n, rc = -1;

	conf_show(arg, strlen(arg), show, sizeof(show));
	if (*arg == '\0') {
		conf_err(ctx, src, "include: missing file name");
		return -1;
	}
	if (ctx->depth >= MK_CONF_INCLUDE_MAX) {
		conf_err(ctx, src, "include \"%s\": nested too deep (> %d)",
		    show, MK_CONF_INCLUDE_MAX);
		return -1;
	}
	if (ctx->nfiles >= MK_CONF_FILES_MAX) {
		conf_err(ctx, src, "include \"%s\": too many files (> %d)",
		    show, MK_CONF_FILES_MAX);
		return -1;
	}
	if (arg[0] != '/' && src->dir != NULL)
		n = snprintf(path, sizeof(path), "%s/%s", src->dir, arg);
	else
		n = snprintf(path, sizeof(path), "%s", arg);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		conf_err(ctx, src, "include \"%s\": path too long", show);
		return -1;
	}
	if (conf_read_file(path, &buf, &len, &id, why, sizeof(why)) == -1) {
		conf_err(ctx, src, "include \"%s\": %s", show, why);
		return -1;
	}
	for (i = 0; i < ctx->nstack; i++) {
		if (ctx->stack[i].dev == id.dev && ctx->stack[i].ino == id.ino) {
			conf_err(ctx, src, "include \"%s\": include loop", show);
			goto done;
		}
	}
	ctx->nfiles++;
	ctx->stack[ctx->nstack++] = id;
	ctx->depth++;
	dir = conf_dirname(path);
	rc = conf_parse_buf(ctx, buf, len, path, dir);
	ctx->depth--;
	ctx->nstack--;
done:
	free(dir);
	free(buf);
	return rc;
}

static int
conf_set(struct conf_ctx *ctx, const struct conf_src *src, size_t idx,
    const char *text, bool quoted, const char *raw, const char *rawend)
{
	const struct mk_conf_key *k = &ctx->conf->table[idx];
	struct conf_val nv;
	char why[CONF_WHY_MAX];
	char *where;
	int n;

	memset(&nv, 0, sizeof(nv));
	if (conf_convert(k, &nv, text, quoted, raw, rawend, why,
	    sizeof(why)) == -1) {
		conf_val_clear(&nv);
		conf_err(ctx, src, "%s: %s", k->name, why);
		return -1;
	}
	n = snprintf(NULL, 0, "%s:%u", src->name, src->line);
	where = conf_xcalloc(1, (size_t)n + 1);
	snprintf(where, (size_t)n + 1, "%s:%u", src->name, src->line);
	conf_store(k, &ctx->conf->vals[idx], &nv, where);
	return 0;
}

static void
conf_warn(struct conf_ctx *ctx, const struct conf_src *src, const char *key,
    size_t klen)
{
	char msg[MK_CONF_ERR_MAX], show[CONF_SHOW_MAX];

	snprintf(msg, sizeof(msg), "%s:%u: unknown key \"%s\" ignored",
	    src->name, src->line, conf_show(key, klen, show, sizeof(show)));
	if (ctx->warn != NULL)
		ctx->warn(msg, ctx->warn_arg);
	else
		mk_log_warn(NULL, "%s", msg);
}

static int
conf_parse_line(struct conf_ctx *ctx, const struct conf_src *src,
    const char *line, size_t len)
{
	const char *p = line, *end = line + len, *key;
	char text[MK_CONF_LINE_MAX + 1];
	size_t i, klen;
	bool quoted;
	long idx;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0') {
			conf_err(ctx, src, "NUL byte");
			return -1;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			conf_err(ctx, src, "control character 0x%02x", c);
			return -1;
		}
	}
	while (p < end && conf_is_space(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	key = p;
	while (p < end && conf_is_keychar(*p))
		p++;
	klen = (size_t)(p - key);
	if (klen == 0 || (p < end && !conf_is_space(*p) && *p != '=' &&
	    *p != '#')) {
		conf_err(ctx, src, "invalid key");
		return -1;
	}
	while (p < end && conf_is_space(*p))
		p++;
	if (p < end && *p == '=') {
		p++;
		while (p < end && conf_is_space(*p))
			p++;
	}
	if (conf_value_scalar(p, end, text, &quoted) == -1) {
		conf_err(ctx, src, "unterminated quote");
		return -1;
	}
	if (klen == 7 && strncasecmp(key, "include", 7) == 0)
		return conf_include(ctx, src, text);
	idx = conf_lookup(ctx->conf->table, ctx->conf->nkeys, key, klen);
	if (idx == -1) {
		conf_warn(ctx, src, key, klen);
		return 0;
	}
	if (ctx->conf->table[idx].flags & MK_CONF_F_IGNORED) {
		mk_log_info(NULL, "%s:%u: %s is accepted but not used",
		    src->name, src->line, ctx->conf->table[idx].name);
		return 0;
	}
	return conf_set(ctx, src, (size_t)idx, text, quoted, p, end);
}

static int
conf_parse_buf(struct conf_ctx *ctx, const char *buf, size_t len,
    const char *name, const char *dir)
{
	struct conf_src src = { name, dir, 0 };
	const char *p = buf, *end = buf + len, *nl;
	size_t n;

	if (len > MK_CONF_FILE_MAX) {
		conf_err(ctx, &src, "file too large (> %d bytes)",
		    MK_CONF_FILE_MAX);
		return -1;
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;		/* UTF-8 byte order mark */
	while (p < end) {
		src.line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > MK_CONF_LINE_MAX) {
			conf_err(ctx, &src, "line too long (> %d bytes)",
			    MK_CONF_LINE_MAX);
			return -1;
		}
		if (conf_parse_line(ctx, &src, p, n) == -1)
			return -1;
		p = nl != NULL ? nl + 1 : end;
	}
	return 0;
}

struct mk_conf *
mk_conf_parse(const char *buf, size_t len, const char *name,
    const struct mk_conf_key *table, mk_conf_warn_fn warn, void *warn_arg,
    char *err, size_t errlen)
{
	struct conf_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.conf = conf_new(table);
	ctx.warn = warn;
	ctx.warn_arg = warn_arg;
	ctx.err = err;
	ctx.errlen = errlen;
	ctx.nfiles = 1;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (buf == NULL)
		len = 0;
	if (conf_parse_buf(&ctx, buf != NULL ? buf : "", len,
	    name != NULL ? name : "(config)", NULL) == -1)
		return mk_conf_free(ctx.conf);
	return ctx.conf;
}

struct mk_conf *
mk_conf_load(const char *path, const struct mk_conf_key *table,
    mk_conf_warn_fn warn, void *warn_arg, char *err, size_t errlen)
{
	struct conf_ctx ctx;
	struct conf_src src = { path, NULL, 0 };
	char why[CONF_WHY_MAX];
	char *buf = NULL, *dir = NULL;
	size_t len;

	memset(&ctx, 0, sizeof(ctx));
	ctx.conf = conf_new(table);
	ctx.warn = warn;
	ctx.warn_arg = warn_arg;
	ctx.err = err;
	ctx.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (conf_read_file(path, &buf, &len, &ctx.stack[0], why,
	    sizeof(why)) == -1) {
		conf_err(&ctx, &src, "%s", why);
		goto fail;
	}
	ctx.nstack = 1;
	ctx.nfiles = 1;
	dir = conf_dirname(path);
	if (conf_parse_buf(&ctx, buf, len, path, dir) == -1)
		goto fail;
	free(dir);
	free(buf);
	return ctx.conf;

fail:
	free(dir);
	free(buf);
	return mk_conf_free(ctx.conf);
}

/* ---- getters -------------------------------------------------------- */

static const struct conf_val *
conf_get(const struct mk_conf *conf, const char *key, unsigned types,
    const char *fn, const struct mk_conf_key **kp)
{
	long idx;

	if (conf == NULL || key == NULL)
		mk_panic("%s: NULL argument", fn);
	idx = conf_lookup(conf->table, conf->nkeys, key, strlen(key));
	if (idx == -1)
		mk_panic("%s: key %s is not in the table", fn, key);
	if (types != 0 && !(types & (1u << conf->table[idx].type)))
		mk_panic("%s: key %s has another type", fn, key);
	if (kp != NULL)
		*kp = &conf->table[idx];
	return &conf->vals[idx];
}

bool
mk_conf_is_set(const struct mk_conf *conf, const char *key)
{
	return conf_get(conf, key, 0, __func__, NULL)->set;
}

const char *
mk_conf_where(const struct mk_conf *conf, const char *key)
{
	const struct conf_val *v = conf_get(conf, key, 0, __func__, NULL);

	return v->set ? v->where : "default";
}

const char *
mk_conf_str(const struct mk_conf *conf, const char *key)
{
	return conf_get(conf, key, 1u << MK_CONF_STR, __func__, NULL)->str;
}

long
mk_conf_int(const struct mk_conf *conf, const char *key)
{
	return conf_get(conf, key, (1u << MK_CONF_INT) |
	    (1u << MK_CONF_DURATION) | (1u << MK_CONF_SIZE), __func__,
	    NULL)->num;
}

bool
mk_conf_bool(const struct mk_conf *conf, const char *key)
{
	return conf_get(conf, key, 1u << MK_CONF_BOOL, __func__, NULL)->b;
}

size_t
mk_conf_list(const struct mk_conf *conf, const char *key,
    const char *const **items)
{
	static const char *const empty[] = { NULL };
	const struct conf_val *v;

	v = conf_get(conf, key, 1u << MK_CONF_LIST, __func__, NULL);
	if (items != NULL)
		*items = v->items != NULL ? (const char *const *)v->items :
		    empty;
	return v->nitems;
}

/* ---- dump ----------------------------------------------------------- */

static bool
conf_needs_quote(const char *s, bool is_list)
{
	size_t len = strlen(s);

	if (len == 0 || s[0] == '=' || conf_is_space(s[0]) ||
	    conf_is_space(s[len - 1]))
		return true;
	if (strpbrk(s, "#\"") != NULL)
		return true;
	return is_list && strpbrk(s, ", \t") != NULL;
}

static void
conf_dump_value(FILE *fp, const char *s, bool is_list)
{
	if (!conf_needs_quote(s, is_list)) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
conf_dump_list(FILE *fp, const struct mk_conf_key *k, const struct conf_val *v)
{
	size_t i;

	/* repeated lines for appending lists keep each line short */
	if ((k->flags & MK_CONF_F_APPEND) && v->nitems > 0) {
		for (i = 0; i < v->nitems; i++) {
			fprintf(fp, "%s ", k->name);
			conf_dump_value(fp, v->items[i], true);
			fputc('\n', fp);
		}
		return;
	}
	fputs(k->name, fp);
	for (i = 0; i < v->nitems; i++) {
		fputc(i == 0 ? ' ' : ',', fp);
		conf_dump_value(fp, v->items[i], true);
	}
	fputc('\n', fp);
}

void
mk_conf_dump(const struct mk_conf *conf, FILE *fp)
{
	const struct mk_conf_key *k;
	const struct conf_val *v;
	size_t i;

	for (i = 0; i < conf->nkeys; i++) {
		k = &conf->table[i];
		v = &conf->vals[i];
		if (k->flags & MK_CONF_F_IGNORED)
			continue;
		switch (k->type) {
		case MK_CONF_STR:
			if (v->str == NULL) {
				fprintf(fp, "# %s (unset)\n", k->name);
				break;
			}
			fprintf(fp, "%s ", k->name);
			conf_dump_value(fp, v->str, false);
			fputc('\n', fp);
			break;
		case MK_CONF_INT:
		case MK_CONF_DURATION:
		case MK_CONF_SIZE:
			fprintf(fp, "%s %ld\n", k->name, v->num);
			break;
		case MK_CONF_BOOL:
			fprintf(fp, "%s %s\n", k->name, v->b ? "yes" : "no");
			break;
		case MK_CONF_LIST:
			conf_dump_list(fp, k, v);
			break;
		}
	}
}
