/*
 * fuzz/fuzz_addr.c: libFuzzer target for lib/addr.c.
 *
 * The input is handed unchanged (no NUL terminator) to mk_path_parse()
 * under every flag combination, to mk_domain_normalize() and to
 * mk_from_parse().  Besides the sanitizers, it checks invariants and
 * traps when one breaks:
 *   - a parsed path formats as "local@domain" and parses back (bracketless)
 *     to the same address;
 *   - *end lies within the input;
 *   - normalising a normalised domain is the identity;
 *   - every From address has a local part and a valid domain.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void
check_domain(const char *dom, bool may_be_empty)
{
	char again[MK_ADDR_DOMAIN_MAX + 1];
	const char *why;
	size_t n = strnlen(dom, MK_ADDR_DOMAIN_MAX + 1);

	check(n <= MK_ADDR_DOMAIN_MAX);
	if (n == 0) {
		check(may_be_empty);
		return;
	}
	check(mk_domain_normalize(dom, n, again, sizeof(again), &why) == 0);
	check(strcmp(dom, again) == 0);
}

static void
fuzz_path(const char *buf, size_t len, unsigned flags)
{
	char text[MK_ADDR_LOCAL_MAX + MK_ADDR_DOMAIN_MAX + 2];
	struct mk_path p, q;
	const char *why = NULL;
	size_t end, end2;

	if (mk_path_parse(buf, len, flags, &p, &end, &why) == -1) {
		check(why != NULL);
		return;
	}
	check(end <= len);
	if (p.null)
		return;
	check(strnlen(p.addr.local, sizeof(p.addr.local)) <= MK_ADDR_LOCAL_MAX);
	check(p.addr.local[0] != '\0');
	check_domain(p.addr.domain, (flags & MK_PATH_NO_DOMAIN) != 0);
	check(mk_addr_format(&p.addr, text, sizeof(text)) == 0);
	check(mk_path_parse(text, strlen(text), flags | MK_PATH_LAX, &q, &end2, &why) == 0);
	check(!q.null && end2 == strlen(text));
	check(strcmp(p.addr.local, q.addr.local) == 0);
	check(strcmp(p.addr.domain, q.addr.domain) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mk_from from;
	char dom[MK_ADDR_DOMAIN_MAX + 1];
	const char *buf = (const char *)data;
	const char *why = NULL;
	unsigned flags;
	size_t i;

	for (flags = 0; flags <= (MK_PATH_LAX | MK_PATH_NO_DOMAIN); flags++)
		fuzz_path(buf, size, flags);

	if (mk_domain_normalize(buf, size, dom, sizeof(dom), &why) == 0) {
		check_domain(dom, false);
		check(mk_domain_is_valid(buf, size));
		check(mk_domain_equal(dom, dom));
	} else
		check(why != NULL && !mk_domain_is_valid(buf, size));

	why = NULL;
	if (mk_from_parse(buf, size, &from, &why) == 0) {
		check(from.count >= 1 && from.count <= MK_FROM_ADDRS_MAX);
		check(!from.truncated || from.count == MK_FROM_ADDRS_MAX);
		for (i = 0; i < from.count; i++) {
			check(from.addr[i].local[0] != '\0');
			check(strnlen(from.addr[i].local, sizeof(from.addr[i].local)) <=
			    MK_ADDR_LOCAL_MAX);
			check_domain(from.addr[i].domain, false);
		}
	} else
		check(why != NULL && from.count == 0);
	return 0;
}
