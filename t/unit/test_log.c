/*
 * t/unit/test_log.c: lib/log.c — escaping, key=value lines, redaction,
 * truncation, levels, stderr format, threads, mk_fatal and mk_panic.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/wait.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

#define SINK_MAX 16

/* What the sink saw; the sink runs under the log mutex. */
static struct {
	char			lines[SINK_MAX][MK_LOG_LINE_MAX];
	enum mk_log_level	levels[SINK_MAX];
	int			n;
	long			total;
	long			bad;
} seen;

static void
sink(enum mk_log_level level, const char *line, void *arg)
{
	(void)arg;
	if (seen.n < SINK_MAX) {
		snprintf(seen.lines[seen.n], sizeof(seen.lines[0]), "%s", line);
		seen.levels[seen.n] = level;
	}
	seen.n++;
	seen.total++;
}

static void
sink_reset(void)
{
	memset(&seen, 0, sizeof(seen));
}

static const char *
last(void)
{
	if (seen.n == 0 || seen.n > SINK_MAX)
		return NULL;
	return seen.lines[seen.n - 1];
}

/* Escaped copy of s for a TAP diagnostic (one line). */
static const char *
show(const char *s)
{
	static char buf[4096];

	if (s == NULL)
		return "(null)";
	return mk_log_escape(s, strlen(s), buf, sizeof(buf));
}

static void
test_escape(void)
{
	static const struct {
		const char	*in;
		size_t		 inlen;
		size_t		 outsz;
		const char	*want;
		const char	*name;
	} cases[] = {
		{ "abc", 3, 16, "abc", "plain" },
		{ "", 0, 16, "", "empty" },
		{ NULL, 0, 8, "", "NULL input" },
		{ "a\"b\\c", 5, 16, "a\\\"b\\\\c", "quote and backslash" },
		{ "\n\r\t\x7f", 4, 32, "\\x0a\\x0d\\x09\\x7f", "control chars" },
		{ "\xc3\xa9t\xc3\xa9", 5, 32, "\\xc3\\xa9t\\xc3\\xa9", "8-bit" },
		{ "a\0b", 3, 16, "a\\x00b", "NUL inside" },
		{ "abc\0def", 2, 16, "ab", "cut at inlen" },
		{ "a b", 3, 16, "a b", "space kept" },
		{ "abcde", 5, 6, "abcde", "exact fit" },
		{ "abcdef", 6, 6, "ab...", "one byte over" },
		{ "abcdef", 6, 4, "...", "only dots fit" },
		{ "abcdef", 6, 3, "..", "two dots" },
		{ "abcdef", 6, 2, ".", "one dot" },
		{ "abcdef", 6, 1, "", "no room" },
		{ "ab\n", 3, 7, "ab\\x0a", "escape exact fit" },
		{ "ab\n", 3, 6, "ab...", "escape one over" },
		{ "\n\n", 2, 8, "\\x0a...", "escape not split" },
		{ "\n\n", 2, 9, "\\x0a\\x0a", "two escapes exact" },
		{ "\"", 1, 2, ".", "two-byte escape, no room" },
		{ "\"", 1, 3, "\\\"", "two-byte escape, exact" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'Z', sizeof(out));
		mk_log_escape(cases[i].in, cases[i].inlen, out, cases[i].outsz);
		is_str(out, cases[i].want, "escape: %s", cases[i].name);
		ok(strlen(out) < cases[i].outsz,
		    "escape: %s: fits (len %zu, outsz %zu)", cases[i].name,
		    strlen(out), cases[i].outsz);
	}
	memset(out, 'Z', sizeof(out));
	ok(mk_log_escape("abc", 3, out, 0) == out && out[0] == 'Z',
	    "escape: outsz 0 writes nothing");
}

