/*
 * fuzz/fuzz_srs.c: libFuzzer target for lib/srs.c.
 *
 * Bounce recipients (reverse) and envelope senders (forward) are untrusted.
 * The input is handed to mk_srs_reverse() and mk_srs_forward() as is (no
 * NUL terminator).  Invariants (trap when broken): a forward result is an
 * SRS address in our domain that reverses (same clock) to the input, or for
 * an SRS0/SRS1 input to the SRS0 address it stands for; reverse output
 * never exceeds MK_SRS_ADDR_MAX; failures always carry a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "srs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static struct mk_srs *
ctx(void)
{
	static struct mk_srs *srs;

	if (srs == NULL) {
		srs = mk_srs_new("fwd.example", 4, 0, 21, '=');
		mk_srs_add_secret(srs, "topsecret", 9);
		mk_srs_add_secret(srs, "old", 3);
	}
	return srs;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char out[MK_SRS_ADDR_MAX + 1], back[MK_SRS_ADDR_MAX + 1];
	const time_t now = 1764288000;	/* fixed: runs are reproducible */
	enum mk_srs_err why = MK_SRS_OK;
	struct mk_srs *srs = ctx();

	if (mk_srs_reverse(srs, in, size, now, out, sizeof(out), &why) == 0)
		check(strlen(out) <= MK_SRS_ADDR_MAX && why == MK_SRS_OK);
	else
		check(why != MK_SRS_OK);
	if (memchr(in, '\0', size) != NULL)
		return 0;
	if (mk_srs_forward(srs, in, size, now, out, sizeof(out), &why) == -1) {
		check(why != MK_SRS_OK);
		return 0;
	}
	check(mk_srs_is_srs(out, strlen(out)));
	check(strlen(out) > 12 && strcmp(out + strlen(out) - 12, "@fwd.example") == 0);
	check(mk_srs_reverse(srs, out, strlen(out), now, back, sizeof(back), &why) == 0);
	if (!mk_srs_is_srs(in, size))
		check(strlen(back) == size && memcmp(back, in, size) == 0);
	else
		check(strncmp(back, "SRS0", 4) == 0);
	return 0;
}
