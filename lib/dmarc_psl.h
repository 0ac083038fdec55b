/*
 * lib/dmarc_psl.h: the Public Suffix List (https://publicsuffix.org/list/)
 * for RFC 7489 section 3.2 Organizational Domains (DMARCSpec 7489).
 *
 * Rules: "suffix", wildcards "*.suffix", exceptions "!name"; comments
 * "//"; the first white-space-delimited word of a line is the rule; both
 * the ICANN and the PRIVATE sections are used (as libopendmarc does).
 * This is the format of publicsuffix.org's public_suffix_list.dat, which
 * Debian's publicsuffix package ships unchanged (UTF-8, U-labels as
 * published); the .dafsa file next to it is not read.
 *
 * Rules holding non-ASCII bytes (U-labels, e.g. "公司.cn") are converted
 * to A-labels ("xn--55qx5d.cn") with libidn2 when the list is loaded, so
 * the A-label domains mailaka compares (From domains, DNS names) find
 * their organizational domain; a rule libidn2 refuses is skipped and
 * counted (mk_psl_idn_failed).
 */
#ifndef MK_DMARC_PSL_H
#define MK_DMARC_PSL_H

#include <stddef.h>

#define MK_PSL_FILE_MAX (8 * 1024 * 1024)	/* bytes of a list file */
#define MK_PSL_RULE_MAX 255			/* bytes of one rule */

struct mk_psl;

/* Load a list file; NULL with err ("path: why") on failure. */
struct mk_psl *mk_psl_load(const char *path, char *err, size_t errlen);
/* From memory (tests). NULL with err on failure (no rule at all, too big). */
struct mk_psl *mk_psl_parse(const char *buf, size_t len, char *err, size_t errlen);
struct mk_psl *mk_psl_free(struct mk_psl *psl);	/* returns NULL */
size_t mk_psl_count(const struct mk_psl *psl);
size_t mk_psl_idn_converted(const struct mk_psl *psl);	/* U-label rules converted */
size_t mk_psl_idn_failed(const struct mk_psl *psl);	/* U-label rules skipped */

/* Organizational domain of a normalised domain (lower case, no trailing
 * dot): the public suffix plus one label; a domain that is itself a public
 * suffix is its own organizational domain.  A domain in U-labels (UTF-8)
 * is looked up, and its organizational domain given, in A-labels.
 * 0 / -1 (does not fit, empty, not valid IDNA). */
int mk_psl_org_domain(const struct mk_psl *psl, const char *domain, char *out, size_t outsz);

#endif
