/*
 * forwarder/fwd_conf.c: forward.conf table and the reloadable state.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/dns.h"
#include "lib/log.h"
#include "lib/milter.h"
#include "forwarder/fwd_conf.h"

#define FWD_DOMAINS_FILE_MAX (16L * 1024 * 1024)

static int
v_days(const char *v, char *err, size_t errlen)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno == 0 && end != v && (*end == '\0' || strcasecmp(end, "d") == 0 ||
	    strcasecmp(end, "w") == 0)) {
		if (strcasecmp(end, "w") == 0)
			n *= 7;
		if (n >= 1 && n < MK_SRS_TIME_SLOTS)
			return 0;
	}
	snprintf(err, errlen, "SRSMaxAge must be a number of days (1..1023), optionally with d or w");
	return -1;
}

static long
days_of(const char *v)
{
	long n = strtol(v, NULL, 10);
	size_t len = strlen(v);

	return (len > 0 && tolower((unsigned char)v[len - 1]) == 'w') ? n * 7 : n;
}

static int
v_sep(const char *v, char *err, size_t errlen)
{
	if (strlen(v) == 1 && strchr("=+-", v[0]) != NULL)
		return 0;
	snprintf(err, errlen, "SRSSeparator must be one of = + -");
	return -1;
}

static int
v_chars(const char *v, char *err, size_t errlen)
{
	if (strlen(v) <= MK_ALIAS_CHARS_MAX && strchr(v, '@') == NULL)
		return 0;
	snprintf(err, errlen, "at most %d characters, not '@'", MK_ALIAS_CHARS_MAX);
	return -1;
}

static int
v_socket(const char *v, char *err, size_t errlen)
{
	if (strncmp(v, "unix:", 5) == 0 || strncmp(v, "local:", 6) == 0 ||
	    strncmp(v, "inet:", 5) == 0 || strncmp(v, "inet6:", 6) == 0)
		return 0;
	snprintf(err, errlen, "socket must be unix:/path, inet:PORT@HOST or inet6:PORT@HOST");
	return -1;
}

static int
v_resolver(const char *v, char *err, size_t errlen)
{
	return mk_dns_resolver_valid(v, err, errlen);
}

static int
v_level(const char *v, char *err, size_t errlen)
{
	if (mk_log_level_parse(v) >= 0)
		return 0;
	snprintf(err, errlen, "LogLevel must be err, warn, notice, info or debug");
	return -1;
}

#define SOCK(n, d) { n, MK_CONF_STR, d, 0, 0, v_socket, 0, NULL }

static const struct mk_conf_key fwd_table[] = {
	SOCK("Socket", "inet:10003@127.0.0.1"),
	SOCK("TCPForwardSocket", NULL),
	SOCK("TCPReverseSocket", NULL),
	SOCK("TCPAliasSocket", NULL),
	SOCK("Milter", NULL),
	{ "MilterEngine", MK_CONF_STR, "own", 0, 0, mk_milter_engine_valid, 0, NULL },
	{ "SRSDomain", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "SRSSecrets", MK_CONF_STR, "/etc/postsrsd.secret", 0, 0, NULL, 0, NULL },
	{ "SRSHashLength", MK_CONF_INT, "4", MK_SRS_HASH_LEN_MIN, MK_SRS_HASH_LEN_MAX, NULL, 0, NULL },
	{ "SRSHashMin", MK_CONF_INT, "0", 0, MK_SRS_HASH_LEN_MAX, NULL, 0, NULL },
	{ "SRSMaxAge", MK_CONF_STR, "21", 0, 0, v_days, 0, NULL },
	{ "SRSSeparator", MK_CONF_STR, "=", 0, 0, v_sep, 0, NULL },
	{ "SRSExcludeDomains", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "LocalDomains", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "AliasesDir", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "AliasesFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "DropCharacters", MK_CONF_STR, ".", 0, 0, v_chars, 0, NULL },
	{ "SuffixSeparators", MK_CONF_STR, "+", 0, 0, v_chars, 0, NULL },
	{ "Resolver", MK_CONF_STR, "system", 0, 0, v_resolver, 0, "Nameservers" },
	{ "UserID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "PidFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "LogLevel", MK_CONF_STR, "info", 0, 0, v_level, 0, NULL },
	{ "MaxConnections", MK_CONF_INT, "256", 1, 100000, NULL, 0, NULL },
	{ "IdleTimeout", MK_CONF_DURATION, "300", 1, 86400, NULL, 0, NULL },
	{ "ReloadInterval", MK_CONF_DURATION, "1", 0, 3600, NULL, 0, NULL },
	{ NULL, MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
};

const struct mk_conf_key *
fwd_conf_table(void)
{
	return fwd_table;
}

static void
conf_warn(const char *msg, void *arg)
{
	(void)arg;
	mk_log_warn(NULL, "%s", msg);
}

/* ---- watched files ---- */

