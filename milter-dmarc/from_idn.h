/*
 * milter-dmarc/from_idn.h: internationalized From domains (RFC 6532).
 *
 * lib/addr parses LDH domains only; a From header of RFC 6532 mail may
 * write its domain in U-labels ("a@bücher.example").  DMARC evaluates the
 * domain as DNS knows it, i.e. in A-labels ("xn--bcher-kva.example"), so
 * the milter rewrites such domains with libidn2 (UTS #46 non-transitional,
 * transitional as a fallback, NFC input) before lib/addr parses the field.
 */
#ifndef DMARC_FROM_IDN_H
#define DMARC_FROM_IDN_H

#include <stdbool.h>
#include <stddef.h>

#define DMARC_IDN_DOMAIN_MAX 1024	/* bytes of one U-label domain converted */

/* Copy the header value buf[0..len) with every domain that follows an '@'
 * outside quoted strings and comments and contains 8-bit bytes converted to
 * A-labels.  Returns a malloc'd NUL-terminated string (*changed: whether a
 * domain was converted), or NULL with a static reason in *why: a domain
 * libidn2 refuses (invalid UTF-8, disallowed code points), one longer than
 * DMARC_IDN_DOMAIN_MAX, a NUL byte in buf, out of memory. */
char *dmarc_from_alabels(const char *buf, size_t len, bool *changed, const char **why);
/* The same for an Authentication-Results or Received-SPF value, which also
 * converts a bare 8-bit domain given as the value of smtp.mailfrom= or
 * envelope-from= (an A-R may name the envelope sender by its domain alone)
 * or of header.d= (a DKIM result for a U-label d=, RFC 8616), so that an
 * upstream result names its domain as the session's A-label MAIL FROM and
 * From domain do. */
char *dmarc_authres_alabels(const char *buf, size_t len, bool *changed, const char **why);

#endif
