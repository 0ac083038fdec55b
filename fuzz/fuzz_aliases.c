/*
 * fuzz/fuzz_aliases.c: libFuzzer target for lib/aliases.c.
 *
 * The input is parsed as a per-domain aliases file (fuzz.test) and as the
 * full-address variant; then the left side of every line that parsed is
 * resolved, with and without pipes.  Invariants (trap when broken): a
 * successful resolution yields 1..MK_ALIAS_RCPTS_MAX recipients, each
 * non-empty, addresses holding an '@'; a failure leaves the list empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "aliases.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void
resolve_one(const struct mk_aliases *a, const char *addr, unsigned flags)
{
	struct mk_alias_list l;
	const char *why = NULL;

	if (mk_aliases_resolve(a, addr, strlen(addr), flags, &l, &why) == -1) {
		check(l.n == 0 && why != NULL);
		return;
	}
	check(l.n + l.pipes_skipped >= 1 && l.n <= MK_ALIAS_RCPTS_MAX);
	for (size_t i = 0; i < l.n; i++) {
		check(l.v[i].value != NULL && l.v[i].value[0] != '\0');
		if (l.v[i].type != MK_ALIAS_PIPE)
			check(strchr(l.v[i].value, '@') != NULL);
	}
	mk_alias_list_clear(&l);
}

static void
resolve_lines(const struct mk_aliases *a, const char *buf, size_t len, const char *dom)
{
	char addr[600];
	size_t done = 0;

	while (len > 0 && done < 64) {
		const char *nl = memchr(buf, '\n', len);
		size_t l = nl ? (size_t)(nl - buf) : len;
		const char *colon = memchr(buf, ':', l);

		if (colon != NULL && (size_t)(colon - buf) < 300 && memchr(buf, '\0', l) == NULL) {
			int n = (int)(colon - buf);

			if (dom != NULL)
				snprintf(addr, sizeof(addr), "%.*s@%s", n, buf, dom);
			else
				snprintf(addr, sizeof(addr), "%.*s", n, buf);
			resolve_one(a, addr, 0);
			resolve_one(a, addr, MK_ALIAS_PIPES);
			done++;
		}
		buf += l + (nl ? 1 : 0);
		len -= l + (nl ? 1 : 0);
	}
	resolve_one(a, "nobody.x+y@fuzz.test", 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct mk_aliases *a;
	char err[512];

	if ((a = mk_aliases_new(NULL, NULL)) != NULL) {
		if (mk_aliases_parse(a, "fuzz.test", buf, size, "f", err, sizeof(err)) == 0)
			resolve_lines(a, buf, size, "fuzz.test");
		mk_aliases_free(a);
	}
	if ((a = mk_aliases_new("._", "+-")) != NULL) {
		if (mk_aliases_parse(a, NULL, buf, size, "f", err, sizeof(err)) == 0)
			resolve_lines(a, buf, size, NULL);
		mk_aliases_free(a);
	}
	return 0;
}
