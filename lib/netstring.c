/*
 * lib/netstring.c: netstring, socketmap and tcp_table codecs (see netstring.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "netstring.h"

int
mk_netstring_parse(const char *buf, size_t len, size_t max, struct mk_netstring *out,
    const char **why)
{
	size_t i = 0, n = 0;

	memset(out, 0, sizeof(*out));
	for (; i < len && buf[i] != ':'; i++) {
		if (!isdigit((unsigned char)buf[i]))
			return *why = "netstring: bad length", -1;
		if (i == 1 && buf[0] == '0')
			return *why = "netstring: leading zero", -1;
		if (i >= MK_NETSTRING_DIGITS_MAX)
			return *why = "netstring: length too long", -1;
		n = n * 10 + (size_t)(buf[i] - '0');
		if (n > max)
			return *why = "netstring: too large", -1;
	}
	if (i == len)
		return 0;	/* need more (no ':' yet) */
	if (i == 0)
		return *why = "netstring: empty length", -1;
	i++;	/* ':' */
	if (len - i < n + 1)
		return 0;
	if (buf[i + n] != ',')
		return *why = "netstring: missing comma", -1;
	out->complete = true;
	out->data = buf + i;
	out->len = n;
	out->consumed = i + n + 1;
	return 0;
}

int
mk_netstring_format(const char *data, size_t len, char *out, size_t outsz, size_t *outlen)
{
	int h = snprintf(out, outsz, "%zu:", len);

	if (h < 0 || (size_t)h >= outsz || outsz - (size_t)h < len + 1)
		return -1;
	memcpy(out + h, data, len);
	out[(size_t)h + len] = ',';
	*outlen = (size_t)h + len + 1;
	return 0;
}

static bool
name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

int
mk_sockmap_request_parse(const char *buf, size_t len, struct mk_map_request *req,
    const char **why)
{
	const char *sp = memchr(buf, ' ', len);
	size_t nlen, klen;

	memset(req, 0, sizeof(*req));
	if (sp == NULL)
		return *why = "socketmap: no space between name and key", -1;
	nlen = (size_t)(sp - buf);
	klen = len - nlen - 1;
	if (nlen == 0 || nlen > MK_SOCKMAP_NAME_MAX)
		return *why = "socketmap: bad map name length", -1;
	for (size_t i = 0; i < nlen; i++)
		if (!name_char(buf[i]))
			return *why = "socketmap: bad character in map name", -1;
	if (klen == 0)
		return *why = "socketmap: empty key", -1;
	if (klen > MK_SOCKMAP_KEY_MAX)
		return *why = "socketmap: key too long", -1;
	if (memchr(sp + 1, '\0', klen) != NULL)
		return *why = "socketmap: NUL in key", -1;
	memcpy(req->name, buf, nlen);
	memcpy(req->key, sp + 1, klen);
	req->keylen = klen;
	return 0;
}

const char *
mk_map_status_name(enum mk_map_status st)
{
	switch (st) {
	case MK_MAP_OK: return "OK";
	case MK_MAP_NOTFOUND: return "NOTFOUND";
	case MK_MAP_TEMP: return "TEMP";
	case MK_MAP_TIMEOUT: return "TIMEOUT";
	case MK_MAP_PERM: return "PERM";
	}
	return "PERM";
}

int
mk_sockmap_reply_format(enum mk_map_status st, const char *text, char *out, size_t outsz,
    size_t *outlen)
{
	const char *name = mk_map_status_name(st);
	size_t plen;
	int n;

	if (st == MK_MAP_NOTFOUND || text == NULL)
		text = "";
	plen = strlen(name) + 1 + strlen(text);
	if (plen > MK_SOCKMAP_REPLY_MAX)
		return -1;
	n = snprintf(out, outsz, "%zu:%s %s,", plen, name, text);
	if (n < 0 || (size_t)n >= outsz)
		return -1;
	*outlen = (size_t)n;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mk_tcptable_decode(const char *in, size_t len, char *out, size_t outsz, size_t *outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len || (hi = hexval(in[i + 1])) < 0 ||
			    (lo = hexval(in[i + 2])) < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || n + 1 >= outsz)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	*outlen = n;
	return 0;
}

int
mk_tcptable_request_parse(const char *buf, size_t len, struct mk_map_request *req,
    const char **why)
{
	memset(req, 0, sizeof(*req));
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > MK_TCPTABLE_LINE_MAX)
		return *why = "tcp_table: line too long", -1;
	if (len >= 4 && strncasecmp(buf, "put ", 4) == 0)
		return *why = "tcp_table: put is not supported", -1;
	if (len < 4 || strncasecmp(buf, "get ", 4) != 0)
		return *why = "tcp_table: expected \"get KEY\"", -1;
	if (len == 4)
		return *why = "tcp_table: empty key", -1;
	if (mk_tcptable_decode(buf + 4, len - 4, req->key, sizeof(req->key), &req->keylen) == -1)
		return *why = "tcp_table: bad key encoding or too long", -1;
	return 0;
}

int
mk_tcptable_reply_format(enum mk_map_status st, const char *text, char *out, size_t outsz,
    size_t *outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *code = st == MK_MAP_OK ? "200 " : st == MK_MAP_NOTFOUND ? "500 " : "400 ";
	size_t n = 4;

	if (outsz < 6)
		return -1;
	memcpy(out, code, 4);
	for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
		bool enc = *p <= ' ' || *p >= 127 || *p == '%';

		if (n + (enc ? 3 : 1) + 2 > outsz)
			return -1;
		if (enc) {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		} else {
			out[n++] = (char)*p;
		}
	}
	out[n++] = '\n';
	out[n] = '\0';
	*outlen = n;
	return 0;
}
