/*
 * t/unit/test_aliases.c: chasquid-style alias resolution: catch-all,
 * chains, loops, depth limit, drop characters, suffixes, several targets,
 * pipes, forward-via, case, parse errors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliases.h"
#include "tap.h"

static const char plain[] =
    "# plain.test: no catch-all\n"
    "pepe: jose\n"
    "flowers: rose@backgarden.test, lilly@pond.test,\n"
    "  first.last :  fl@remote.test  \n"
    "a+tag: tagged@remote.test\n"
    "chain1: chain2\n"
    "chain2: chain3\n"
    "chain3: end@remote.test\n"
    "loop1: loop2\n"
    "loop2: loop3\n"
    "loop3: loop1\n"
    "self: self, copy@remote.test\n"
    "tubo: | writemailto ../.data/pipe_alias_worked\n"
    "fw: out@remote.test via mx1.test/mx2.test\n"
    "Upper: Target@Remote.TEST\n"
    "wild: *@other.test\n"
    "dup: end@remote.test, chain3, END@remote.test\n"
    "d0: d1\nd1: d2\nd2: d3\nd3: d4\nd4: d5\nd5: d6\nd6: d7\nd7: d8\nd8: d9\nd9: d10\n"
    "d10: deepend@remote.test\n"
    "e2: d3\n"
    "mixed: pepe, tubo\n"
    "\xc3\xb1" "and\xc3\xba: azul\n";

static const char catchall[] =
    "*: i\n"
    "i: box@gmail.test\n"
    "postmaster: admin@remote.test\n";

struct want {
	const char *in;
	const char *out;	/* targets joined by " ", or NULL for an error */
	const char *why;
};

static void
join(const struct mk_alias_list *l, char *buf, size_t sz)
{
	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		const char *pfx = l->v[i].type == MK_ALIAS_PIPE ? "|" :
		    l->v[i].type == MK_ALIAS_FORWARD ? ">" : "";

		snprintf(buf + strlen(buf), sz - strlen(buf), "%s%s%s", i ? " " : "", pfx,
		    l->v[i].value);
	}
}

static void
check(const struct mk_aliases *a, const struct want *w, size_t n, unsigned flags)
{
	struct mk_alias_list l;
	const char *why = NULL;
	char got[4096];

	for (size_t i = 0; i < n; i++) {
		int rc = mk_aliases_resolve(a, w[i].in, strlen(w[i].in), flags, &l, &why);

		if (w[i].out == NULL) {
			is_int(rc, -1, "%s fails", w[i].in);
			is_str(rc == -1 ? why : "", w[i].why, "  reason");
			continue;
		}
		join(&l, got, sizeof(got));
		is_int(rc, 0, "%s resolves", w[i].in);
		is_str(got, w[i].out, "  targets of %s", w[i].in);
		mk_alias_list_clear(&l);
	}
}

static bool
exists_known(const char *user, const char *domain, void *arg)
{
	(void)arg;
	return strcmp(user, "known") == 0 && strcmp(domain, "catch.test") == 0;
}

