/*
 * fuzz/fuzz_zone_txt.c: zone-file TXT records as found in DKIM .txt files
 * (cli/records.c rec_txt_parse), and the printer on what was parsed (its
 * output must parse back to the same text).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[REC_TEXT_MAX + 1], line[REC_TEXT_MAX * 5], back[REC_TEXT_MAX + 1];
	size_t n, m;

	if (rec_txt_parse((const char *)data, size, text, sizeof(text), &n) != 0)
		return 0;
	if (rec_txt_line("x.test", text, n, line, sizeof(line)) != 0)
		abort();	/* anything parsed fits when printed */
	if (rec_txt_parse(line, strlen(line), back, sizeof(back), &m) != 0 || m != n ||
	    memcmp(back, text, n) != 0)
		abort();	/* round trip */
	return 0;
}
