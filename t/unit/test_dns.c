/*
 * t/unit/test_dns.c: lib/dns without a DNS server -- Resolver settings,
 * reverse names, status and type names, query-name validation (answered
 * with MK_DNS_ERROR before any packet is sent), async delivery of such
 * errors through the loop, and cancel.  Answers from a real server are
 * tested by t/integration/dns-resolve with the DNS fixture.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dns.h"
#include "tap.h"

static void
test_resolver_valid(void)
{
	static const struct {
		const char *s;
		int want;
	} cases[] = {
		{ "system", 0 },
		{ "System", 0 },
		{ " system ", 0 },
		{ "127.0.0.1", 0 },
		{ "127.0.0.1@5353", 0 },
		{ "127.0.0.1@1", 0 },			/* lowest port */
		{ "127.0.0.1@65535", 0 },		/* highest port */
		{ "127.0.0.1@00053", 0 },		/* 5 digits */
		{ "::1", 0 },
		{ "::1@53", 0 },
		{ "2001:db8::53@5353", 0 },
		{ "127.0.0.1,127.0.0.2@53", 0 },	/* OpenDKIM Nameservers */
		{ "127.0.0.1, ::1@5353", 0 },
		{ "127.0.0.1 127.0.0.2\t127.0.0.3", 0 },
		{ "1,2.0.0.2,3.0.0.3,4.0.0.4,5.0.0.5,6.0.0.6,7.0.0.7,8.0.0.8,"
		  "9.0.0.9,10.0.0.10,11.0.0.11,12.0.0.12,13.0.0.13,14.0.0.14,"
		  "15.0.0.15,16.0.0.16", -1 },		/* "1" is no address */
		{ "1.0.0.1,2.0.0.2,3.0.0.3,4.0.0.4,5.0.0.5,6.0.0.6,7.0.0.7,8.0.0.8,"
		  "9.0.0.9,10.0.0.10,11.0.0.11,12.0.0.12,13.0.0.13,14.0.0.14,"
		  "15.0.0.15,16.0.0.16", 0 },		/* 16: the maximum */
		{ "1.0.0.1,2.0.0.2,3.0.0.3,4.0.0.4,5.0.0.5,6.0.0.6,7.0.0.7,8.0.0.8,"
		  "9.0.0.9,10.0.0.10,11.0.0.11,12.0.0.12,13.0.0.13,14.0.0.14,"
		  "15.0.0.15,16.0.0.16,17.0.0.17", -1 },	/* one over */
		{ "", -1 },
		{ " ", -1 },
		{ ",", -1 },
		{ "[::1]:53", -1 },			/* bracket form: not accepted */
		{ "[::1]", -1 },
		{ "127.0.0.1:53", -1 },			/* the port goes after @ */
		{ "127.0.0.1@0", -1 },
		{ "127.0.0.1@65536", -1 },
		{ "127.0.0.1@000053", -1 },		/* 6 digits */
		{ "127.0.0.1@", -1 },
		{ "127.0.0.1@53x", -1 },
		{ "127.0.0.1@+53", -1 },
		{ "127.0.0.1@-1", -1 },
		{ "@53", -1 },
		{ "256.0.0.1", -1 },
		{ "127.0.0", -1 },
		{ "localhost", -1 },
		{ "garbage", -1 },
		{ "system,127.0.0.1", -1 },
		{ "system system", -1 },
		{ "127.0.0.1;127.0.0.2", -1 },
		{ "fe80::1%lo", -1 },
		{ "::1@53@53", -1 },
		{ "1234567890123456789012345678901234567890123456789012345678901234", -1 },
	};
	char err[256];
	size_t i;

	diag("Resolver forms: system | IP[@PORT] list; \"[::1]:53\" is refused "
	    "with a hint to write ::1@53 (unbound's own syntax, no ambiguity)");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		is_int(mk_dns_resolver_valid(cases[i].s, err, sizeof(err)), cases[i].want,
		    "resolver \"%.40s\" %s", cases[i].s, cases[i].want ? "invalid" : "valid");
		if (cases[i].want == -1)
			ok(err[0] != '\0', "resolver \"%.40s\": error says why: %s",
			    cases[i].s, err);
	}
	is_int(mk_dns_resolver_valid(NULL, err, sizeof(err)), -1, "resolver NULL invalid");
}

