/*
 * fuzz/fuzz_smtp_reply.c: SMTP replies as a server may send them
 * (lib/smtp_reply): parse reply after reply from the input, and query each
 * complete one as mailaka send does (EHLO extensions, AUTH mechanisms,
 * queue id).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_smtp_reply r;
	char id[MK_SMTP_QUEUE_ID_MAX + 1];
	const char *why;
	size_t off = 0;
	long n;

	while (off < size) {
		n = mk_smtp_reply_parse((const char *)data + off, size - off, &r, &why);
		if (n <= 0)
			break;
		off += (size_t)n;
		(void)mk_smtp_reply_has_ext(&r, "STARTTLS");
		(void)mk_smtp_reply_ext_has_param(&r, "AUTH", "PLAIN");
		(void)mk_smtp_reply_queue_id(&r, id, sizeof(id));
		(void)mk_smtp_reply_class(&r);
	}
	return 0;
}