static void
watch_stat(struct fwd_watch *w)
{
	struct stat st;

	w->exists = stat(w->path, &st) == 0;
	if (!w->exists)
		return;
	w->ino = st.st_ino;
	w->size = st.st_size;
	w->mtime = st.st_mtim;
}

static int
watch_add(struct fwd_state *s, const char *path)
{
	struct fwd_watch *nw = realloc(s->watch, (s->nwatch + 1) * sizeof(*nw));

	if (nw == NULL)
		return -1;
	s->watch = nw;
	memset(&nw[s->nwatch], 0, sizeof(nw[0]));
	if ((nw[s->nwatch].path = strdup(path)) == NULL)
		return -1;
	watch_stat(&nw[s->nwatch++]);
	return 0;
}

bool
fwd_state_changed(const struct fwd_state *s)
{
	for (size_t i = 0; i < s->nwatch; i++) {
		struct fwd_watch now = { .path = s->watch[i].path };

		watch_stat(&now);
		if (now.exists != s->watch[i].exists)
			return true;
		if (now.exists && (now.ino != s->watch[i].ino || now.size != s->watch[i].size ||
		    now.mtime.tv_sec != s->watch[i].mtime.tv_sec ||
		    now.mtime.tv_nsec != s->watch[i].mtime.tv_nsec))
			return true;
	}
	return false;
}

void
fwd_state_rewatch(struct fwd_state *s)
{
	for (size_t i = 0; i < s->nwatch; i++)
		watch_stat(&s->watch[i]);
}

/* ---- domains ---- */

static bool
domain_match(const char *pat, const char *domain)
{
	size_t pl = strlen(pat), dl = strlen(domain);

	if (pat[0] == '.')	/* subdomains only, as postsrsd */
		return dl > pl && strcasecmp(domain + dl - pl, pat) == 0;
	return strcasecmp(pat, domain) == 0;
}

bool
fwd_domain_is_local(const struct fwd_state *s, const char *domain)
{
	return strcasecmp(domain, mk_srs_domain(s->srs)) == 0 ||
	    mk_aliases_is_local(s->aliases, domain);
}

bool
fwd_domain_is_excluded(const struct fwd_state *s, const char *domain)
{
	if (fwd_domain_is_local(s, domain))
		return true;
	for (size_t i = 0; i < s->nexclude; i++)
		if (domain_match(s->exclude[i], domain))
			return true;
	return false;
}

