/*
 * milter-dkim/hosts.c: host lists (InternalHosts, ExternalIgnoreList).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter-dkim/hosts.h"

#define HOSTS_ENTRY_MAX 256	/* bytes of one entry */
#define HOSTS_FILE_LINE_MAX 4096

struct host_entry {
	bool neg;
	int family;		/* AF_INET, AF_INET6, or 0 for a name */
	unsigned char addr[16];
	unsigned prefix;
	char *name;		/* lower case; leading '.' = suffix */
};

struct dkim_hosts {
	size_t n, cap;
	struct host_entry *e;
};

static int
parse_entry(const char *s, struct host_entry *e, const char **why)
{
	char buf[HOSTS_ENTRY_MAX + 1], *slash, *end;
	size_t len = strlen(s), i;
	long pfx;

	memset(e, 0, sizeof(*e));
	if (*s == '!') {
		e->neg = true;
		s++;
		len--;
	}
	if (len == 0 || len > HOSTS_ENTRY_MAX) {
		*why = len == 0 ? "empty entry" : "entry too long";
		return -1;
	}
	memcpy(buf, s, len + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, e->addr) == 1) {
		e->family = AF_INET;
		e->prefix = 32;
	} else if (inet_pton(AF_INET6, buf[0] == '[' ? buf + 1 : buf, e->addr) == 1) {
		e->family = AF_INET6;
		e->prefix = 128;
	} else if (buf[0] == '[' && (end = strchr(buf, ']')) != NULL && end[1] == '\0') {
		*end = '\0';
		if (inet_pton(AF_INET6, buf + 1, e->addr) != 1) {
			*why = "bad IPv6 address";
			return -1;
		}
		e->family = AF_INET6;
		e->prefix = 128;
	}
	if (slash != NULL) {
		if (e->family == 0) {
			*why = "CIDR prefix on a host name";
			return -1;
		}
		errno = 0;
		pfx = strtol(slash + 1, &end, 10);
		if (errno != 0 || end == slash + 1 || *end != '\0' || pfx < 0 ||
		    pfx > (e->family == AF_INET ? 32 : 128)) {
			*why = "bad CIDR prefix length";
			return -1;
		}
		e->prefix = (unsigned)pfx;
	}
	if (e->family != 0)
		return 0;
	if (strspn(buf, "0123456789.") == strlen(buf)) {
		*why = "bad IPv4 address";
		return -1;
	}
	for (i = 0; buf[i] != '\0'; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (!(isalnum(c) || c == '-' || c == '.' || c == '_')) {
			*why = "not an address, network or host name";
			return -1;
		}
		buf[i] = (char)tolower(c);
	}
	if ((e->name = strdup(buf)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

static int
hosts_add(struct dkim_hosts *h, const char *item, const char **why)
{
	struct host_entry *ne;

	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 8;
		if ((ne = realloc(h->e, ncap * sizeof(*ne))) == NULL) {
			*why = "out of memory";
			return -1;
		}
		h->e = ne;
		h->cap = ncap;
	}
	if (parse_entry(item, &h->e[h->n], why) == -1)
		return -1;
	h->n++;
	return 0;
}

/* Split s on commas and white space, adding each item. */
static int
hosts_add_line(struct dkim_hosts *h, char *s, const char **why, const char **bad)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ", \t\r\n", &save); tok != NULL; tok = strtok_r(NULL, ", \t\r\n", &save)) {
		*bad = tok;
		if (hosts_add(h, tok, why) == -1)
			return -1;
	}
	return 0;
}

struct dkim_hosts *
dkim_hosts_new_list(const char *const *items, size_t n, const char *where, char *err, size_t errlen)
{
	struct dkim_hosts *h;
	const char *why = NULL, *bad = NULL;
	char tmp[HOSTS_ENTRY_MAX * 4];
	size_t i;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", where);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%s", items[i]);
		if (hosts_add_line(h, tmp, &why, &bad) == -1) {
			snprintf(err, errlen, "%s: \"%.100s\": %s", where, bad, why);
			return dkim_hosts_free(h);
		}
	}
	return h;
}

static struct dkim_hosts *
hosts_load_file(const char *path, char *err, size_t errlen)
{
	struct dkim_hosts *h;
	char line[HOSTS_FILE_LINE_MAX + 2], *hash;
	const char *why = NULL, *bad = NULL;
	unsigned lineno = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strlen(line) > HOSTS_FILE_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto fail;
		}
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if (hosts_add_line(h, line, &why, &bad) == -1) {
			snprintf(err, errlen, "%s:%u: \"%.100s\": %s", path, lineno, bad, why);
			goto fail;
		}
	}
	fclose(fp);
	return h;
fail:
	fclose(fp);
	return dkim_hosts_free(h);
}

struct dkim_hosts *
dkim_hosts_new(const char *value, const char *where, char *err, size_t errlen)
{
	const char *items[1];

	if (strncmp(value, "refile:", 7) == 0)
		return hosts_load_file(value + 7, err, errlen);
	if (strncmp(value, "file:", 5) == 0)
		return hosts_load_file(value + 5, err, errlen);
	if (value[0] == '/')
		return hosts_load_file(value, err, errlen);
	if (strncmp(value, "csl:", 4) == 0)
		value += 4;
	items[0] = value;
	return dkim_hosts_new_list(items, 1, where, err, errlen);
}

struct dkim_hosts *
dkim_hosts_free(struct dkim_hosts *h)
{
	size_t i;

	if (h == NULL)
		return NULL;
	for (i = 0; i < h->n; i++)
		free(h->e[i].name);
	free(h->e);
	free(h);
	return NULL;
}

static bool
prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

static bool
entry_match(const struct host_entry *e, int fam, const unsigned char *ip, const char *host)
{
	size_t hl, nl;

	if (e->family != 0)
		return fam == e->family && prefix_match(e->addr, ip, e->prefix);
	if (host == NULL)
		return false;
	if (e->name[0] != '.')
		return strcasecmp(e->name, host) == 0;
	hl = strlen(host);
	nl = strlen(e->name);
	return (hl > nl && strcasecmp(host + hl - nl, e->name) == 0) ||
	    strcasecmp(host, e->name + 1) == 0;
}

bool
dkim_hosts_match(const struct dkim_hosts *h, const char *ip, const char *host)
{
	unsigned char addr[16];
	int fam = 0;
	bool pos = false;
	size_t i;

	if (h == NULL)
		return false;
	if (ip != NULL) {
		const char *p = ip;
		char tmp[64];
		if (strncasecmp(p, "IPv6:", 5) == 0)
			p += 5;
		snprintf(tmp, sizeof(tmp), "%s", p);
		if (tmp[0] == '[') {
			memmove(tmp, tmp + 1, strlen(tmp));
			tmp[strcspn(tmp, "]")] = '\0';
		}
		if (inet_pton(AF_INET, tmp, addr) == 1) {
			fam = AF_INET;
		} else if (inet_pton(AF_INET6, tmp, addr) == 1) {
			fam = AF_INET6;
			/* v4-mapped: match as IPv4 */
			if (memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
				memmove(addr, addr + 12, 4);
				fam = AF_INET;
			}
		}
	}
	for (i = 0; i < h->n; i++) {
		if (!entry_match(&h->e[i], fam, addr, host))
			continue;
		if (h->e[i].neg)
			return false;
		pos = true;
	}
	return pos;
}
