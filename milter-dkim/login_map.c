/*
 * milter-dkim/login_map.c: SenderLoginMap.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter-dkim/login_map.h"

#define LOGIN_MAP_LINE_MAX 4096
#define LOGIN_MAP_SENDERS_MAX 64	/* senders on one line */

struct login_entry {
	char *login;
	char **sender;
	size_t nsenders;
};

struct dkim_login_map {
	struct login_entry *e;
	size_t n;
};

struct dkim_login_map *
dkim_login_map_free(struct dkim_login_map *m)
{
	size_t i, j;

	if (m == NULL)
		return NULL;
	for (i = 0; i < m->n; i++) {
		for (j = 0; j < m->e[i].nsenders; j++)
			free(m->e[i].sender[j]);
		free(m->e[i].sender);
		free(m->e[i].login);
	}
	free(m->e);
	free(m);
	return NULL;
}

static int
map_line(struct dkim_login_map *m, char *line, const char *path, unsigned lineno,
    char *err, size_t errlen)
{
	struct login_entry *ne, *e;
	char *tok, *save = NULL;

	if ((tok = strtok_r(line, " \t\r\n,", &save)) == NULL)
		return 0;
	if ((ne = realloc(m->e, (m->n + 1) * sizeof(*ne))) == NULL)
		goto oom;
	m->e = ne;
	e = &m->e[m->n];
	memset(e, 0, sizeof(*e));
	m->n++;
	if ((e->login = strdup(tok)) == NULL ||
	    (e->sender = calloc(LOGIN_MAP_SENDERS_MAX, sizeof(char *))) == NULL)
		goto oom;
	while ((tok = strtok_r(NULL, " \t\r\n,", &save)) != NULL) {
		if (e->nsenders >= LOGIN_MAP_SENDERS_MAX) {
			snprintf(err, errlen, "%s:%u: more than %d senders", path, lineno,
			    LOGIN_MAP_SENDERS_MAX);
			return -1;
		}
		if ((e->sender[e->nsenders] = strdup(tok)) == NULL)
			goto oom;
		e->nsenders++;
	}
	if (e->nsenders == 0) {
		snprintf(err, errlen, "%s:%u: want \"LOGIN SENDER [SENDER...]\"", path, lineno);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s:%u: out of memory", path, lineno);
	return -1;
}

struct dkim_login_map *
dkim_login_map_load(const char *path, char *err, size_t errlen)
{
	struct dkim_login_map *m;
	char line[LOGIN_MAP_LINE_MAX + 2], *hash;
	unsigned lineno = 0;
	FILE *fp;

	if (strncmp(path, "file:", 5) == 0)
		path += 5;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(fp);
		return NULL;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strlen(line) > LOGIN_MAP_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto fail;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if (map_line(m, line, path, lineno, err, errlen) == -1)
			goto fail;
	}
	fclose(fp);
	return m;
fail:
	fclose(fp);
	return dkim_login_map_free(m);
}

static bool
sender_match(const char *s, const char *local, const char *domain)
{
	const char *at;
	size_t ll;

	if (strcmp(s, "*") == 0)
		return true;
	if ((at = strrchr(s, '@')) == NULL)
		return strcasecmp(s, domain) == 0;
	if (strcasecmp(at + 1, domain) != 0)
		return false;
	if (at == s)
		return true;	/* "@domain" */
	ll = (size_t)(at - s);
	return strlen(local) == ll && strncasecmp(s, local, ll) == 0;
}

bool
dkim_login_may_send(const struct dkim_login_map *m, const char *login, const char *local,
    const char *domain, bool *no_domain)
{
	const char *at;
	size_t i, j;

	*no_domain = false;
	for (i = 0; m != NULL && i < m->n; i++) {
		if (strcasecmp(m->e[i].login, login) != 0)
			continue;
		for (j = 0; j < m->e[i].nsenders; j++)
			if (sender_match(m->e[i].sender[j], local, domain))
				return true;
		return false;
	}
	if ((at = strrchr(login, '@')) == NULL || at[1] == '\0') {
		*no_domain = true;
		return false;
	}
	return strcasecmp(at + 1, domain) == 0;
}
