/*
 * lib/utf8.h: RFC 3629 section 4 UTF-8 validation, one sequence at a time.
 *
 * Header-only (static inline): the DKIM tag-list parser and the signer's
 * i= check use it, and each is linked alone into fuzz targets and tools,
 * so a separate module would have to join every one of those link lines.
 * No I/O, no allocation; a pure function of (buf, len).
 */
#ifndef MK_UTF8_H
#define MK_UTF8_H

#include <stdbool.h>
#include <stddef.h>

enum mk_utf8_err {
	MK_UTF8_OK,
	MK_UTF8_BAD_LEAD,	/* 0x80-0xBF (a stray continuation byte), 0xF5-0xFF */
	MK_UTF8_TRUNCATED,	/* a continuation byte missing */
	MK_UTF8_OVERLONG,	/* 0xC0, 0xC1, 0xE0 0x80-0x9F, 0xF0 0x80-0x8F */
	MK_UTF8_SURROGATE,	/* 0xED 0xA0-0xBF: U+D800..U+DFFF */
	MK_UTF8_RANGE,		/* 0xF4 0x90-0xBF: past U+10FFFF */
	MK_UTF8_C1,		/* U+0080..U+009F: C1 control characters */
	MK_UTF8_ASCII_CTRL,	/* mk_utf8_printable(): an ASCII control, space or DEL */
};

/* The non-ASCII sequence at s (n > 0 bytes left, s[0] >= 0x80): its length
 * (2..4), or 0 and the reason in *err.  C1 controls are well-formed UTF-8
 * but refused here too (RFC 5198 section 2: not for interchange; no mail
 * identity or header text needs them). */
static inline size_t
mk_utf8_seq(const unsigned char *s, size_t n, enum mk_utf8_err *err)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else {
		*err = c == 0xC0 || c == 0xC1 ? MK_UTF8_OVERLONG : MK_UTF8_BAD_LEAD;
		return 0;
	}
	/* the second byte's range (RFC 3629 section 4 ABNF) */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	for (i = 1; i < len; i++) {
		if (i >= n || s[i] < 0x80 || s[i] > 0xBF) {
			*err = MK_UTF8_TRUNCATED;
			return 0;
		}
	}
	if (s[1] < lo) {
		*err = MK_UTF8_OVERLONG;
		return 0;
	}
	if (s[1] > hi) {
		*err = c == 0xED ? MK_UTF8_SURROGATE : MK_UTF8_RANGE;
		return 0;
	}
	if (c == 0xC2 && s[1] <= 0x9F) {
		*err = MK_UTF8_C1;
		return 0;
	}
	*err = MK_UTF8_OK;
	return len;
}

/* Are all n bytes of s printable ASCII (0x21-0x7E) or valid non-ASCII
 * UTF-8 (no C1 controls)?  The first fault goes to *err (may be NULL). */
static inline bool
mk_utf8_printable(const char *s, size_t n, enum mk_utf8_err *err)
{
	const unsigned char *p = (const unsigned char *)s;
	enum mk_utf8_err e = MK_UTF8_OK;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] >= 0x21 && p[i] <= 0x7E) {
			i++;
			continue;
		}
		if (p[i] < 0x80) {
			e = MK_UTF8_ASCII_CTRL;
			break;
		}
		if ((k = mk_utf8_seq(p + i, n - i, &e)) == 0)
			break;
		i += k;
	}
	if (err != NULL)
		*err = e;
	return e == MK_UTF8_OK;
}

/* A short English phrase for err ("overlong UTF-8 sequence", ...). */
static inline const char *
mk_utf8_strerror(enum mk_utf8_err err)
{
	switch (err) {
	case MK_UTF8_OK: return "valid UTF-8";
	case MK_UTF8_BAD_LEAD: return "invalid UTF-8 byte";
	case MK_UTF8_TRUNCATED: return "truncated UTF-8 sequence";
	case MK_UTF8_OVERLONG: return "overlong UTF-8 sequence";
	case MK_UTF8_SURROGATE: return "UTF-8 encoded surrogate";
	case MK_UTF8_RANGE: return "UTF-8 sequence beyond U+10FFFF";
	case MK_UTF8_C1: return "C1 control character";
	case MK_UTF8_ASCII_CTRL: return "ASCII control character or space";
	default: return "invalid UTF-8";
	}
}

#endif
