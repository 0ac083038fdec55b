/*
 * lib/netstring.h: netstrings, Postfix socketmap requests/replies and
 * Postfix tcp_table requests/replies.  Pure functions of (buf, len): no
 * I/O, no logging, no allocation.
 *
 *   netstring       "<len>:<data>,"  (len decimal, no leading zeros)
 *   socketmap(5)    request  netstring("<name> <key>")
 *                   reply    netstring("OK <value>" | "NOTFOUND " |
 *                            "TEMP <why>" | "TIMEOUT <why>" | "PERM <why>")
 *   tcp_table(5)    request  "get <key>\n", key %XX-encoded
 *                   reply    "200 <value>\n" | "500 <text>\n" | "400 <text>\n",
 *                            value/text %XX-encoded
 */
#ifndef MK_NETSTRING_H
#define MK_NETSTRING_H

#include <stdbool.h>
#include <stddef.h>

#define MK_NETSTRING_DIGITS_MAX 9	/* 999,999,999: far above any limit we set */
#define MK_SOCKMAP_REQUEST_MAX 4096	/* bytes of a socketmap request payload */
#define MK_SOCKMAP_REPLY_MAX 100000	/* Postfix socketmap_max_reply default */
#define MK_SOCKMAP_NAME_MAX 64		/* map name */
#define MK_SOCKMAP_KEY_MAX 1024		/* lookup key */
#define MK_TCPTABLE_LINE_MAX 4096	/* bytes of a tcp_table request line */

struct mk_netstring {
	bool complete;		/* false: need more input (nothing else set) */
	const char *data;	/* points into buf */
	size_t len;
	size_t consumed;	/* bytes of buf used, including "len:" and "," */
};

/* Parse one netstring at the start of buf. 0 (complete or not yet), -1 on
 * a malformed one or a length above max (checked while reading digits). */
int mk_netstring_parse(const char *buf, size_t len, size_t max, struct mk_netstring *out,
    const char **why);
/* Write netstring(data) into out; *outlen set. 0 / -1 (does not fit). */
int mk_netstring_format(const char *data, size_t len, char *out, size_t outsz, size_t *outlen);

struct mk_map_request {
	char name[MK_SOCKMAP_NAME_MAX + 1];	/* socketmap only; "" for tcp_table */
	char key[MK_SOCKMAP_KEY_MAX + 1];	/* decoded, no NUL inside */
	size_t keylen;
};

enum mk_map_status {
	MK_MAP_OK,
	MK_MAP_NOTFOUND,
	MK_MAP_TEMP,
	MK_MAP_TIMEOUT,
	MK_MAP_PERM,
};

/* socketmap payload "name key": name [A-Za-z0-9_.-]{1,64}, key 1..1024 bytes without NUL. */
int mk_sockmap_request_parse(const char *buf, size_t len, struct mk_map_request *req,
    const char **why);
/* netstring("STATUS text") into out. NOTFOUND ignores text. 0 / -1. */
int mk_sockmap_reply_format(enum mk_map_status st, const char *text, char *out, size_t outsz,
    size_t *outlen);
const char *mk_map_status_name(enum mk_map_status st);

/* One tcp_table request line (without the '\n'; a trailing '\r' is dropped). */
int mk_tcptable_request_parse(const char *buf, size_t len, struct mk_map_request *req,
    const char **why);
/* "200 value\n" (OK), "500 text\n" (NOTFOUND), "400 text\n" (other) into out. */
int mk_tcptable_reply_format(enum mk_map_status st, const char *text, char *out, size_t outsz,
    size_t *outlen);
/* %XX decoding as tcp_table(5) does it. 0 / -1 (bad escape, NUL, too long). */
int mk_tcptable_decode(const char *in, size_t len, char *out, size_t outsz, size_t *outlen);

#endif
