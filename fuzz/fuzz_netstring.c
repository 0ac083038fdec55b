/*
 * fuzz/fuzz_netstring.c: libFuzzer target for lib/netstring.c.
 *
 * The input is read as a stream of netstrings (as mailaka-forward reads a
 * socketmap connection): each complete one is parsed as a socketmap request
 * and answered; it is also split into lines parsed as tcp_table requests.
 * Invariants (trap when broken): a complete netstring lies inside the
 * input and re-formats to the same bytes; a parsed request has a non-empty
 * name and key without NUL; a formatted reply parses back as a netstring.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void
reply_roundtrip(const struct mk_map_request *r)
{
	static char out[MK_SOCKMAP_KEY_MAX + 64];
	struct mk_netstring ns;
	const char *why;
	size_t n;

	check(mk_sockmap_reply_format(MK_MAP_OK, r->key, out, sizeof(out), &n) == 0);
	check(mk_netstring_parse(out, n, MK_SOCKMAP_REPLY_MAX, &ns, &why) == 0 && ns.complete);
	check(ns.consumed == n && ns.len == 3 + r->keylen);
	check(mk_tcptable_reply_format(MK_MAP_OK, r->key, out, sizeof(out), &n) == 0 ||
	    r->keylen * 3 + 6 > sizeof(out));
}

static void
stream(const char *buf, size_t len)
{
	static char re[MK_SOCKMAP_REQUEST_MAX + 16];
	struct mk_netstring ns;
	struct mk_map_request r;
	const char *why;
	size_t n;

	while (len > 0) {
		if (mk_netstring_parse(buf, len, MK_SOCKMAP_REQUEST_MAX, &ns, &why) == -1 ||
		    !ns.complete)
			return;
		check(ns.consumed <= len && ns.data >= buf && ns.data + ns.len < buf + len);
		check(mk_netstring_format(ns.data, ns.len, re, sizeof(re), &n) == 0);
		check(n == ns.consumed && memcmp(re, buf, n) == 0);
		if (mk_sockmap_request_parse(ns.data, ns.len, &r, &why) == 0) {
			check(r.name[0] != '\0' && r.keylen > 0 && strlen(r.key) == r.keylen);
			reply_roundtrip(&r);
		}
		buf += ns.consumed;
		len -= ns.consumed;
	}
}

static void
lines(const char *buf, size_t len)
{
	struct mk_map_request r;
	const char *why;

	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t l = nl ? (size_t)(nl - buf) : len;

		if (mk_tcptable_request_parse(buf, l, &r, &why) == 0)
			check(r.keylen > 0 && strlen(r.key) == r.keylen);
		buf += l + (nl ? 1 : 0);
		len -= l + (nl ? 1 : 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stream((const char *)data, size);
	lines((const char *)data, size);
	return 0;
}
