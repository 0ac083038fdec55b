/*
 * t/unit/test_milter_proto.c: the milter protocol codec (lib/milter_proto.c):
 * frame splitting, round trips of every command and reply, byte-exact
 * encodings of known packets, and every malformed case we know of.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/milter_proto.h"
#include "tap.h"

/* Encode a command; decode its packet again; compare. */
static void
cmd_roundtrip(const struct mk_mp_cmd *c, const char *what)
{
	unsigned char buf[4096];
	struct mk_mp_cmd d;
	ssize_t n = mk_mp_cmd_encode(c, NULL, 0);
	size_t flen;
	int ok_ = 1;

	if (!ok(n > 0 && (size_t)n <= sizeof(buf), "%s: sized (%zd)", what, n))
		return;
	is_int(mk_mp_cmd_encode(c, buf, sizeof(buf)), n, "%s: encoded", what);
	is_int(mk_mp_cmd_encode(c, buf, (size_t)n - 1), n, "%s: one byte short: size still told",
	    what);
	is_int(mk_mp_frame(buf, (size_t)n, MK_MP_DATA_MAX, &flen), 0, "%s: frame", what);
	is_int(flen, n, "%s: frame length", what);
	if (mk_mp_cmd_decode(buf + 4, flen - 4, &d) != 0) {
		ok(0, "%s: decodes", what);
		return;
	}
	ok_ &= d.code == c->code && d.version == c->version && d.actions == c->actions &&
	    d.protocol == c->protocol && d.argc == c->argc && d.nmacros == c->nmacros &&
	    d.family == c->family && d.port == c->port && d.bodylen == c->bodylen &&
	    d.macro_cmd == c->macro_cmd;
	for (size_t i = 0; i < c->argc; i++)
		ok_ &= strcmp(d.argv[i], c->argv[i]) == 0;
	ok_ &= c->argc == 0 || d.argv[c->argc] == NULL;
	for (size_t i = 0; i < c->nmacros; i++)
		ok_ &= strcmp(d.macro_name[i], c->macro_name[i]) == 0 &&
		    strcmp(d.macro_value[i], c->macro_value[i]) == 0;
#define SEQ(f) ok_ &= (c->f == NULL) ? d.f == NULL : (d.f != NULL && strcmp(d.f, c->f) == 0)
	SEQ(host);
	SEQ(addr);
	SEQ(str);
	SEQ(name);
	SEQ(value);
#undef SEQ
	ok_ &= c->bodylen == 0 || memcmp(d.body, c->body, c->bodylen) == 0;
	ok(ok_, "%s: round trip", what);
}

static void
reply_roundtrip(const struct mk_mp_reply *r, const char *what)
{
	unsigned char buf[4096];
	struct mk_mp_reply d;
	ssize_t n = mk_mp_reply_encode(r, buf, sizeof(buf));
	int ok_ = 1;

	if (!ok(n > 4, "%s: encoded (%zd)", what, n))
		return;
	if (mk_mp_reply_decode(buf + 4, (size_t)n - 4, &d) != 0) {
		ok(0, "%s: decodes", what);
		return;
	}
	ok_ &= d.code == r->code && d.version == r->version && d.actions == r->actions &&
	    d.protocol == r->protocol && d.index == r->index && d.nsymlists == r->nsymlists &&
	    d.bodylen == r->bodylen;
	for (size_t i = 0; i < r->nsymlists; i++)
		ok_ &= d.symlist_stage[i] == r->symlist_stage[i] &&
		    strcmp(d.symlist[i], r->symlist[i]) == 0;
#define SEQ(f) ok_ &= (r->f == NULL) ? d.f == NULL : (d.f != NULL && strcmp(d.f, r->f) == 0)
	SEQ(text);
	SEQ(args);
	SEQ(name);
	SEQ(value);
#undef SEQ
	ok_ &= r->bodylen == 0 || memcmp(d.body, r->body, r->bodylen) == 0;
	ok(ok_, "%s: round trip", what);
}

