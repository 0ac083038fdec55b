/*
 * fuzz/fuzz_dmarc_arc.c: libFuzzer target for milter-dmarc/arc_trust.c's
 * arc.chain matcher (DomainWhitelist), which reads the arc.chain property
 * of a trusted Authentication-Results field.  Invariants (trap on failure):
 * the answer does not depend on bytes past len; a chain the matcher trusts
 * has no empty entry and each entry is listed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "milter-dmarc/arc_trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "forwarder.example", "lists.example.org", "a.b" };
	static struct dmarc_arc_trust *t;
	char err[256], *copy;
	bool yes;
	size_t i, j;

	if (t == NULL && (t = dmarc_arc_trust_new(names, 3, NULL, err, sizeof(err))) == NULL)
		return 0;
	if (size > DMARC_ARC_CHAIN_MAX * 4 || (copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = ':';	/* past len: must not be read as part of the chain */
	yes = dmarc_arc_chain_trusted(t, copy, size);
	if (yes) {
		check(size > 0 && copy[0] != ':' && copy[size - 1] != ':');
		for (i = 0; i < size; i = j + 1) {
			for (j = i; j < size && copy[j] != ':'; j++)
				;
			check(j > i && dmarc_arc_chain_trusted(t, copy + i, j - i));
		}
	}
	free(copy);
	return 0;
}