static void
test_resolve(void)
{
	static const struct want w[] = {
		{ "pepe@plain.test", "jose@plain.test", NULL },
		{ "PePe@PLAIN.test", "jose@plain.test", NULL },
		{ "flowers@plain.test", "rose@backgarden.test lilly@pond.test", NULL },
		{ "first.last@plain.test", "fl@remote.test", NULL },
		{ "firstlast@plain.test", "fl@remote.test", NULL },
		{ "f.i.r.s.t.l.a.s.t+foo.bar@plain.test", "fl@remote.test", NULL },
		{ "First.Last+X@plain.test", "fl@remote.test", NULL },
		{ "a+tag@plain.test", "tagged@remote.test", NULL },
		{ "a+other@plain.test", "a@plain.test", NULL },
		{ "chain1@plain.test", "end@remote.test", NULL },
		{ "loop1@plain.test", NULL, "alias loop" },
		{ "loop2@plain.test", NULL, "alias loop" },
		{ "self@plain.test", "self@plain.test copy@remote.test", NULL },
		{ "fw@plain.test", ">out@remote.test", NULL },
		{ "upper@plain.test", "target@remote.test", NULL },
		{ "wild@plain.test", "wild@other.test", NULL },
		{ "dup@plain.test", "end@remote.test", NULL },
		{ "d0@plain.test", NULL, "recursion limit exceeded" },
		{ "d1@plain.test", NULL, "recursion limit exceeded" },
		{ "d2@plain.test", "deepend@remote.test", NULL },
		{ "e2@plain.test", "deepend@remote.test", NULL },
		{ "tubo@plain.test", "", NULL },
		{ "nobody@plain.test", "nobody@plain.test", NULL },
		{ "no.body+x@plain.test", "nobody@plain.test", NULL },
		{ "x@remote.test", "x@remote.test", NULL },
		{ "X.Y+z@Remote.test", "X.Y+z@Remote.test", NULL },
		{ "\xc3\xb1" "and\xc3\xba@plain.test", "azul@plain.test", NULL },
		{ "anything@catch.test", "box@gmail.test", NULL },
		{ "any.thing+tag@catch.test", "box@gmail.test", NULL },
		{ "i@catch.test", "box@gmail.test", NULL },
		{ "postmaster@catch.test", "admin@remote.test", NULL },
		{ "known@catch.test", "known@catch.test", NULL },
		{ "who@catch3.test", "i@catch3.test", NULL },
		{ "Some.One+x@catch2.test", "Some.One+x@gmail.test", NULL },
		{ "bob@full.test", "x@remote.test y@full.test", NULL },
		{ "carol@full.test", "catch@full.test", NULL },
		{ "noat", NULL, "bad address" },
		{ "@plain.test", NULL, "bad address" },
		{ "x@", NULL, "bad address" },
	};
	static const struct want wp[] = {
		{ "tubo@plain.test", "|writemailto ../.data/pipe_alias_worked", NULL },
		{ "mixed@plain.test", "jose@plain.test |writemailto ../.data/pipe_alias_worked",
		  NULL },
	};
	struct mk_aliases *a = mk_aliases_new(NULL, NULL);
	struct mk_alias_list l;
	const char *why;
	char err[512];

	is_int(mk_aliases_parse(a, "plain.test", plain, sizeof(plain) - 1, "plain", err,
	    sizeof(err)), 0, "parse plain.test aliases");
	is_int(mk_aliases_parse(a, "catch.test", catchall, sizeof(catchall) - 1, "catch", err,
	    sizeof(err)), 0, "parse catch.test aliases");
	is_int(mk_aliases_parse(a, "catch2.test", "*: *@gmail.test\n", 16, "c2", err,
	    sizeof(err)), 0, "parse catch2.test");
	is_int(mk_aliases_parse(a, "catch3.test", "*: i\r\n", 6, "c3", err, sizeof(err)), 0,
	    "parse catch3.test (CRLF)");
	is_int(mk_aliases_parse(a, NULL, "bob@full.test: x@remote.test, y\n# c\n"
	    "*@other.full.test: z\ncarol@full.test: catch\n", 79, "full", err, sizeof(err)), 0,
	    "parse full-address variant");
	ok(mk_aliases_is_local(a, "full.test") && mk_aliases_is_local(a, "other.full.test") &&
	    mk_aliases_is_local(a, "PLAIN.TEST") && !mk_aliases_is_local(a, "remote.test"),
	    "local domains");
	mk_aliases_set_exists(a, exists_known, NULL);
	check(a, w, sizeof(w) / sizeof(w[0]), 0);
	check(a, wp, sizeof(wp) / sizeof(wp[0]), MK_ALIAS_PIPES);

	is_int(mk_aliases_resolve(a, "tubo@plain.test", 15, 0, &l, &why), 0, "pipe skipped");
	is_int((int)l.pipes_skipped, 1, "  counted");
	mk_alias_list_clear(&l);
	mk_aliases_resolve(a, "fw@plain.test", 13, 0, &l, &why);
	is_str(l.n ? l.v[0].via : NULL, "mx1.test/mx2.test", "forward via hosts kept");
	mk_alias_list_clear(&l);
	mk_aliases_resolve(a, "zz@catch.test", 13, 0, &l, &why);
	ok(l.catchall, "catch-all flagged");
	mk_alias_list_clear(&l);
	mk_aliases_resolve(a, "nobody@plain.test", 17, 0, &l, &why);
	ok(mk_alias_list_is_identity(&l, "nobody@plain.test") && !l.catchall, "identity");
	mk_alias_list_clear(&l);
	is_int(mk_aliases_clean(a, "Fir.st+x@D.test", err, sizeof(err)), 0, "clean");
	is_str(err, "first@d.test", "  cleaned");
	mk_aliases_free(a);
}

static void
test_options(void)
{
	struct mk_aliases *a = mk_aliases_new("._", "-+");
	struct mk_aliases *none = mk_aliases_new("", "");
	static const struct want w[] = {
		{ "jo_h.n-list@o.test", "john@remote.test", NULL },
		{ "john+x@o.test", "john@remote.test", NULL },
	};
	static const struct want wn[] = {
		{ "jo.hn@o.test", "jo.hn@o.test", NULL },
		{ "john+x@o.test", "john+x@o.test", NULL },
		{ "john@o.test", "kept@remote.test", NULL },
	};
	char err[256];

	mk_aliases_parse(a, "o.test", "john: john@remote.test\n", 23, "o", err, sizeof(err));
	check(a, w, 2, 0);
	mk_aliases_parse(none, "o.test", "john: kept@remote.test\n", 23, "o", err, sizeof(err));
	check(none, wn, 3, 0);
	ok(mk_aliases_new("0123456789012345678901234567890123", NULL) == NULL, "too many drop chars");
	mk_aliases_free(a);
	mk_aliases_free(none);
	ok(mk_aliases_free(NULL) == NULL, "free(NULL)");
}

