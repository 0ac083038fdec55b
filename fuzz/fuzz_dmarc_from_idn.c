/*
 * fuzz/fuzz_dmarc_from_idn.c: libFuzzer target for milter-dmarc/from_idn.c
 * (U-label From domains to A-labels) followed by lib/addr's From parser, as
 * the DMARC milter runs them on a From field.  Invariants (trap on failure):
 * an unchanged result equals the input; a refusal gives a reason; every
 * domain lib/addr extracts from the result is ASCII; the A-R variant
 * (dmarc_authres_alabels) keeps the first two.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "milter-dmarc/from_idn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* One variant: a refusal gives a reason, unchanged means identical; the
 * result (malloc'd) or NULL. */
static char *
variant(char *(*fn)(const char *, size_t, bool *, const char **), const uint8_t *data,
    size_t size)
{
	const char *why = NULL;
	bool changed = false;
	char *out = fn((const char *)data, size, &changed, &why);

	if (out == NULL) {
		check(why != NULL && *why != '\0');
		return NULL;
	}
	if (!changed)
		check(strlen(out) == size && memcmp(out, data, size) == 0);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mk_from f;
	const char *why;
	char *out;
	size_t i, j;

	if (size > MK_FROM_HEADER_MAX)
		return 0;
	if ((out = variant(dmarc_from_alabels, data, size)) != NULL &&
	    mk_from_parse(out, strlen(out), &f, &why) == 0)
		for (i = 0; i < f.count; i++)
			for (j = 0; f.addr[i].domain[j] != '\0'; j++)
				check((unsigned char)f.addr[i].domain[j] < 0x80);
	free(out);
	free(variant(dmarc_authres_alabels, data, size));
	return 0;
}
