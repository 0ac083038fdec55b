/*
 * lib/idn.h: domain names to RFC 5890 A-labels, the one conversion behind
 * DKIM key lookups (RFC 8616 section 3), DMARC's From domain and public
 * suffix rules, so that both sides of an alignment agree.
 */
#ifndef MK_IDN_H
#define MK_IDN_H

#include <stddef.h>

/*
 * in[0..n) as A-labels into out (outsz bytes, NUL-terminated).  An all-ASCII
 * name is copied as it is (LDH labels or A-labels already); one with
 * U-labels goes through libidn2: UTS #46 non-transitional processing of NFC
 * input, then transitional for a name only that accepts (IDNA2003-era
 * names such as those with a final sigma written as registered).
 * 0, or -1 with a static reason in *why: not valid IDNA, an embedded NUL,
 * or too long for out.
 */
int mk_idn_alabels(const char *in, size_t n, char *out, size_t outsz, const char **why);

#endif