static void
test_cmd_roundtrips(void)
{
	struct mk_mp_cmd c;
	static const int bare[] = { MK_MPC_ABORT, MK_MPC_EOH, MK_MPC_DATA, MK_MPC_QUIT,
	    MK_MPC_QUIT_NC };

	for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.code = bare[i];
		cmd_roundtrip(&c, mk_mp_cmd_name(bare[i]));
	}
	memset(&c, 0, sizeof(c));
	c.code = MK_MPC_OPTNEG;
	c.version = 6;
	c.actions = 0x1ff;
	c.protocol = 0x1fffff;
	cmd_roundtrip(&c, "optneg");
	memset(&c, 0, sizeof(c));
	c.code = MK_MPC_MACRO;
	c.macro_cmd = MK_MPC_MAIL;
	c.nmacros = 3;
	c.macro_name[0] = "i", c.macro_value[0] = "4Xyz";
	c.macro_name[1] = "{mail_addr}", c.macro_value[1] = "a@b.example";
	c.macro_name[2] = "{empty}", c.macro_value[2] = "";
	cmd_roundtrip(&c, "macro");
	c.nmacros = 0;
	cmd_roundtrip(&c, "macro without pairs");
	memset(&c, 0, sizeof(c));
	c.code = MK_MPC_CONNECT;
	c.host = "client.example";
	c.family = MK_MPA_INET;
	c.port = 25025;
	c.addr = "192.0.2.1";
	cmd_roundtrip(&c, "connect inet");
	c.family = MK_MPA_INET6;
	c.addr = "2001:db8::1";
	cmd_roundtrip(&c, "connect inet6");
	c.family = MK_MPA_UNIX;
	c.port = 0;
	c.addr = "/run/sock";
	cmd_roundtrip(&c, "connect unix");
	c.family = MK_MPA_UNKNOWN;
	c.addr = NULL;
	cmd_roundtrip(&c, "connect unknown family");
	memset(&c, 0, sizeof(c));
	c.code = MK_MPC_HELO;
	c.str = "mx.example";
	cmd_roundtrip(&c, "helo");
	c.code = MK_MPC_UNKNOWN;
	c.str = "XFOO bar";
	cmd_roundtrip(&c, "unknown");
	memset(&c, 0, sizeof(c));
	c.code = MK_MPC_MAIL;
	c.argc = 3;
	c.argv[0] = "<a@b.example>", c.argv[1] = "SIZE=100", c.argv[2] = "BODY=8BITMIME";
	cmd_roundtrip(&c, "mail with args");
	c.code = MK_MPC_RCPT;
	c.argc = 1;
	c.argv[0] = "<>";
	c.argv[1] = NULL;
	cmd_roundtrip(&c, "rcpt");
	memset(&c, 0, sizeof(c));
	c.code = MK_MPC_HEADER;
	c.name = "Subject";
	c.value = " hello\r\n\tworld";
	cmd_roundtrip(&c, "header");
	c.value = "";
	cmd_roundtrip(&c, "header with empty value");
	memset(&c, 0, sizeof(c));
	c.code = MK_MPC_BODY;
	c.body = (const unsigned char *)"line\r\n\0binary";
	c.bodylen = 14;
	cmd_roundtrip(&c, "body with a NUL byte");
	c.code = MK_MPC_BODYEOB;
	cmd_roundtrip(&c, "eob with a last chunk");
	c.bodylen = 0;
	c.body = NULL;
	cmd_roundtrip(&c, "eob empty");
}