static void
test_reverse_name(void)
{
	static const struct {
		const char *ip;
		const char *want;
	} cases[] = {
		{ "192.0.2.1", "1.2.0.192.in-addr.arpa" },
		{ "127.0.0.1", "1.0.0.127.in-addr.arpa" },
		{ "0.0.0.0", "0.0.0.0.in-addr.arpa" },
		{ "255.255.255.255", "255.255.255.255.in-addr.arpa" },
		/* RFC 3596 2.5 example */
		{ "4321:0:1:2:3:4:567:89ab",
		  "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa" },
		{ "::1",
		  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa" },
		{ "2001:DB8::ABCD",
		  "d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" },
		/* IPv4-mapped: the IPv6 nibble form (callers unmap first) */
		{ "::ffff:192.0.2.1",
		  "1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa" },
		{ "", NULL },
		{ "1.2.3", NULL },
		{ "1.2.3.4.5", NULL },
		{ "1.2.3.256", NULL },
		{ " 1.2.3.4", NULL },
		{ "::g", NULL },
		{ "example.com", NULL },
		{ "[::1]", NULL },
	};
	char out[128];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(out, "untouched");
		rc = mk_dns_reverse_name(cases[i].ip, out, sizeof(out));
		if (cases[i].want != NULL) {
			is_int(rc, 0, "reverse %s: ok", cases[i].ip);
			is_str(out, cases[i].want, "reverse %s", cases[i].ip);
		} else
			is_int(rc, -1, "reverse \"%s\": invalid", cases[i].ip);
	}
	is_int(mk_dns_reverse_name(NULL, out, sizeof(out)), -1, "reverse NULL");
	/* "1.2.0.192.in-addr.arpa" is 22 octets: 23 fits exactly, 22 does not */
	is_int(mk_dns_reverse_name("192.0.2.1", out, 23), 0, "reverse: exact fit");
	is_str(out, "1.2.0.192.in-addr.arpa", "reverse: exact fit content");
	is_int(mk_dns_reverse_name("192.0.2.1", out, 22), -1, "reverse: one byte short");
	is_int(mk_dns_reverse_name("::1", out, 73), 0, "reverse v6: exact fit (72 + NUL)");
	is_int(mk_dns_reverse_name("::1", out, 72), -1, "reverse v6: one byte short");
}

