/*
 * lib/aliases.c: chasquid-style aliases (see aliases.h for the semantics).
 * The table is a chained hash keyed by "local@domain" with drop characters
 * removed before the first suffix separator (as chasquid stores them).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliases.h"

#define ALIAS_DOMAIN_MAX 255
#define ALIAS_BUCKETS_MIN 64

struct alias_entry {
	char *key;
	size_t n;
	struct mk_alias_rcpt *v;
	struct alias_entry *next;
};

struct mk_aliases {
	char drop[MK_ALIAS_CHARS_MAX + 1];
	char seps[MK_ALIAS_CHARS_MAX + 1];
	size_t nbuckets, nentries;
	struct alias_entry **buckets;
	size_t ndomains, capdomains;
	char **domains;
	mk_alias_exists_fn exists;
	void *exists_arg;
};

struct span {
	const char *p;
	size_t len;
};

static uint64_t
alias_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct mk_aliases *
mk_aliases_new(const char *drop_chars, const char *suffix_seps)
{
	struct mk_aliases *a;

	if (drop_chars == NULL)
		drop_chars = ".";
	if (suffix_seps == NULL)
		suffix_seps = "+";
	if (strlen(drop_chars) > MK_ALIAS_CHARS_MAX || strlen(suffix_seps) > MK_ALIAS_CHARS_MAX)
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	strcpy(a->drop, drop_chars);
	strcpy(a->seps, suffix_seps);
	a->nbuckets = ALIAS_BUCKETS_MIN;
	if ((a->buckets = calloc(a->nbuckets, sizeof(*a->buckets))) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

static void
rcpts_free(struct mk_alias_rcpt *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].value);
		free(v[i].via);
	}
	free(v);
}

struct mk_aliases *
mk_aliases_free(struct mk_aliases *a)
{
	if (a == NULL)
		return NULL;
	for (size_t b = 0; b < a->nbuckets; b++) {
		struct alias_entry *e = a->buckets[b], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			rcpts_free(e->v, e->n);
			free(e->key);
			free(e);
		}
	}
	for (size_t i = 0; i < a->ndomains; i++)
		free(a->domains[i]);
	free(a->domains);
	free(a->buckets);
	free(a);
	return NULL;
}

void
mk_aliases_set_exists(struct mk_aliases *a, mk_alias_exists_fn fn, void *arg)
{
	a->exists = fn;
	a->exists_arg = arg;
}

size_t
mk_aliases_count(const struct mk_aliases *a)
{
	return a->nentries;
}

bool
mk_aliases_is_local(const struct mk_aliases *a, const char *domain)
{
	for (size_t i = 0; i < a->ndomains; i++)
		if (strcasecmp(a->domains[i], domain) == 0)
			return true;
	return false;
}

int
mk_aliases_add_domain(struct mk_aliases *a, const char *domain)
{
	char **nd, *d;
	size_t len = strlen(domain);

	if (len == 0 || len > ALIAS_DOMAIN_MAX)
		return -1;
	if (mk_aliases_is_local(a, domain))
		return 0;
	if (a->ndomains == a->capdomains) {
		size_t cap = a->capdomains ? 2 * a->capdomains : 8;

		if ((nd = realloc(a->domains, cap * sizeof(*nd))) == NULL)
			return -1;
		a->domains = nd;
		a->capdomains = cap;
	}
	if ((d = strdup(domain)) == NULL)
		return -1;
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	a->domains[a->ndomains++] = d;
	return 0;
}

static struct alias_entry *
alias_find(const struct mk_aliases *a, const char *key)
{
	struct alias_entry *e = a->buckets[alias_hash(key) % a->nbuckets];

	for (; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void
alias_grow(struct mk_aliases *a)
{
	size_t nb = a->nbuckets * 2;
	struct alias_entry **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;	/* keep the old table: slower, still correct */
	for (size_t i = 0; i < a->nbuckets; i++) {
		struct alias_entry *e = a->buckets[i], *next;

		for (; e != NULL; e = next) {
			size_t h = alias_hash(e->key) % nb;

			next = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(a->buckets);
	a->buckets = b;
	a->nbuckets = nb;
}

/* Store key -> v (taken); replaces an existing entry. 0 / -1 (v freed). */
static int
alias_put(struct mk_aliases *a, const char *key, struct mk_alias_rcpt *v, size_t n)
{
	struct alias_entry *e = alias_find(a, key);
	size_t h;

	if (e != NULL) {
		rcpts_free(e->v, e->n);
		e->v = v;
		e->n = n;
		return 0;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL || (e->key = strdup(key)) == NULL) {
		free(e);
		rcpts_free(v, n);
		return -1;
	}
	e->v = v;
	e->n = n;
	h = alias_hash(key) % a->nbuckets;
	e->next = a->buckets[h];
	a->buckets[h] = e;
	if (++a->nentries > 2 * a->nbuckets)
		alias_grow(a);
	return 0;
}

/* Split at the last '@': both parts non-empty. 0 / -1. */
static int
addr_split(const char *addr, size_t len, struct span *user, struct span *domain)
{
	for (size_t i = len; i > 0; i--) {
		if (addr[i - 1] != '@')
			continue;
		user->p = addr;
		user->len = i - 1;
		domain->p = addr + i;
		domain->len = len - i;
		return (user->len == 0 || domain->len == 0) ? -1 : 0;
	}
	return -1;
}

/*
 * Build "user@domain" lower-cased into out: drop characters removed before
 * the first suffix separator; with cut, the suffix is removed too.
 */
static int
alias_key(const struct mk_aliases *a, struct span user, struct span domain, bool cut,
    char *out, size_t outsz)
{
	size_t n = 0;
	bool in_suffix = false;

	for (size_t i = 0; i < user.len; i++) {
		char c = user.p[i];

		if (!in_suffix && a->seps[0] != '\0' && strchr(a->seps, c) != NULL && c != '\0') {
			if (cut)
				break;
			in_suffix = true;
		}
		if (!in_suffix && c != '\0' && strchr(a->drop, c) != NULL)
			continue;
		if (n + 1 >= outsz)
			return -1;
		out[n++] = (char)tolower((unsigned char)c);
	}
	if (n == 0 || n + 1 + domain.len + 1 > outsz)
		return -1;
	out[n++] = '@';
	for (size_t i = 0; i < domain.len; i++)
		out[n++] = (char)tolower((unsigned char)domain.p[i]);
	out[n] = '\0';
	return 0;
}

int
mk_aliases_clean(const struct mk_aliases *a, const char *addr, char *out, size_t outsz)
{
	struct span u, d;

	if (addr_split(addr, strlen(addr), &u, &d) == -1)
		return -1;
	return alias_key(a, u, d, true, out, outsz);
}

void
mk_alias_list_clear(struct mk_alias_list *l)
{
	rcpts_free(l->v, l->n);
	memset(l, 0, sizeof(*l));
}

bool
mk_alias_list_is_identity(const struct mk_alias_list *l, const char *addr)
{
	return l->n == 1 && l->v[0].type == MK_ALIAS_EMAIL && strcasecmp(l->v[0].value, addr) == 0;
}


/* ---- parsing ------------------------------------------------------------ */

static struct span
trim(const char *p, size_t len)
{
	struct span s = { p, len };

	while (s.len > 0 && isspace((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && isspace((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

static char *
span_dup_lower(struct span s, bool lower)
{
	char *d = malloc(s.len + 1);

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < s.len; i++)
		d[i] = lower ? (char)tolower((unsigned char)s.p[i]) : s.p[i];
	d[s.len] = '\0';
	return d;
}

static bool
span_has_space(struct span s)
{
	for (size_t i = 0; i < s.len; i++)
		if (isspace((unsigned char)s.p[i]) || s.p[i] == ',' || s.p[i] == ':')
			return true;
	return false;
}

/* One address target: add the default domain when it has no '@'; lower-case. */
static int
parse_addr(struct span s, const char *domain, char **out, const char **why)
{
	char buf[MK_ALIAS_ADDR_MAX + 1];
	struct span u, d;
	int n;

	if (s.len == 0 || span_has_space(s)) {
		*why = "bad address";
		return -1;
	}
	if (memchr(s.p, '@', s.len) == NULL)
		n = snprintf(buf, sizeof(buf), "%.*s@%s", (int)s.len, s.p, domain);
	else
		n = snprintf(buf, sizeof(buf), "%.*s", (int)s.len, s.p);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		*why = "address too long";
		return -1;
	}
	if (addr_split(buf, (size_t)n, &u, &d) == -1) {
		*why = "bad address";
		return -1;
	}
	u.p = buf;
	u.len = (size_t)n;
	if ((*out = span_dup_lower(u, true)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

static int
rcpt_add(struct mk_alias_rcpt **v, size_t *n, size_t *cap, struct mk_alias_rcpt r)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		struct mk_alias_rcpt *nv = realloc(*v, nc * sizeof(*nv));

		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = r;
	return 0;
}

/* One comma-separated target (EMAIL, or FORWARD with " via "). */
static int
parse_target(struct span t, const char *domain, struct mk_alias_rcpt *r, const char **why)
{
	const char *via = NULL;

	memset(r, 0, sizeof(*r));
	r->type = MK_ALIAS_EMAIL;
	for (size_t i = 0; i + 5 <= t.len; i++) {
		if (memcmp(t.p + i, " via ", 5) == 0) {
			via = t.p + i;
			break;
		}
	}
	if (via != NULL) {
		struct span hosts = trim(via + 5, t.len - (size_t)(via - t.p) - 5);

		if (hosts.len == 0 || span_has_space(hosts)) {
			*why = "forward alias without valid hosts after 'via'";
			return -1;
		}
		r->type = MK_ALIAS_FORWARD;
		if ((r->via = span_dup_lower(hosts, true)) == NULL)
			return *why = "out of memory", -1;
		t = trim(t.p, (size_t)(via - t.p));
	}
	if (parse_addr(t, domain, &r->value, why) == -1) {
		free(r->via);
		r->via = NULL;
		return -1;
	}
	return 0;
}

static int
parse_rhs(struct span rhs, const char *domain, struct mk_alias_rcpt **v, size_t *n,
    const char **why)
{
	size_t cap = 0;
	struct mk_alias_rcpt r;

	*v = NULL;
	*n = 0;
	if (rhs.p[0] == '|') {
		struct span cmd = trim(rhs.p + 1, rhs.len - 1);

		if (cmd.len == 0)
			return *why = "the pipe alias is missing a command", -1;
		memset(&r, 0, sizeof(r));
		r.type = MK_ALIAS_PIPE;
		if ((r.value = span_dup_lower(cmd, false)) == NULL ||
		    rcpt_add(v, n, &cap, r) == -1) {
			free(r.value);
			return *why = "out of memory", -1;
		}
		return 0;
	}
	while (rhs.len > 0) {
		const char *comma = memchr(rhs.p, ',', rhs.len);
		size_t tl = comma ? (size_t)(comma - rhs.p) : rhs.len;
		struct span t = trim(rhs.p, tl);

		rhs.p += tl + (comma ? 1 : 0);
		rhs.len -= tl + (comma ? 1 : 0);
		if (t.len == 0)
			continue;	/* "a: b," is fine */
		if (parse_target(t, domain, &r, why) == -1)
			goto fail;
		if (rcpt_add(v, n, &cap, r) == -1) {
			free(r.value);
			free(r.via);
			*why = "out of memory";
			goto fail;
		}
	}
	return 0;
fail:
	rcpts_free(*v, *n);
	*v = NULL;
	*n = 0;
	return -1;
}

/* One non-comment line. */
static int
parse_line(struct mk_aliases *a, const char *domain, struct span line, const char **why)
{
	const char *colon = memchr(line.p, ':', line.len);
	char key[MK_ALIAS_ADDR_MAX + 1], dom[ALIAS_DOMAIN_MAX + 1];
	struct span lhs, rhs, user, d;
	struct mk_alias_rcpt *v;
	size_t n;

	if (colon == NULL)
		return *why = "missing ':' in line", -1;
	lhs = trim(line.p, (size_t)(colon - line.p));
	rhs = trim(colon + 1, line.len - (size_t)(colon - line.p) - 1);
	if (lhs.len == 0 || rhs.len == 0)
		return *why = "missing address or alias", -1;
	if (domain != NULL) {
		if (memchr(lhs.p, '@', lhs.len) != NULL)
			return *why = "left side cannot contain '@'", -1;
		user = lhs;
		d.p = domain;
		d.len = strlen(domain);
	} else if (addr_split(lhs.p, lhs.len, &user, &d) == -1) {
		return *why = "left side must be user@domain", -1;
	}
	if (d.len > ALIAS_DOMAIN_MAX)
		return *why = "domain too long", -1;
	for (size_t i = 0; i < d.len; i++)
		dom[i] = (char)tolower((unsigned char)d.p[i]);
	dom[d.len] = '\0';
	if (user.len == 1 && user.p[0] == '*') {
		if (snprintf(key, sizeof(key), "*@%s", dom) >= (int)sizeof(key))
			return *why = "address too long", -1;
	} else if (alias_key(a, user, d, false, key, sizeof(key)) == -1) {
		return *why = "bad or too long left side", -1;
	}
	if (domain == NULL && mk_aliases_add_domain(a, dom) == -1)
		return *why = "out of memory", -1;
	if (parse_rhs(rhs, dom, &v, &n, why) == -1)
		return -1;
	if (n == 0) {
		free(v);
		return 0;	/* "a: ," aliases nothing, like chasquid */
	}
	if (alias_put(a, key, v, n) == -1)
		return *why = "out of memory", -1;
	return 0;
}

int
mk_aliases_parse(struct mk_aliases *a, const char *domain, const char *buf, size_t len,
    const char *name, char *err, size_t errlen)
{
	size_t i = 0, lineno = 0;
	const char *why = NULL;

	if (domain != NULL && mk_aliases_add_domain(a, domain) == -1) {
		snprintf(err, errlen, "%s: bad domain", name);
		return -1;
	}
	while (i < len) {
		size_t start = i;
		struct span line;

		lineno++;
		while (i < len && buf[i] != '\n')
			i++;
		if (i - start > MK_ALIAS_LINE_MAX) {
			why = "line too long";
			goto fail;
		}
		if (memchr(buf + start, '\0', i - start) != NULL) {
			why = "NUL byte in line";
			goto fail;
		}
		line = trim(buf + start, i - start);
		if (i < len)
			i++;
		if (line.len == 0 || line.p[0] == '#')
			continue;
		if (parse_line(a, domain, line, &why) == -1)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s:%zu: %s", name, lineno, why);
	return -1;
}

int
mk_aliases_load_file(struct mk_aliases *a, const char *domain, const char *path, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc = -1;

	if (domain != NULL && mk_aliases_add_domain(a, domain) == -1) {
		snprintf(err, errlen, "%s: bad domain %s", path, domain);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > MK_ALIAS_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file or too large", path);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	rc = mk_aliases_parse(a, domain, buf, got, path, err, errlen);
fail:
	free(buf);
	close(fd);
	return rc;
}

int
mk_aliases_load_dir(struct mk_aliases *a, const char *dir, char *err, size_t errlen)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/aliases", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		rc = mk_aliases_load_file(a, de->d_name, path, err, errlen);
	}
	closedir(d);
	return rc;
}

/* ---- resolution --------------------------------------------------------- */

struct resolve_ctx {
	const struct mk_aliases *a;
	unsigned flags;
	struct mk_alias_list *out;
	size_t steps;
	const char *why;
	char stack[MK_ALIAS_DEPTH_MAX][MK_ALIAS_ADDR_MAX + 1];
};

static int
emit(struct resolve_ctx *c, enum mk_alias_type type, const char *value, const char *via)
{
	struct mk_alias_list *l = c->out;
	struct mk_alias_rcpt r = { type, NULL, NULL };

	if (type == MK_ALIAS_PIPE && !(c->flags & MK_ALIAS_PIPES)) {
		l->pipes_skipped++;
		return 0;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == type && strcasecmp(l->v[i].value, value) == 0)
			return 0;
	if (l->n >= MK_ALIAS_RCPTS_MAX)
		return c->why = "too many recipients", -1;
	if ((r.value = strdup(value)) == NULL ||
	    (via != NULL && (r.via = strdup(via)) == NULL) ||
	    rcpt_add(&l->v, &l->n, &l->cap, r) == -1) {
		free(r.value);
		free(r.via);
		return c->why = "out of memory", -1;
	}
	return 0;
}

static int resolve(struct resolve_ctx *c, int depth, const char *addr, bool from_catchall);

/* Expand the targets of entry e found for the address cur (user: original user). */
static int
expand(struct resolve_ctx *c, int depth, const struct alias_entry *e, struct span user,
    bool catchall)
{
	char buf[MK_ALIAS_ADDR_MAX + 1];

	for (size_t i = 0; i < e->n; i++) {
		const struct mk_alias_rcpt *r = &e->v[i];
		const char *target = r->value;

		if (r->type == MK_ALIAS_PIPE) {
			if (emit(c, MK_ALIAS_PIPE, r->value, NULL) == -1)
				return -1;
			continue;
		}
		if (strncmp(target, "*@", 2) == 0) {
			if (snprintf(buf, sizeof(buf), "%.*s%s", (int)user.len, user.p, target + 1)
			    >= (int)sizeof(buf))
				return c->why = "address too long", -1;
			target = buf;
		}
		if (r->type == MK_ALIAS_FORWARD) {
			if (emit(c, MK_ALIAS_FORWARD, target, r->via) == -1)
				return -1;
			continue;
		}
		if (resolve(c, depth + 1, target, catchall) == -1)
			return -1;
	}
	return 0;
}

/* cur is on the expansion stack: self-reference is a mailbox, a cycle an error. */
static int
check_cycle(struct resolve_ctx *c, int depth, const char *cur)
{
	for (int i = 0; i < depth; i++) {
		if (strcmp(c->stack[i], cur) != 0)
			continue;
		if (i == depth - 1)
			return 1;
		c->why = "alias loop";
		return -1;
	}
	return 0;
}

static bool
user_exists(const struct mk_aliases *a, const char *cur, const char *dom)
{
	char u[MK_ALIAS_ADDR_MAX + 1];
	const char *at = strrchr(cur, '@');

	if (a->exists == NULL || at == NULL)
		return false;
	memcpy(u, cur, (size_t)(at - cur));
	u[at - cur] = '\0';
	return a->exists(u, dom, a->exists_arg);
}

static int
resolve(struct resolve_ctx *c, int depth, const char *addr, bool from_catchall)
{
	char cur[MK_ALIAS_ADDR_MAX + 1], dom[ALIAS_DOMAIN_MAX + 1];
	const struct alias_entry *e;
	struct span user, d;
	bool catchall = false;
	int cyc;

	if (depth >= MK_ALIAS_DEPTH_MAX)
		return c->why = "recursion limit exceeded", -1;
	if (++c->steps > MK_ALIAS_STEPS_MAX)
		return c->why = "too many lookups", -1;
	if (addr_split(addr, strlen(addr), &user, &d) == -1 || d.len > ALIAS_DOMAIN_MAX)
		return c->why = "bad address", -1;
	memcpy(dom, d.p, d.len);
	dom[d.len] = '\0';
	if (!mk_aliases_is_local(c->a, dom))
		return emit(c, MK_ALIAS_EMAIL, addr, NULL);
	if (alias_key(c->a, user, d, false, cur, sizeof(cur)) == -1)
		return c->why = "bad address", -1;
	if ((e = alias_find(c->a, cur)) == NULL) {
		if (alias_key(c->a, user, d, true, cur, sizeof(cur)) == -1)
			return c->why = "bad address", -1;
		e = alias_find(c->a, cur);
	}
	if (e == NULL) {
		char star[ALIAS_DOMAIN_MAX + 3];

		if (from_catchall || user_exists(c->a, cur, dom))
			return emit(c, MK_ALIAS_EMAIL, cur, NULL);
		snprintf(star, sizeof(star), "*@%s", dom);
		for (char *p = star; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if ((e = alias_find(c->a, star)) == NULL)
			return emit(c, MK_ALIAS_EMAIL, cur, NULL);
		catchall = c->out->catchall = true;
	}
	if ((cyc = check_cycle(c, depth, cur)) != 0)
		return cyc == 1 ? emit(c, MK_ALIAS_EMAIL, cur, NULL) : -1;
	memcpy(c->stack[depth], cur, strlen(cur) + 1);
	return expand(c, depth, e, user, catchall);
}

int
mk_aliases_resolve(const struct mk_aliases *a, const char *addr, size_t len, unsigned flags,
    struct mk_alias_list *out, const char **why)
{
	struct resolve_ctx *c;
	char buf[MK_ALIAS_ADDR_MAX + 1];
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > MK_ALIAS_ADDR_MAX || memchr(addr, '\0', len) != NULL) {
		*why = "bad address";
		return -1;
	}
	memcpy(buf, addr, len);
	buf[len] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*why = "out of memory";
		return -1;
	}
	c->a = a;
	c->flags = flags;
	c->out = out;
	rc = resolve(c, 0, buf, false);
	if (rc == -1) {
		*why = c->why;
		mk_alias_list_clear(out);
	}
	free(c);
	return rc;
}