static void
test_reply_roundtrips(void)
{
	struct mk_mp_reply r;
	static const int bare[] = { MK_MPR_SHUTDOWN, MK_MPR_ACCEPT, MK_MPR_CONTINUE,
	    MK_MPR_DISCARD, MK_MPR_CONN_FAIL, MK_MPR_PROGRESS, MK_MPR_REJECT, MK_MPR_SKIP,
	    MK_MPR_TEMPFAIL };

	for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.code = bare[i];
		reply_roundtrip(&r, mk_mp_reply_name(bare[i]));
	}
	memset(&r, 0, sizeof(r));
	r.code = MK_MPR_OPTNEG;
	r.version = 6;
	r.actions = MK_MPM_EOH;
	r.protocol = 0x100000;
	reply_roundtrip(&r, "optneg reply");
	r.nsymlists = 2;
	r.symlist_stage[0] = MK_MPM_CONNECT, r.symlist[0] = "j {daemon_name}";
	r.symlist_stage[1] = MK_MPM_EOM, r.symlist[1] = "i";
	reply_roundtrip(&r, "optneg reply with SETSYMLIST");
	memset(&r, 0, sizeof(r));
	r.code = MK_MPR_REPLYCODE;
	r.text = "550 5.7.1 go away";
	reply_roundtrip(&r, "replycode");
	r.code = MK_MPR_QUARANTINE;
	r.text = "looks odd";
	reply_roundtrip(&r, "quarantine");
	r.code = MK_MPR_ADDRCPT;
	r.text = "<x@y.example>";
	reply_roundtrip(&r, "addrcpt");
	r.code = MK_MPR_DELRCPT;
	reply_roundtrip(&r, "delrcpt");
	r.code = MK_MPR_ADDRCPT_PAR;
	r.args = "NOTIFY=NEVER";
	reply_roundtrip(&r, "addrcpt_par");
	r.code = MK_MPR_CHGFROM;
	reply_roundtrip(&r, "chgfrom with args");
	r.args = NULL;
	reply_roundtrip(&r, "chgfrom without args");
	memset(&r, 0, sizeof(r));
	r.code = MK_MPR_ADDHEADER;
	r.name = "X-A";
	r.value = " v";
	reply_roundtrip(&r, "addheader");
	r.code = MK_MPR_INSHEADER;
	r.index = 0;
	reply_roundtrip(&r, "insheader at 0");
	r.code = MK_MPR_CHGHEADER;
	r.index = 0xffffffffU;
	r.value = "";
	reply_roundtrip(&r, "chgheader (delete), index 2^32-1");
	memset(&r, 0, sizeof(r));
	r.code = MK_MPR_REPLBODY;
	r.body = (const unsigned char *)"new body\r\n";
	r.bodylen = 10;
	reply_roundtrip(&r, "replbody");
}

/* Known bytes, written by hand from the protocol description. */
static void
test_exact_bytes(void)
{
	static const unsigned char optneg[] = { 0, 0, 0, 13, 'O', 0, 0, 0, 6, 0, 0, 1, 0xff,
	    0, 0x1f, 0xff, 0xff };
	static const unsigned char hdr[] = { 0, 0, 0, 9, 'h', 'X', '-', 'A', 0, ' ', 'v', 'w', 0 };
	unsigned char buf[64];
	struct mk_mp_cmd c = { .code = MK_MPC_OPTNEG, .version = 6, .actions = 0x1ff,
	    .protocol = 0x1fffff };
	struct mk_mp_reply r = { .code = MK_MPR_ADDHEADER, .name = "X-A", .value = " vw" };

	ok(mk_mp_cmd_encode(&c, buf, sizeof(buf)) == (ssize_t)sizeof(optneg) &&
	    memcmp(buf, optneg, sizeof(optneg)) == 0, "optneg: the bytes libmilter expects");
	ok(mk_mp_reply_encode(&r, buf, sizeof(buf)) == (ssize_t)sizeof(hdr) &&
	    memcmp(buf, hdr, sizeof(hdr)) == 0, "addheader: the bytes an MTA expects");
}

static void
test_frames(void)
{
	static const struct {
		unsigned char b[5];
		size_t len, max;
		int rc;
		size_t flen;
		const char *name;
	} cases[] = {
		{ { 0, 0, 0 }, 3, 100, 0, 0, "3 bytes: need more" },
		{ { 0, 0, 0, 0 }, 4, 100, -1, 0, "length 0: error" },
		{ { 0, 0, 0, 1, 'A' }, 5, 100, 0, 5, "length 1, complete" },
		{ { 0, 0, 0, 2, 'A' }, 5, 100, 0, 6, "length 2, 1 byte there: frame size told" },
		{ { 0, 0, 0, 100 }, 4, 100, 0, 104, "length = max: accepted" },
		{ { 0, 0, 0, 101 }, 4, 100, -1, 0, "length = max + 1: error" },
		{ { 0xff, 0xff, 0xff, 0xff }, 4, MK_MP_DATA_MAX, -1, 0, "length 2^32-1: error" },
		{ { 0x80, 0, 0, 0 }, 4, MK_MP_DATA_MAX, -1, 0, "length 2^31: error" },
	};
	size_t flen;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(mk_mp_frame(cases[i].b, cases[i].len, cases[i].max, &flen), cases[i].rc,
		    "frame: %s", cases[i].name);
		if (cases[i].rc == 0)
			is_int(flen, cases[i].flen, "frame: %s: size", cases[i].name);
	}
}

