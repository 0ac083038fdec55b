/* fuzz/fuzz_policy.c: libFuzzer target for the policy request parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_policy_req r;
	const char *why;
	char out[MK_POLICY_REPLY_MAX];
	size_t n = mk_policy_frame((const char *)data, size);

	if (n > size)
		__builtin_trap();
	if (mk_policy_parse((const char *)data, n ? n : size, &r, &why) == 0) {
		(void)mk_policy_check(&r, &why);
		mk_policy_reply(r.sender, out, sizeof(out));
		if (strlen(out) >= sizeof(out))
			__builtin_trap();
	}
	return 0;
}