static void
test_parse_errors(void)
{
	static const struct { const char *dom, *text, *err; } v[] = {
		{ "d.test", "nocolon\n", "t:1: missing ':' in line" },
		{ "d.test", "# ok\n\na:\n", "t:3: missing address or alias" },
		{ "d.test", ": b\n", "t:1: missing address or alias" },
		{ "d.test", "a@b.test: c\n", "t:1: left side cannot contain '@'" },
		{ "d.test", "a: |  \n", "t:1: the pipe alias is missing a command" },
		{ "d.test", "a: b c\n", "t:1: bad address" },
		{ "d.test", "a: @x.test\n", "t:1: bad address" },
		{ "d.test", "a: x@\n", "t:1: bad address" },
		{ "d.test", "a: x via \n", "t:1: bad address" },
		{ "d.test", "a: x via a b\n", "t:1: forward alias without valid hosts after 'via'" },
		{ NULL, "bob: x\n", "t:1: left side must be user@domain" },
		{ "d.test", "a: b\nc: d\ne\n", "t:3: missing ':' in line" },
	};
	char err[512], *big;
	struct mk_aliases *a;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		a = mk_aliases_new(NULL, NULL);
		err[0] = '\0';
		is_int(mk_aliases_parse(a, v[i].dom, v[i].text, strlen(v[i].text), "t", err,
		    sizeof(err)), -1, "parse error %zu", i);
		is_str(err, v[i].err, "  message");
		mk_aliases_free(a);
	}
	a = mk_aliases_new(NULL, NULL);
	is_int(mk_aliases_parse(a, "d.test", "a: b\0\n", 6, "t", err, sizeof(err)), -1, "NUL");
	is_str(err, "t:1: NUL byte in line", "  message");
	big = malloc(MK_ALIAS_LINE_MAX + 10);
	memset(big, 'a', MK_ALIAS_LINE_MAX + 10);
	memcpy(big, "a: ", 3);
	is_int(mk_aliases_parse(a, "d.test", big, MK_ALIAS_LINE_MAX + 1, "t", err, sizeof(err)),
	    -1, "line one byte over the limit");
	is_str(err, "t:1: line too long", "  message");
	is_int(mk_aliases_parse(a, "d.test", big, MK_ALIAS_LINE_MAX, "t", err, sizeof(err)),
	    -1, "line of exactly the limit is read (then fails: address too long)");
	is_str(err, "t:1: address too long", "  message");
	free(big);
	is_int(mk_aliases_parse(a, "d.test", "", 0, "t", err, sizeof(err)), 0, "empty file");
	is_int(mk_aliases_parse(a, "d.test", "a: ,\n", 5, "t", err, sizeof(err)), 0,
	    "only commas: no alias");
	is_int((int)mk_aliases_count(a), 0, "  nothing stored");
	is_int(mk_aliases_parse(a, "d.test", "a: x\na: y\n", 10, "t", err, sizeof(err)), 0,
	    "repeated left side");
	is_int((int)mk_aliases_count(a), 1, "  replaced");
	mk_aliases_free(a);
}

static void
test_files(void)
{
	char dir[] = "/tmp/mailaka-aliases-XXXXXX", path[512], err[512];
	struct mk_aliases *a = mk_aliases_new(NULL, NULL);
	struct mk_alias_list l;
	const char *why;
	FILE *fp;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/example.test", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/empty.test", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/example.test/aliases", dir);
	fp = fopen(path, "w");
	fputs("*: i\ni: box@gmail.test\n", fp);
	fclose(fp);
	is_int(mk_aliases_load_dir(a, dir, err, sizeof(err)), 0, "load dir");
	ok(mk_aliases_is_local(a, "example.test") && mk_aliases_is_local(a, "empty.test"),
	    "domains from subdirectories (with or without aliases file)");
	is_int(mk_aliases_resolve(a, "x@example.test", 14, 0, &l, &why), 0, "resolve from dir");
	is_str(l.n ? l.v[0].value : NULL, "box@gmail.test", "  catch-all");
	mk_alias_list_clear(&l);
	is_int(mk_aliases_load_file(a, "x.test", "/nonexistent/aliases", err, sizeof(err)), 0,
	    "missing file is not an error");
	is_int(mk_aliases_load_dir(a, "/nonexistent", err, sizeof(err)), -1, "missing dir is");
	fp = fopen(path, "w");
	fputs("bad line\n", fp);
	fclose(fp);
	is_int(mk_aliases_load_file(a, "example.test", path, err, sizeof(err)), -1, "bad file");
	ok(strstr(err, "/example.test/aliases:1: missing ':'") != NULL, "  names file:line: %s",
	    err);
	unlink(path);
	snprintf(path, sizeof(path), "%s/example.test", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/empty.test", dir);
	rmdir(path);
	rmdir(dir);
	mk_aliases_free(a);
}

int
main(void)
{
	diag("chasquid-style aliases");
	test_resolve();
	test_options();
	test_parse_errors();
	test_files();
	return done_testing();
}