#define P(s) (const unsigned char *)(s), sizeof(s) - 1

static void
test_bad_cmds(void)
{
	static const struct {
		const unsigned char *p;
		size_t len;
		const char *name;
	} cases[] = {
		{ P(""), "empty packet" },
		{ P("Z"), "unknown command" },
		{ P("\0"), "command byte 0" },
		{ P("A\0"), "abort with data" },
		{ P("N\0"), "eoh with data" },
		{ P("Q\1"), "quit with data" },
		{ P("O\0\0\0\6\0\0\1\xff"), "optneg: 8 bytes" },
		{ P("O\0\0\0\6\0\0\1\xff\0\0\0\0\0"), "optneg: 13 bytes" },
		{ P("Chost"), "connect: host without NUL" },
		{ P("Chost\0"), "connect: no family" },
		{ P("Chost\0X"), "connect: unknown family" },
		{ P("Chost\0U\0"), "connect: family U with trailing bytes" },
		{ P("Chost\0" "4\0"), "connect: port cut" },
		{ P("Chost\0" "4\0\x19"), "connect: no address" },
		{ P("Chost\0" "4\0\x19" "1.2.3.4"), "connect: address without NUL" },
		{ P("Chost\0" "4\0\x19" "1.2.3.4\0x"), "connect: trailing bytes" },
		{ P("D"), "macro: no command" },
		{ P("DZ"), "macro: unknown command" },
		{ P("DMi\0"), "macro: name without value" },
		{ P("DMi\0v"), "macro: value without NUL" },
		{ P("Hmx"), "helo without NUL" },
		{ P("H"), "helo empty packet" },
		{ P("Hmx\0extra\0"), "helo with a second string" },
		{ P("M"), "mail without address" },
		{ P("M<a@b>"), "mail without NUL" },
		{ P("M<a@b>\0SIZE=1"), "mail: argument without NUL" },
		{ P("LSubject\0"), "header without value" },
		{ P("LSubject\0v"), "header: value without NUL" },
		{ P("LSubject\0v\0x\0"), "header with a third string" },
		{ P("U"), "unknown: no string" },
		{ P("T\0"), "data with data" },
	};
	struct mk_mp_cmd c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(mk_mp_cmd_decode(cases[i].p, cases[i].len, &c), -1, "bad command: %s",
		    cases[i].name);
}

static void
test_limits(void)
{
	unsigned char buf[4 + 1 + (MK_MP_ARGV_MAX + 1) * 4 + 2 * (MK_MP_MACROS_MAX + 1) * 3];
	struct mk_mp_cmd c;
	size_t n;

	/* MAIL with exactly MK_MP_ARGV_MAX strings, then one more */
	buf[0] = 'M';
	n = 1;
	for (int i = 0; i < MK_MP_ARGV_MAX; i++) {
		memcpy(buf + n, "a=", 3);
		n += 3;
	}
	is_int(mk_mp_cmd_decode(buf, n, &c), 0, "mail with %d strings: accepted", MK_MP_ARGV_MAX);
	is_int(c.argc, MK_MP_ARGV_MAX, "  all of them");
	ok(c.argv[MK_MP_ARGV_MAX] == NULL, "  argv NULL-terminated");
	memcpy(buf + n, "a=", 3);
	is_int(mk_mp_cmd_decode(buf, n + 3, &c), -1, "mail with %d strings: refused",
	    MK_MP_ARGV_MAX + 1);
	buf[0] = 'D';
	buf[1] = 'C';
	n = 2;
	for (int i = 0; i < MK_MP_MACROS_MAX; i++) {
		memcpy(buf + n, "a\0b", 4);
		n += 4;
	}
	is_int(mk_mp_cmd_decode(buf, n, &c), 0, "%d macros: accepted", MK_MP_MACROS_MAX);
	memcpy(buf + n, "a\0b", 4);
	is_int(mk_mp_cmd_decode(buf, n + 4, &c), -1, "%d macros: refused", MK_MP_MACROS_MAX + 1);
}

