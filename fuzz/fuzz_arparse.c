/*
 * fuzz/fuzz_arparse.c: libFuzzer target for the DMARC input parsers:
 * Received-SPF (lib/arparse.c), Authentication-Results as DMARC reads it
 * (lib/authres.c + lib/arparse.c), and DMARC records (lib/dmarc_record.c).
 * Invariants checked (trap on failure): parsed strings are NUL-terminated
 * within their fields; a DKIM input always has a non-empty domain; record
 * values stay within their ranges.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arparse.h"
#include "dmarc_record.h"

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
	static struct mk_authres ar;
	static struct mk_dmarc_input in;
	static struct mk_dmarc_record rec;
	struct mk_received_spf r;
	struct mk_spf_session s;
	struct mk_dmarc_auth spf;
	const char *buf = (const char *)data, *why;
	bool helo;
	size_t i;

	memset(&s, 0, sizeof(s));
	strcpy(s.mailfrom, "u@example.com");
	strcpy(s.mailfrom_domain, "example.com");
	strcpy(s.helo, "mx.example.com");
	if (mk_received_spf_parse(buf, size, &r, &why) == 0) {
		check(memchr(r.result, '\0', sizeof(r.result)) != NULL && r.result[0] != '\0');
		check(memchr(r.envelope_from, '\0', sizeof(r.envelope_from)) != NULL);
		if (mk_arparse_spf_received(&r, &s, &spf, &helo) == 0)
			check(spf.domain[0] != '\0');
		s.null_sender = true;
		if (mk_arparse_spf_received(&r, &s, &spf, &helo) == 0)
			check(helo);
		s.null_sender = false;
	}
	if (mk_authres_parse(buf, size, &ar, &why) == 0) {
		memset(&in, 0, sizeof(in));
		mk_arparse_dkim_authres(&ar, &in);
		check(in.ndkim <= MK_DMARC_DKIM_MAX);
		for (i = 0; i < in.ndkim; i++)
			check(in.dkim[i].domain[0] != '\0');
		(void)mk_arparse_spf_authres(&ar, &s, &spf, &helo);
	}
	if (mk_dmarc_record_parse(buf, size, &rec) == MK_DMARC_REC_OK) {
		check(rec.pct >= 0 && rec.pct <= 100);
		check(rec.nrua <= MK_DMARC_URIS_MAX && rec.nruf <= MK_DMARC_URIS_MAX);
		for (i = 0; i < rec.nrua; i++)
			check(strlen(rec.rua[i].uri) <= MK_DMARC_URI_MAX);
	}
	return 0;
}