static void
test_names(void)
{
	static const struct {
		int status;
		const char *want;
	} st[] = {
		{ MK_DNS_OK, "ok" },
		{ MK_DNS_NODATA, "nodata" },
		{ MK_DNS_NXDOMAIN, "nxdomain" },
		{ MK_DNS_SERVFAIL, "servfail" },
		{ MK_DNS_TIMEOUT, "timeout" },
		{ MK_DNS_ERROR, "error" },
		{ 99, "unknown" },
	};
	static const struct {
		const char *name;
		int want;
	} ty[] = {
		{ "A", MK_DNS_A }, { "a", MK_DNS_A }, { "AAAA", MK_DNS_AAAA },
		{ "aaaa", MK_DNS_AAAA }, { "Mx", MK_DNS_MX }, { "TXT", MK_DNS_TXT },
		{ "txt", MK_DNS_TXT }, { "PTR", MK_DNS_PTR }, { "SPF", -1 },
		{ "CNAME", -1 }, { "", -1 }, { "TXT ", -1 }, { "AA", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		is_str(mk_dns_status_name((enum mk_dns_status)st[i].status), st[i].want,
		    "status %d name", st[i].status);
	for (i = 0; i < sizeof(ty) / sizeof(ty[0]); i++)
		is_int(mk_dns_type_parse(ty[i].name), ty[i].want, "type parse \"%s\"", ty[i].name);
	is_int(mk_dns_type_parse(NULL), -1, "type parse NULL");
	is_str(mk_dns_type_name(MK_DNS_A), "A", "type name A");
	is_str(mk_dns_type_name(MK_DNS_AAAA), "AAAA", "type name AAAA");
	is_str(mk_dns_type_name(MK_DNS_MX), "MX", "type name MX");
	is_str(mk_dns_type_name(MK_DNS_TXT), "TXT", "type name TXT");
	is_str(mk_dns_type_name(MK_DNS_PTR), "PTR", "type name PTR");
	is_str(mk_dns_type_name((enum mk_dns_type)5), "unknown", "type name 5 (CNAME)");
}

/* n labels of 'a'..., each of len octets, joined by dots. */
static char *
make_name(size_t len, size_t n, const char *tail)
{
	char *s = malloc(n * (len + 1) + strlen(tail) + 1), *p = s;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(p, 'a', len);
		p += len;
		if (i + 1 < n || *tail != '\0')
			*p++ = '.';
	}
	strcpy(p, tail);
	return s;
}

/* A printable copy of a test name for TAP descriptions. */
static const char *
vis(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s != '\0' && n + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return buf;
}

static void
test_query_invalid(struct mk_dns *dns)
{
	static const struct {
		const char *name;
		const char *why;
	} bad[] = {
		{ "", "empty name" },
		{ ".", "empty label" },
		{ "..", "empty label" },
		{ "a..b", "empty label" },
		{ ".a", "empty label" },
		{ "a.b..", "empty label" },
	};
	struct mk_dns_answer *ans;
	char *name, v[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vis(bad[i].name, v, sizeof(v));
		ans = mk_dns_query(dns, bad[i].name, MK_DNS_TXT);
		is_int(ans != NULL ? (int)ans->status : -1, MK_DNS_ERROR, "query \"%s\": error", v);
		ok(ans != NULL && strstr(ans->why, bad[i].why) != NULL,
		    "query \"%s\": why \"%s\" (want \"%s\")", v,
		    ans != NULL ? ans->why : "", bad[i].why);
		ok(ans != NULL && ans->count == 0 && ans->rr == NULL, "query \"%s\": no records", v);
		mk_dns_answer_free(ans);
	}
	ans = mk_dns_query(dns, NULL, MK_DNS_A);
	is_int(ans != NULL ? (int)ans->status : -1, MK_DNS_ERROR, "query NULL name: error");
	mk_dns_answer_free(ans);

	/* label: 63 fits (RFC 1035 2.3.4), 64 does not */
	name = make_name(64, 1, "example.test");
	ans = mk_dns_query(dns, name, MK_DNS_A);
	is_int(ans->status, MK_DNS_ERROR, "label of 64 octets: error");
	ok(strstr(ans->why, "label longer than 63") != NULL, "label of 64: why: %s", ans->why);
	mk_dns_answer_free(ans);
	free(name);
	/* name: 4 x 63 + 3 dots = 255 > 253 */
	name = make_name(63, 4, "");
	ans = mk_dns_query(dns, name, MK_DNS_A);
	is_int(ans->status, MK_DNS_ERROR, "name of 255 octets: error");
	ok(strstr(ans->why, "longer than 253") != NULL, "name of 255: why: %s", ans->why);
	mk_dns_answer_free(ans);
	free(name);
	/* 254 octets: 3 x 63 + 3 dots + 62 */
	name = make_name(63, 3, "");
	name = realloc(name, 254 + 2);
	strcat(name, ".");
	memset(name + strlen(name), 'b', 62);
	name[254] = '\0';
	is_int(strlen(name), 254, "test name is 254 octets");
	ans = mk_dns_query(dns, name, MK_DNS_A);
	is_int(ans->status, MK_DNS_ERROR, "name of 254 octets: error");
	mk_dns_answer_free(ans);
	/* 254 with a trailing dot = 253 without: accepted (then it times
	 * out or fails at the closed port, but it is not a bad query) */
	name[253] = '.';
	ans = mk_dns_query(dns, name, MK_DNS_A);
	ok(ans->status != MK_DNS_ERROR, "name of 253 octets + trailing dot: not a bad query (%s: %s)",
	    mk_dns_status_name(ans->status), ans->why);
	mk_dns_answer_free(ans);
	free(name);

	ans = mk_dns_query(dns, "example.test", (enum mk_dns_type)5);
	is_int(ans->status, MK_DNS_ERROR, "unsupported type: error");
	mk_dns_answer_free(ans);
}

struct cb_state {
	int calls;
	enum mk_dns_status status;
};

static void
cb_record(struct mk_dns_answer *ans, void *arg)
{
	struct cb_state *st = arg;

	st->calls++;
	st->status = ans->status;
	mk_dns_answer_free(ans);
}

static void
test_async_invalid(struct mk_dns *dns)
{
	struct event_base *base = event_base_new();
	struct cb_state a = { 0, MK_DNS_OK }, b = { 0, MK_DNS_OK };
	uint64_t ida, idb;
	int i;

	ida = mk_dns_query_async(dns, base, "a..b", MK_DNS_TXT, cb_record, &a);
	idb = mk_dns_query_async(dns, base, "a..b", MK_DNS_TXT, cb_record, &b);
	ok(ida != 0 && idb != 0 && ida != idb, "async bad name: ids %llu %llu",
	    (unsigned long long)ida, (unsigned long long)idb);
	is_int(a.calls, 0, "async bad name: callback not called from inside the call");
	mk_dns_cancel(dns, idb);
	for (i = 0; i < 100 && a.calls == 0; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	is_int(a.calls, 1, "async bad name: callback called once from the loop");
	is_int(a.status, MK_DNS_ERROR, "async bad name: status error");
	event_base_loop(base, EVLOOP_NONBLOCK);
	is_int(b.calls, 0, "async bad name, cancelled: callback never called");
	mk_dns_cancel(dns, ida);	/* finished: no-op */
	mk_dns_cancel(dns, 0);
	mk_dns_cancel(dns, 12345678);
	mk_dns_cancel(NULL, 1);
	ok(1, "cancel of finished, zero and unknown ids is harmless");
	is_int(mk_dns_query_async(dns, base, "x.test", MK_DNS_A, NULL, NULL), 0,
	    "async without callback: 0");
	event_base_free(base);	/* nothing of dns is left on it */
	ok(1, "base freed after its queries finished");
}

int
main(void)
{
	struct mk_dns *dns;
	char err[256];

	test_resolver_valid();
	test_reverse_name();
	test_names();

	err[0] = '\0';
	ok(mk_dns_new("[::1]:53", 0, err, sizeof(err)) == NULL, "mk_dns_new bad resolver: NULL");
	ok(err[0] != '\0', "mk_dns_new bad resolver: error: %s", err);
	dns = mk_dns_new("system", 0, err, sizeof(err));
	ok(dns != NULL, "mk_dns_new system: %s", dns != NULL ? "ok" : err);
	ok(mk_dns_free(dns) == NULL, "mk_dns_free returns NULL");
	ok(mk_dns_free(NULL) == NULL, "mk_dns_free(NULL) is a no-op");
	ok(mk_dns_answer_free(NULL) == NULL, "mk_dns_answer_free(NULL) is a no-op");

	/* a closed loopback port: no server, nothing leaves the host */
	dns = mk_dns_new("127.0.0.1@1", 300, err, sizeof(err));
	ok(dns != NULL, "mk_dns_new 127.0.0.1@1: %s", dns != NULL ? "ok" : err);
	if (dns != NULL) {
		test_query_invalid(dns);
		test_async_invalid(dns);
		mk_dns_free(dns);
	}
	return done_testing();
}