static void
test_bad_replies(void)
{
	static const struct {
		const unsigned char *p;
		size_t len;
		const char *name;
	} cases[] = {
		{ P(""), "empty" },
		{ P("Z"), "unknown reply" },
		{ P("c\0"), "continue with data" },
		{ P("y250 ok\0"), "replycode 250" },
		{ P("y55\0"), "replycode 2 digits" },
		{ P("y550x\0"), "replycode 550x" },
		{ P("y550 text"), "replycode without NUL" },
		{ P("q"), "quarantine without reason" },
		{ P("hX-A\0"), "addheader without value" },
		{ P("i\0\0\0"), "insheader: index cut" },
		{ P("m\0\0\0\1X\0"), "chgheader without value" },
		{ P("e"), "chgfrom without address" },
		{ P("e<a>\0args"), "chgfrom: args without NUL" },
		{ P("e<a>\0args\0x\0"), "chgfrom: a third string" },
		{ P("O\0\0\0\6\0\0\0\0"), "optneg reply cut" },
		{ P("O\0\0\0\6\0\0\0\0\0\0\0\0\0\0\0\0"), "optneg symlist: no list" },
		{ P("O\0\0\0\6\0\0\0\0\0\0\0\0\0\0\0\7j\0"), "optneg symlist: stage 7" },
		{ P("O\0\0\0\6\0\0\0\0\0\0\0\0\0\0\0\1j"), "optneg symlist without NUL" },
		{ P("l\0\0\0\1j\0"), "setsymlist outside optneg" },
	};
	struct mk_mp_reply r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(mk_mp_reply_decode(cases[i].p, cases[i].len, &r), -1, "bad reply: %s",
		    cases[i].name);
	ok(mk_mp_replycode_is_valid("451") && mk_mp_replycode_is_valid("550-multi") &&
	    !mk_mp_replycode_is_valid("350 x") && !mk_mp_replycode_is_valid(""),
	    "replycode check: 451, 550-, not 350 or empty");
}

static void
test_bad_encodes(void)
{
	struct mk_mp_cmd c;
	struct mk_mp_reply r;

	memset(&c, 0, sizeof(c));
	c.code = 'Z';
	is_int(mk_mp_cmd_encode(&c, NULL, 0), -1, "encode: unknown command");
	c.code = MK_MPC_HELO;
	is_int(mk_mp_cmd_encode(&c, NULL, 0), -1, "encode: helo with NULL string");
	c.code = MK_MPC_MAIL;
	is_int(mk_mp_cmd_encode(&c, NULL, 0), -1, "encode: mail with no argv");
	c.code = MK_MPC_MACRO;
	c.macro_cmd = 'Z';
	is_int(mk_mp_cmd_encode(&c, NULL, 0), -1, "encode: macro for an unknown command");
	c.code = MK_MPC_CONNECT;
	c.host = "h";
	c.family = 'X';
	c.addr = "a";
	is_int(mk_mp_cmd_encode(&c, NULL, 0), -1, "encode: connect, unknown family");
	memset(&r, 0, sizeof(r));
	r.code = MK_MPR_REPLYCODE;
	r.text = "250 ok";
	is_int(mk_mp_reply_encode(&r, NULL, 0), -1, "encode: replycode 250");
	r.code = MK_MPR_ADDHEADER;
	r.name = "X";
	r.value = NULL;
	is_int(mk_mp_reply_encode(&r, NULL, 0), -1, "encode: addheader, NULL value");
	r.code = MK_MPR_SETSYMLIST;
	is_int(mk_mp_reply_encode(&r, NULL, 0), -1, "encode: setsymlist alone");
	memset(&r, 0, sizeof(r));
	r.code = MK_MPR_OPTNEG;
	r.nsymlists = MK_MP_SYMLISTS_MAX + 1;
	is_int(mk_mp_reply_encode(&r, NULL, 0), -1, "encode: too many symlists");
}

int
main(void)
{
	test_frames();
	test_cmd_roundtrips();
	test_reply_roundtrips();
	test_exact_bytes();
	test_bad_cmds();
	test_limits();
	test_bad_replies();
	test_bad_encodes();
	is_str(mk_mp_cmd_name('?'), "?", "name of an unknown command");
	return done_testing();
}
