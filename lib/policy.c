/*
 * lib/policy.c: Postfix policy delegation protocol framing, parsing and
 * reply formatting.  Pure functions of their arguments.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include "policy.h"

size_t
mk_policy_frame(const char *buf, size_t len)
{
	size_t i;

	/* An empty line: a '\n' followed by an optional '\r' and a '\n'.  A
	 * request that starts with an empty line is an empty request. */
	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	if (len >= 1 && buf[0] == '\n')
		return 1;
	if (len >= 2 && buf[0] == '\r' && buf[1] == '\n')
		return 2;
	return 0;
}

struct policy_field {
	const char *name;
	size_t off;
	size_t size;
};

#define FIELD(n) { #n, offsetof(struct mk_policy_req, n), sizeof(((struct mk_policy_req *)0)->n) }
static const struct policy_field policy_fields[] = {
	FIELD(request),
	FIELD(protocol_state),
	FIELD(protocol_name),
	FIELD(helo_name),
	FIELD(queue_id),
	FIELD(sender),
	FIELD(recipient),
	FIELD(client_address),
	FIELD(client_name),
	FIELD(reverse_client_name),
	FIELD(instance),
	FIELD(sasl_method),
	FIELD(sasl_username),
	FIELD(sasl_sender),
	{ NULL, 0, 0 },
};
#undef FIELD

/* Store one "name=value" line (no newline, no CR). */
static int
policy_line(const char *line, size_t len, struct mk_policy_req *out, const char **why)
{
	const char *eq = memchr(line, '=', len);
	const struct policy_field *f;
	size_t nlen, vlen;

	if (eq == NULL) {
		*why = "line without '='";
		return -1;
	}
	nlen = (size_t)(eq - line);
	vlen = len - nlen - 1;
	if (nlen == 0) {
		*why = "empty attribute name";
		return -1;
	}
	if (++out->nattrs > MK_POLICY_ATTRS_MAX) {
		*why = "too many attributes";
		return -1;
	}
	for (f = policy_fields; f->name != NULL; f++) {
		if (strlen(f->name) == nlen && memcmp(f->name, line, nlen) == 0)
			break;
	}
	if (f->name == NULL) {
		out->nunknown++;
		return 0;
	}
	if (vlen >= f->size) {
		*why = "attribute value too long";
		return -1;
	}
	memcpy((char *)out + f->off, eq + 1, vlen);
	((char *)out + f->off)[vlen] = '\0';
	return 0;
}

int
mk_policy_parse(const char *buf, size_t len, struct mk_policy_req *out, const char **why)
{
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	if (len > MK_POLICY_REQUEST_MAX) {
		*why = "request too long";
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		*why = "NUL byte in request";
		return -1;
	}
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;

		pos += llen + (nl ? 1 : 0);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen > MK_POLICY_LINE_MAX) {
			*why = "line too long";
			return -1;
		}
		if (llen == 0) {
			if (pos < len) {
				/* only line endings may follow the empty line */
				size_t k;
				for (k = pos; k < len; k++) {
					if (buf[k] != '\n' && buf[k] != '\r') {
						*why = "data after the end of the request";
						return -1;
					}
				}
			}
			break;
		}
		if (policy_line(line, llen, out, why) == -1)
			return -1;
	}
	return 0;
}

int
mk_policy_check(const struct mk_policy_req *req, const char **why)
{
	unsigned char a[sizeof(struct in6_addr)];

	if (req->nattrs == 0) {
		*why = "empty request";
		return -1;
	}
	if (strcmp(req->request, "smtpd_access_policy") != 0) {
		*why = req->request[0] ? "unsupported request type" : "missing request attribute";
		return -1;
	}
	if (req->client_address[0] == '\0') {
		*why = "missing client_address";
		return -1;
	}
	if (inet_pton(AF_INET, req->client_address, a) != 1 &&
	    inet_pton(AF_INET6, req->client_address, a) != 1) {
		*why = "client_address is not an IP address";
		return -1;
	}
	return 0;
}

size_t
mk_policy_reply(const char *action, char *out, size_t outsz)
{
	static const char pre[] = "action=";
	size_t n = 0, room;
	const unsigned char *p;

	if (outsz < sizeof(pre) + 2)
		return 0;
	memcpy(out, pre, sizeof(pre) - 1);
	n = sizeof(pre) - 1;
	room = outsz - 3;	/* "\n\n" and NUL */
	for (p = (const unsigned char *)action; *p != '\0' && n < room; p++) {
		if (*p == '\r' || *p == '\n' || *p == '\t')
			out[n++] = ' ';
		else if (*p >= 0x20 && *p != 0x7f)
			out[n++] = (char)*p;
	}
	out[n++] = '\n';
	out[n++] = '\n';
	out[n] = '\0';
	return n;
}
