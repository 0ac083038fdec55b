/*
 * fuzz/fuzz_milter_proto.c: libFuzzer target for the milter codec
 * (lib/milter_proto.c).  The input is a byte stream as a peer would send
 * it: frames are split with a small maximum, each packet is decoded both as
 * a command (MTA -> milter) and as a reply (milter -> MTA), and whatever
 * decodes is encoded again and must decode to the same bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/milter_proto.h"

static unsigned char out[70000];

static void
check_cmd(const unsigned char *p, size_t n)
{
	struct mk_mp_cmd c;
	ssize_t len;

	if (mk_mp_cmd_decode(p, n, &c) == -1)
		return;
	len = mk_mp_cmd_encode(&c, out, sizeof(out));
	if (len < 0 || (size_t)len != n + 4 || memcmp(out + 4, p, n) != 0)
		abort();	/* a decoded command must encode to its bytes */
}

static void
check_reply(const unsigned char *p, size_t n)
{
	struct mk_mp_reply r;
	ssize_t len;

	if (mk_mp_reply_decode(p, n, &r) == -1)
		return;
	len = mk_mp_reply_encode(&r, out, sizeof(out));
	if (len < 0 || (size_t)len != n + 4 || memcmp(out + 4, p, n) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t flen;

	while (size > 0) {
		if (mk_mp_frame(data, size, 65536, &flen) == -1 || flen == 0 || flen > size)
			break;
		check_cmd(data + 4, flen - 4);
		check_reply(data + 4, flen - 4);
		data += flen;
		size -= flen;
	}
	return 0;
}
