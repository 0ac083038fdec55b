/*
 * lib/dkim_tags.h: RFC 6376 3.2 tag=value lists (DKIM-Signature header
 * values and DKIM key records).
 *
 * The parser is a pure function of (buf, len): no I/O, no allocation.  Tag
 * names and values point into buf (borrowed); values have their leading
 * and trailing folding white space removed, inner FWS is kept as is (the
 * b= and bh= values are base64 with FWS allowed anywhere: use
 * mk_dkim_tags_copy_nows() to get them without it).
 */
#ifndef MK_DKIM_TAGS_H
#define MK_DKIM_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#define MK_DKIM_TAGS_MAX 64		/* tags kept from one list; more is an error */
#define MK_DKIM_TAGLIST_MAX 16384	/* bytes of one tag list (a signature header value) */

struct mk_dkim_tag {
	const char *name;
	size_t nlen;
	const char *val;
	size_t vlen;
};

struct mk_dkim_tags {
	size_t count;
	struct mk_dkim_tag tag[MK_DKIM_TAGS_MAX];
	const char *err_name;	/* after -1 for a refused value: its tag name, else NULL */
	size_t err_nlen;
};

/* Parse a tag list. 0, or -1 with a static reason in *why (empty tag name,
 * bad tag name, missing '=', a value byte outside VALCHAR/FWS, duplicate tag,
 * too many tags, too long).  For key records and anything else ASCII: a
 * byte >= 0x80 is "bad character in tag value". */
int mk_dkim_tags_parse(const char *buf, size_t len, struct mk_dkim_tags *out,
    const char **why);
/* The same for a DKIM-Signature of internationalized mail (RFC 8616
 * section 5): values may also hold well-formed UTF-8 (RFC 3629 UTF8-2 /
 * UTF8-3 / UTF8-4; no overlong forms, surrogates, code points past
 * U+10FFFF or C1 controls -- each refused with mk_utf8_strerror()'s
 * reason, the tag in err_name).  Which tags may carry it is the caller's
 * rule: see mk_dkim_tag_is_ascii(). */
int mk_dkim_tags_parse_utf8(const char *buf, size_t len, struct mk_dkim_tags *out,
    const char **why);
/* Is the value all ASCII? */
bool mk_dkim_tag_is_ascii(const struct mk_dkim_tag *tag);
/* The tag named name (case-sensitive, as RFC 6376 says), or NULL. */
const struct mk_dkim_tag *mk_dkim_tags_get(const struct mk_dkim_tags *tags, const char *name);
/* Copy a value into out without white space (CR, LF, SP, HTAB), NUL-terminated.
 * 0, or -1 if it does not fit (out is then truncated but terminated). */
int mk_dkim_tags_copy_nows(const struct mk_dkim_tag *tag, char *out, size_t outsz);
/* Copy a value as is (trimmed), NUL-terminated; -1 if it does not fit. */
int mk_dkim_tags_copy(const struct mk_dkim_tag *tag, char *out, size_t outsz);

#endif
