/*
 * lib/idn.c: domain names to A-labels through libidn2 (see idn.h).
 */
#include "config.h"

#include <idn2.h>
#include <string.h>

#include "lib/idn.h"

#define IDN_IN_MAX 1024	/* far above any domain name (253 octets as A-labels) */

int
mk_idn_alabels(const char *in, size_t n, char *out, size_t outsz, const char **why)
{
	char buf[IDN_IN_MAX], *a = NULL;
	const char *src = in;
	size_t i, len;
	int rc;

	for (i = 0; i < n && (unsigned char)in[i] < 0x80 && in[i] != '\0'; i++)
		;
	if (i < n && in[i] == '\0') {
		*why = "NUL byte in domain name";
		return -1;
	}
	if (i < n) {
		if (n >= sizeof(buf)) {
			*why = "domain name too long";
			return -1;
		}
		memcpy(buf, in, n);
		buf[n] = '\0';
		rc = idn2_to_ascii_8z(buf, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
		if (rc != IDN2_OK &&
		    idn2_to_ascii_8z(buf, &a, IDN2_TRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK) {
			*why = idn2_strerror(rc);
			return -1;
		}
		src = a;
		n = strlen(a);
	}
	len = n;
	if (len >= outsz) {
		idn2_free(a);
		*why = "domain name too long as A-labels";
		return -1;
	}
	memcpy(out, src, len);
	out[len] = '\0';
	idn2_free(a);
	return 0;
}