/* A LocalDomains file: one domain a line, '#' comments. */
static int
domains_file(struct fwd_state *s, const char *path, char *err, size_t errlen)
{
	char line[1024];
	size_t lineno = 0;
	FILE *fp = fopen(path, "re");

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *p = line, *e;

		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		for (e = p; *e && !isspace((unsigned char)*e) && *e != '#'; e++)
			;
		*e = '\0';
		if (*p == '\0')
			continue;
		if (mk_aliases_add_domain(s->aliases, p) == -1) {
			snprintf(err, errlen, "%s:%zu: bad domain", path, lineno);
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	return watch_add(s, path);
}

static int
load_domains(struct fwd_state *s, char *err, size_t errlen)
{
	const char *const *items;
	size_t n = mk_conf_list(s->conf, "LocalDomains", &items);

	for (size_t i = 0; i < n; i++) {
		if (items[i][0] == '/') {
			if (domains_file(s, items[i], err, errlen) == -1)
				return -1;
		} else if (mk_aliases_add_domain(s->aliases, items[i]) == -1) {
			snprintf(err, errlen, "%s: LocalDomains: bad domain %s",
			    mk_conf_where(s->conf, "LocalDomains"), items[i]);
			return -1;
		}
	}
	n = mk_conf_list(s->conf, "SRSExcludeDomains", &items);
	if (n > 0 && (s->exclude = calloc(n, sizeof(*s->exclude))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((s->exclude[i] = strdup(items[i])) == NULL)
			return -1;
		s->nexclude++;
	}
	return 0;
}

static int
load_aliases(struct fwd_state *s, char *err, size_t errlen)
{
	const char *dir = mk_conf_str(s->conf, "AliasesDir");
	const char *file = mk_conf_str(s->conf, "AliasesFile");
	char path[4096];
	struct dirent *de;
	DIR *d;

	if (file != NULL && (mk_aliases_load_file(s->aliases, NULL, file, err, errlen) == -1 ||
	    watch_add(s, file) == -1))
		return -1;
	if (dir == NULL)
		return 0;
	if (mk_aliases_load_dir(s->aliases, dir, err, errlen) == -1 || watch_add(s, dir) == -1)
		return -1;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s/aliases", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (mk_aliases_is_local(s->aliases, de->d_name) && watch_add(s, path) == -1)
			break;
	}
	closedir(d);
	return 0;
}

static int
load_srs(struct fwd_state *s, char *err, size_t errlen)
{
	const char *dom = mk_conf_str(s->conf, "SRSDomain");
	const char *sec = mk_conf_str(s->conf, "SRSSecrets");
	long hl = mk_conf_int(s->conf, "SRSHashLength"), hm = mk_conf_int(s->conf, "SRSHashMin");

	if (dom == NULL) {
		snprintf(err, errlen, "%s: SRSDomain is required", s->path);
		return -1;
	}
	if (hm > hl) {
		snprintf(err, errlen, "%s: SRSHashMin %ld is above SRSHashLength %ld",
		    mk_conf_where(s->conf, "SRSHashMin"), hm, hl);
		return -1;
	}
	s->srs = mk_srs_new(dom, (unsigned)hl, (unsigned)hm,
	    (unsigned)days_of(mk_conf_str(s->conf, "SRSMaxAge")),
	    mk_conf_str(s->conf, "SRSSeparator")[0]);
	if (s->srs == NULL) {
		snprintf(err, errlen, "%s: bad SRSDomain %s", mk_conf_where(s->conf, "SRSDomain"), dom);
		return -1;
	}
	if (mk_srs_load_secrets(s->srs, sec, false, err, errlen) == -1)
		return -1;
	return watch_add(s, sec);
}

struct fwd_state *
fwd_state_load(const char *path, char *err, size_t errlen)
{
	struct fwd_state *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((s->conf = mk_conf_load(path, fwd_table, conf_warn, NULL, err, errlen)) == NULL)
		goto fail;
	if (watch_add(s, path) == -1 || load_srs(s, err, errlen) == -1)
		goto fail;
	s->aliases = mk_aliases_new(mk_conf_str(s->conf, "DropCharacters"),
	    mk_conf_str(s->conf, "SuffixSeparators"));
	if (s->aliases == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (load_domains(s, err, errlen) == -1 || load_aliases(s, err, errlen) == -1)
		goto fail;
	return s;
fail:
	fwd_state_free(s);
	return NULL;
}

struct fwd_state *
fwd_state_free(struct fwd_state *s)
{
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < s->nwatch; i++)
		free(s->watch[i].path);
	for (size_t i = 0; i < s->nexclude; i++)
		free(s->exclude[i]);
	free(s->watch);
	free(s->exclude);
	mk_aliases_free(s->aliases);
	mk_srs_free(s->srs);
	mk_conf_free(s->conf);
	free(s->path);
	free(s);
	return NULL;
}