static void
test_secret(void)
{
	static const struct {
		const char	*key;
		bool		 want;
	} cases[] = {
		{ "password", true }, { "Password", true },
		{ "sasl_password", true }, { "passwd", true },
		{ "pass", true }, { "smtp_pass", true }, { "pw", true },
		{ "pwd", true }, { "psk", true }, { "passphrase", true },
		{ "secret", true }, { "srs_secret", true }, { "SRS-Secret", true },
		{ "key", true }, { "privkey", true }, { "private_key", true },
		{ "dkim-key", true }, { "hmac_key", true }, { "api_token", true },
		{ "credentials", true }, { "auth_cookie", true },
		{ "keyfile", false }, { "KeyTable", false }, { "selector", false },
		{ "d", false }, { "passed", false }, { "authserv_id", false },
		{ "action", false }, { "from", false }, { "", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(mk_log_key_is_secret(cases[i].key), cases[i].want,
		    "secret: \"%s\"", cases[i].key);
}

static void
test_kv(void)
{
	static const struct {
		const char	*id;
		const char	*key;
		const char	*val;
		const char	*want;
	} cases[] = {
		{ "1a2b", "action", "sign", "1a2b action=sign" },
		{ NULL, "action", "sign", "- action=sign" },
		{ "", "action", "sign", "- action=sign" },
		{ "1a2b", "reason", "bad signature", "1a2b reason=\"bad signature\"" },
		{ "1a2b", "v", "", "1a2b v=\"\"" },
		{ "1a2b", "v", NULL, "1a2b v=-" },
		{ "1a2b", "from", "<a\"b>", "1a2b from=<a\\\"b>" },
		{ "1a2b", "from", "a\\b", "1a2b from=a\\\\b" },
		{ "1a2b", "subject", "a\nb", "1a2b subject=a\\x0ab" },
		{ "1a2b", "subject", "x y\tz", "1a2b subject=\"x y\\x09z\"" },
		{ "1a2b", "subject", "caf\xc3\xa9", "1a2b subject=caf\\xc3\\xa9" },
		{ "1a2b", "password", "hunter2", "1a2b password=[redacted]" },
		{ "1a2b", "privkey", "-----BEGIN", "1a2b privkey=[redacted]" },
		{ "1a2b", "srs_secret", NULL, "1a2b srs_secret=[redacted]" },
		{ "1a2b", "keyfile", "/etc/k.pem", "1a2b keyfile=/etc/k.pem" },
		{ "a\nb", "k2", "v", "a\\x0ab k2=v" },
	};
	size_t i;

	mk_log_set_sink(sink, NULL);
	mk_log_set_level(MK_LOG_DEBUG);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sink_reset();
		mk_log_kv(MK_LOG_INFO, cases[i].id, cases[i].key, cases[i].val,
		    NULL);
		is_str(last(), cases[i].want, "kv %zu: %s", i, cases[i].want);
	}
	sink_reset();
	mk_log_kv(MK_LOG_NOTICE, "q", "a", "1", "b", "two words", "pass", "x",
	    "c", "3", NULL);
	is_str(last(), "q a=1 b=\"two words\" pass=[redacted] c=3", "kv: several pairs");
	is_int(seen.levels[0], MK_LOG_NOTICE, "kv: level passed to sink");
	sink_reset();
	mk_log_kv(MK_LOG_INFO, "q", NULL);
	is_str(last(), "q", "kv: no pairs");
}

static void
test_format(void)
{
	sink_reset();
	mk_log(MK_LOG_INFO, "abc", "x=%d y=%s", 5, "z");
	is_str(last(), "abc x=5 y=z", "mk_log: formatted");
	sink_reset();
	mk_log_warn(NULL, "two\nlines\r");
	is_str(last(), "- two?lines?", "mk_log: control chars cannot split a line");
	is_int(seen.levels[0], MK_LOG_WARN, "mk_log_warn: level");
}

static void
test_truncation(void)
{
	char msg[MK_LOG_LINE_MAX + 64];
	char want[MK_LOG_LINE_MAX + 80];
	size_t n;

	/* "- " + message + NUL: a message of MAX - 3 bytes fits exactly */
	n = MK_LOG_LINE_MAX - 3;
	memset(msg, 'a', n);
	msg[n] = '\0';
	sink_reset();
	mk_log(MK_LOG_INFO, NULL, "%s", msg);
	snprintf(want, sizeof(want), "- %s", msg);
	is_str(last(), want, "truncation: exact fit is kept whole");
	is_int(strlen(last()), MK_LOG_LINE_MAX - 1, "truncation: exact fit length");

	msg[n] = 'b';
	msg[n + 1] = '\0';
	sink_reset();
	mk_log(MK_LOG_INFO, NULL, "%s", msg);
	is_int(strlen(last()), MK_LOG_LINE_MAX - 1, "truncation: one over, length");
	ok(strcmp(last() + MK_LOG_LINE_MAX - 4, "...") == 0,
	    "truncation: one over ends with \"...\" (got \"%s\")",
	    last() + MK_LOG_LINE_MAX - 8);

	memset(msg, 'c', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	sink_reset();
	mk_log_kv(MK_LOG_INFO, "id", "k", msg, "after", "x", NULL);
	is_int(strlen(last()), MK_LOG_LINE_MAX - 1, "truncation: kv length");
	ok(strncmp(last(), "id k=ccc", 8) == 0, "truncation: kv start kept");
	ok(strcmp(last() + MK_LOG_LINE_MAX - 4, "...") == 0,
	    "truncation: kv ends with \"...\"");

	sink_reset();
	mk_log(MK_LOG_INFO, "", "%s", "");
	is_str(last(), "- ", "truncation: empty message");
}

static void
test_levels(void)
{
	static const struct {
		const char	*name;
		int		 want;
	} cases[] = {
		{ "err", MK_LOG_ERR }, { "error", MK_LOG_ERR },
		{ "warn", MK_LOG_WARN }, { "WARNING", MK_LOG_WARN },
		{ "notice", MK_LOG_NOTICE }, { "Info", MK_LOG_INFO },
		{ "debug", MK_LOG_DEBUG }, { "verbose", -1 }, { "", -1 },
		{ NULL, -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(mk_log_level_parse(cases[i].name), cases[i].want,
		    "level parse \"%s\"", cases[i].name ? cases[i].name : "(null)");
	for (i = MK_LOG_ERR; i <= MK_LOG_DEBUG; i++)
		is_int(mk_log_level_parse(mk_log_level_name(i)), (int)i,
		    "level name %s parses back", mk_log_level_name(i));
	is_str(mk_log_level_name((enum mk_log_level)42), "unknown", "level name out of range");

	mk_log_set_level(MK_LOG_WARN);
	is_int(mk_log_get_level(), MK_LOG_WARN, "get level");
	sink_reset();
	mk_log_debug("x", "debug");
	mk_log_info("x", "info");
	mk_log_notice("x", "notice");
	mk_log_kv(MK_LOG_INFO, "x", "a", "b", NULL);
	is_int(seen.n, 0, "level WARN drops notice/info/debug");
	mk_log_warn("x", "warn");
	mk_log_err("x", "err");
	is_int(seen.n, 2, "level WARN keeps warn and err");
	is_int(seen.levels[1], MK_LOG_ERR, "err level");
	mk_log_set_level(MK_LOG_DEBUG);
}

/* Run fn with fd 2 sent to a temporary file; return what was written. */
static char *
capture_stderr(void (*fn)(void *), void *arg)
{
	FILE *tmp;
	char *buf;
	long n;
	int saved;

	if ((tmp = tmpfile()) == NULL)
		return NULL;
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	fn(arg);
	dup2(saved, 2);
	close(saved);
	fseek(tmp, 0, SEEK_END);
	n = ftell(tmp);
	rewind(tmp);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, tmp) != (size_t)n)
		buf[0] = '\0';
	fclose(tmp);
	return buf;
}

static void
log_one(void *arg)
{
	(void)arg;
	mk_log_warn("c0ffee", "hello %s", "world");
}

#define THREADS 4
#define PER_THREAD 200

static void *
thread_main(void *arg)
{
	char big[1500];
	int i, t = (int)(long)arg;

	memset(big, 'a' + t, sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < PER_THREAD; i++)
		mk_log_kv(MK_LOG_INFO, "t", "n", "x", "data", big, NULL);
	return NULL;
}

static void
log_threads(void *arg)
{
	pthread_t th[THREADS];
	long i;

	(void)arg;
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, thread_main, (void *)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
}

static void
test_stderr(void)
{
	char want[128], *out, *line, *save = NULL;
	int lines = 0, good = 0;

	mk_log_set_sink(NULL, NULL);
	mk_log_open("testident", true, LOG_MAIL);
	out = capture_stderr(log_one, NULL);
	snprintf(want, sizeof(want), " testident[%ld]: warn: c0ffee hello world\n",
	    (long)getpid());
	if (!ok(out != NULL && strstr(out, want) != NULL, "stderr: line format"))
		diag("got \"%s\", want ...\"%s\"", show(out), show(want));
	ok(out != NULL && out[0] >= '0' && out[0] <= '9' &&
	    out[4] == '-' && out[10] == 'T', "stderr: starts with a timestamp");
	ok(out != NULL && strchr(out, '\n') == out + strlen(out) - 1,
	    "stderr: exactly one line");
	free(out);

	/* lines of concurrent threads never interleave */
	out = capture_stderr(log_threads, NULL);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *d = strstr(line, ": info: t n=x data=");
		size_t len;

		lines++;
		if (d == NULL)
			continue;
		d += strlen(": info: t n=x data=");
		len = strspn(d, "abcd");
		if (len == 1499 && d[len] == '\0' && strspn(d, d[0] == 'a' ?
		    "a" : d[0] == 'b' ? "b" : d[0] == 'c' ? "c" : "d") == len)
			good++;
	}
	is_int(lines, THREADS * PER_THREAD, "threads: line count");
	is_int(good, THREADS * PER_THREAD, "threads: intact lines");
	free(out);
	mk_log_close();
	mk_log_set_sink(sink, NULL);
}

static void
test_threads_sink(void)
{
	pthread_t th[THREADS];
	long i;

	sink_reset();
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, thread_main, (void *)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	is_int(seen.total, THREADS * PER_THREAD, "threads: sink saw every line");
}

/* Run fn in a child with stderr on a pipe; return its wait status. */
static int
run_child(void (*fn)(void), char *out, size_t outsz)
{
	int fds[2], status = -1;
	ssize_t r;
	size_t n = 0;
	pid_t pid;

	out[0] = '\0';
	if (pipe(fds) == -1)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		mk_log_set_sink(NULL, NULL);
		fn();
		_exit(99);
	}
	close(fds[1]);
	while (n + 1 < outsz && (r = read(fds[0], out + n, outsz - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void
call_fatal(void)
{
	mk_fatal("bad %s", "config");
}

static void
call_panic(void)
{
	mk_panic("boom %d", 42);
}

static void
test_fatal_panic(void)
{
	char out[1024];
	int st;

	st = run_child(call_fatal, out, sizeof(out));
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "mk_fatal: exit status 1 (got status %d)", st);
	if (!ok(strstr(out, ": err: - bad config\n") != NULL, "mk_fatal: message"))
		diag("got \"%s\", want ...\": err: - bad config\"", show(out));

	st = run_child(call_panic, out, sizeof(out));
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	    "mk_panic: abort (got status %d)", st);
	if (!ok(strstr(out, ": err: - panic: boom 42\n") != NULL, "mk_panic: message"))
		diag("got \"%s\", want ...\"panic: boom 42\"", show(out));
}

int
main(void)
{
	test_escape();
	test_secret();
	test_kv();
	test_format();
	test_truncation();
	test_levels();
	test_stderr();
	test_threads_sink();
	test_fatal_panic();
	mk_log_set_sink(NULL, NULL);
	return done_testing();
}
