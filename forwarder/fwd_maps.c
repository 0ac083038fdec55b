/*
 * forwarder/fwd_maps.c: alias, forward and reverse lookups (see fwd_maps.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "forwarder/fwd_maps.h"

#define DOMAIN_MAX 255

static void
result(struct fwd_result *r, enum mk_map_status st, const char *reason, const char *value)
{
	r->status = st;
	r->reason = reason;
	if (value != NULL)
		snprintf(r->value, sizeof(r->value), "%s", value);
	else
		r->value[0] = '\0';
}

/* Domain of key (last '@', both sides non-empty) into dom. 0 / -1. */
static int
key_domain(const char *key, size_t len, char *dom, size_t domsz)
{
	const char *at = NULL;

	for (size_t i = len; i > 0; i--) {
		if (key[i - 1] == '@') {
			at = key + i - 1;
			break;
		}
	}
	if (at == NULL || at == key || (size_t)(key + len - at - 1) == 0 ||
	    (size_t)(key + len - at - 1) >= domsz)
		return -1;
	memcpy(dom, at + 1, (size_t)(key + len - at - 1));
	dom[key + len - at - 1] = '\0';
	return 0;
}

static void
map_alias(const struct fwd_state *st, const char *key, size_t len, struct fwd_result *r)
{
	char dom[DOMAIN_MAX + 1];
	struct mk_alias_list l;
	const char *why = NULL;
	size_t n = 0;

	if (key_domain(key, len, dom, sizeof(dom)) == -1) {
		result(r, MK_MAP_NOTFOUND, "not an address", NULL);
		return;
	}
	if (!mk_aliases_is_local(st->aliases, dom)) {
		result(r, MK_MAP_NOTFOUND, "not a local domain", NULL);
		return;
	}
	if (mk_srs_is_srs(key, len)) {
		/* bounces go through the reverse map (any local domain), never to the catch-all */
		result(r, MK_MAP_NOTFOUND, "SRS address", NULL);
		return;
	}
	if (mk_aliases_resolve(st->aliases, key, len, 0, &l, &why) == -1) {
		result(r, MK_MAP_TEMP, why, NULL);
		snprintf(r->value, sizeof(r->value), "alias expansion failed: %s", why);
		return;
	}
	if (l.n == 0) {
		mk_alias_list_clear(&l);
		result(r, MK_MAP_NOTFOUND, "only pipe targets (not honoured here)", NULL);
		return;
	}
	if (mk_alias_list_is_identity(&l, key)) {
		mk_alias_list_clear(&l);
		result(r, MK_MAP_NOTFOUND, "no alias", NULL);
		return;
	}
	r->value[0] = '\0';
	for (size_t i = 0; i < l.n; i++) {
		int w = snprintf(r->value + n, sizeof(r->value) - n, "%s%s", i ? "," : "",
		    l.v[i].value);

		if (w < 0 || (size_t)w >= sizeof(r->value) - n) {
			mk_alias_list_clear(&l);
			result(r, MK_MAP_TEMP, "expansion too long", "alias expansion too long");
			return;
		}
		n += (size_t)w;
	}
	r->status = MK_MAP_OK;
	r->reason = l.catchall ? "catch-all" : (l.pipes_skipped ? "pipe targets skipped" : NULL);
	mk_alias_list_clear(&l);
}

static void
map_forward(const struct fwd_state *st, const char *key, size_t len, time_t now,
    struct fwd_result *r)
{
	char dom[DOMAIN_MAX + 1];
	enum mk_srs_err e;

	if (key_domain(key, len, dom, sizeof(dom)) == -1) {
		result(r, MK_MAP_NOTFOUND, "not an address", NULL);
		return;
	}
	if (fwd_domain_is_excluded(st, dom)) {
		result(r, MK_MAP_NOTFOUND, "local or excluded domain", NULL);
		return;
	}
	if (mk_srs_forward(st->srs, key, len, now, r->value, sizeof(r->value), &e) == 0) {
		r->status = MK_MAP_OK;
		r->reason = NULL;
		return;
	}
	if (e == MK_SRS_E_NO_SECRET || e == MK_SRS_E_CRYPTO) {
		result(r, MK_MAP_TEMP, mk_srs_strerror(e), mk_srs_strerror(e));
		return;
	}
	result(r, MK_MAP_NOTFOUND, mk_srs_strerror(e), NULL);
}

static void
map_reverse(const struct fwd_state *st, const char *key, size_t len, time_t now,
    struct fwd_result *r)
{
	char dom[DOMAIN_MAX + 1];
	enum mk_srs_err e;

	if (key_domain(key, len, dom, sizeof(dom)) == -1) {
		result(r, MK_MAP_NOTFOUND, "not an address", NULL);
		return;
	}
	if (!mk_srs_is_srs(key, len)) {
		result(r, MK_MAP_NOTFOUND, "not an SRS address", NULL);
		return;
	}
	if (!fwd_domain_is_local(st, dom)) {
		result(r, MK_MAP_NOTFOUND, "SRS address of another domain", NULL);
		return;
	}
	if (mk_srs_reverse(st->srs, key, len, now, r->value, sizeof(r->value), &e) == 0) {
		r->status = MK_MAP_OK;
		r->reason = NULL;
		return;
	}
	if (e == MK_SRS_E_NO_SECRET || e == MK_SRS_E_CRYPTO) {
		result(r, MK_MAP_TEMP, mk_srs_strerror(e), mk_srs_strerror(e));
		return;
	}
	result(r, MK_MAP_NOTFOUND, mk_srs_strerror(e), NULL);
}

void
fwd_map_lookup(const struct fwd_state *st, const char *name, const char *key, size_t keylen,
    time_t now, struct fwd_result *r)
{
	if (strcasecmp(name, "alias") == 0)
		map_alias(st, key, keylen, r);
	else if (strcasecmp(name, "forward") == 0)
		map_forward(st, key, keylen, now, r);
	else if (strcasecmp(name, "reverse") == 0)
		map_reverse(st, key, keylen, now, r);
	else
		result(r, MK_MAP_PERM, "unknown map name", "unknown map name");
}
