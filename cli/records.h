/*
 * cli/records.h: the DNS records a mailaka domain publishes, as "mailaka
 * dns" prints them and "mailaka check" expects them, and the DKIM keys
 * found on disk (CONFIGDIR/dkim/<domain>/<selector>.key, with the
 * published record beside it as <selector>.txt).
 */
#ifndef MK_CLI_RECORDS_H
#define MK_CLI_RECORDS_H

#include <stdbool.h>
#include <stddef.h>

#define REC_ADDRS_MAX 8		/* --ipv4 / --ipv6 given */
#define REC_TXT_STRING_MAX 255	/* RFC 1035 3.3: one character-string */
#define REC_TEXT_MAX 4096	/* bytes of one record's text */
#define REC_DKIM_KEYS_MAX 16	/* keys listed for one domain */
#define REC_SELECTOR_MAX 63	/* one DNS label */
#define REC_DKIM_P_MAX 2048	/* base64 of an RSA-8192 SubjectPublicKeyInfo fits */
#define REC_PATH_MAX 4096

struct rec_opts {
	const char *domain;		/* normalised, no trailing dot */
	const char *ipv4[REC_ADDRS_MAX];
	size_t n4;
	const char *ipv6[REC_ADDRS_MAX];
	size_t n6;
	const char *mx;			/* NULL: "mail.<domain>" */
	const char *rua, *ruf;		/* addresses; rua NULL: postmaster@<domain> */
	const char *policy;		/* NULL: "quarantine" */
	const char *mta_sts_id;		/* NULL: no MTA-STS record */
	const char *tls_rpt;		/* NULL: no TLS-RPT record */
};

/* "v=spf1 mx ip4:A ip6:B ~all" (with addresses) or "v=spf1 a mx ~all". 0 / -1. */
int rec_spf(const struct rec_opts *o, char *out, size_t outsz);
/* "v=DMARC1; p=quarantine; fo=1; rua=mailto:...[; ruf=mailto:...]". 0 / -1. */
int rec_dmarc(const struct rec_opts *o, char *out, size_t outsz);
/* The MX host: o->mx or "mail.<domain>". */
void rec_mx_host(const struct rec_opts *o, char *out, size_t outsz);

/* A zone-file TXT line: NAME. IN TXT ( "..." "..." ) with text split into
 * strings of at most 255 bytes, '"' and '\' escaped, bytes outside
 * 0x20..0x7e as \DDD.  0 / -1 (does not fit). */
int rec_txt_line(const char *name, const char *text, size_t len, char *out, size_t outsz);

/* Concatenate the quoted character-strings of a zone-file TXT record
 * ("name IN TXT ( "a" "b" ) ; comment", as dkim-keygen and opendkim-genkey
 * write them) into out, unescaping \" \\ and \DDD.  Pure.  0, or -1 (no
 * string, unbalanced quote, bad escape, does not fit). */
int rec_txt_parse(const char *buf, size_t len, char *out, size_t outsz, size_t *outlen);

struct rec_dkim_key {
	char selector[REC_SELECTOR_MAX + 1];
	char k[16];			/* "rsa" or "ed25519" */
	char p[REC_DKIM_P_MAX + 1];	/* base64 public key, as published */
	bool from_private;		/* p computed from <selector>.key (else read from .txt) */
	char txt[REC_TEXT_MAX + 1];	/* the .txt record text if any, else "" */
	char path[REC_PATH_MAX];	/* the file p came from */
	char problem[256];		/* why the key could not be used ("" if fine) */
};

/* The keys of CONFIGDIR/dkim/<domain>/ (*.key, and *.txt without a .key),
 * sorted by selector.  Returns the count (0..max), problems are per key;
 * -1 with err when the directory cannot be read (ENOENT gives 0). */
int rec_dkim_keys(const char *confdir, const char *domain, struct rec_dkim_key *keys,
    size_t max, char *err, size_t errlen);

/* The DKIM public key of a PEM private key file (PKCS#8 or traditional):
 * k ("rsa", "ed25519") and p (RSA: base64 SubjectPublicKeyInfo, Ed25519:
 * base64 of the raw 32 bytes, RFC 8463).  0 / -1 with err. */
int rec_dkim_public(const char *path, char *k, size_t ksz, char *p, size_t psz, char *err,
    size_t errlen);

#endif
