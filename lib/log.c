/*
 * lib/log.c: logging to syslog or stderr.
 *
 * A line is built whole in a bounded buffer (MK_LOG_LINE_MAX, truncated
 * with "...") and written with one syslog() or write() call under a mutex,
 * so lines of concurrent threads never interleave.  The only global state is
 * the log destination itself.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_IDENT_MAX 64	/* bytes kept of the program name */
#define LOG_ID_MAX 64		/* bytes of an escaped session id */
#define LOG_KEY_MAX 128		/* bytes of an escaped key in mk_log_kv() */
#define LOG_PREFIX_MAX 160	/* timestamp, ident[pid] and level on stderr */
#define LOG_REDACTED "[redacted]"

struct log_line {
	char	buf[MK_LOG_LINE_MAX];
	size_t	len;
	bool	trunc;
};

static pthread_mutex_t log_mtx = PTHREAD_MUTEX_INITIALIZER;
static int log_level = MK_LOG_INFO;	/* read with __atomic_load_n */
static struct {
	char		ident[LOG_IDENT_MAX];
	bool		use_syslog;
	mk_log_sink_fn	sink;
	void		*sink_arg;
} log_dest = { "mailaka", false, NULL, NULL };

static const char *const level_names[] = {
	[MK_LOG_ERR] = "err",
	[MK_LOG_WARN] = "warn",
	[MK_LOG_NOTICE] = "notice",
	[MK_LOG_INFO] = "info",
	[MK_LOG_DEBUG] = "debug",
};

static const int level_prio[] = {
	[MK_LOG_ERR] = LOG_ERR,
	[MK_LOG_WARN] = LOG_WARNING,
	[MK_LOG_NOTICE] = LOG_NOTICE,
	[MK_LOG_INFO] = LOG_INFO,
	[MK_LOG_DEBUG] = LOG_DEBUG,
};

void
mk_log_open(const char *ident, bool to_stderr, int facility)
{
	pthread_mutex_lock(&log_mtx);
	if (log_dest.use_syslog)
		closelog();
	snprintf(log_dest.ident, sizeof(log_dest.ident), "%s",
	    ident != NULL ? ident : "mailaka");
	log_dest.use_syslog = !to_stderr;
	if (log_dest.use_syslog)
		openlog(log_dest.ident, LOG_PID | LOG_NDELAY, facility);
	pthread_mutex_unlock(&log_mtx);
}

void
mk_log_close(void)
{
	pthread_mutex_lock(&log_mtx);
	if (log_dest.use_syslog)
		closelog();
	log_dest.use_syslog = false;
	pthread_mutex_unlock(&log_mtx);
}

void
mk_log_set_level(enum mk_log_level level)
{
	if ((int)level < MK_LOG_ERR || level > MK_LOG_DEBUG)
		mk_panic("mk_log_set_level: bad level %d", (int)level);
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
}

enum mk_log_level
mk_log_get_level(void)
{
	return (enum mk_log_level)__atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

int
mk_log_level_parse(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcasecmp(name, "err") == 0 || strcasecmp(name, "error") == 0)
		return MK_LOG_ERR;
	if (strcasecmp(name, "warn") == 0 || strcasecmp(name, "warning") == 0)
		return MK_LOG_WARN;
	if (strcasecmp(name, "notice") == 0)
		return MK_LOG_NOTICE;
	if (strcasecmp(name, "info") == 0)
		return MK_LOG_INFO;
	if (strcasecmp(name, "debug") == 0)
		return MK_LOG_DEBUG;
	return -1;
}

const char *
mk_log_level_name(enum mk_log_level level)
{
	if ((int)level < MK_LOG_ERR || level > MK_LOG_DEBUG)
		return "unknown";
	return level_names[level];
}

void
mk_log_set_sink(mk_log_sink_fn fn, void *arg)
{
	pthread_mutex_lock(&log_mtx);
	log_dest.sink = fn;
	log_dest.sink_arg = arg;
	pthread_mutex_unlock(&log_mtx);
}

static bool
log_enabled(enum mk_log_level level)
{
	return (int)level <= __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

/* Escape one byte into piece (room for 4); returns its length. */
static size_t
escape_byte(unsigned char c, char *piece)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\\' || c == '"') {
		piece[0] = '\\';
		piece[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		piece[0] = (char)c;
		return 1;
	}
	piece[0] = '\\';
	piece[1] = 'x';
	piece[2] = hex[c >> 4];
	piece[3] = hex[c & 0xf];
	return 4;
}

char *
mk_log_escape(const char *in, size_t inlen, char *out, size_t outsz)
{
	char piece[4];
	size_t i, n, o = 0, mark = 0, max;

	if (out == NULL || outsz == 0)
		return out;
	if (in == NULL)
		inlen = 0;
	max = outsz - 1;
	for (i = 0; i < inlen; i++) {
		n = escape_byte((unsigned char)in[i], piece);
		if (o + n > max)
			goto trunc;
		memcpy(out + o, piece, n);
		o += n;
		/* last piece boundary that leaves room for "..." */
		if (o + 3 <= max)
			mark = o;
	}
	out[o] = '\0';
	return out;

trunc:
	n = max - mark < 3 ? max - mark : 3;
	memcpy(out + mark, "...", n);
	out[mark + n] = '\0';
	return out;
}

bool
mk_log_key_is_secret(const char *key)
{
	static const char *const exact[] = { "pw", "pwd", "psk" };
	static const char *const parts[] = {
		"password", "passwd", "passphrase", "secret", "token",
		"credential", "cookie", "private",
	};
	char norm[LOG_KEY_MAX];
	size_t i, n = 0;

	if (key == NULL)
		return false;
	for (; *key != '\0'; key++) {
		if (*key == '_' || *key == '-')
			continue;
		/* too long to be sure: err on the side of not logging it */
		if (n + 1 >= sizeof(norm))
			return true;
		norm[n++] = (char)tolower((unsigned char)*key);
	}
	norm[n] = '\0';
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(norm, exact[i]) == 0)
			return true;
	if (n >= 3 && strcmp(norm + n - 3, "key") == 0)
		return true;
	if (n >= 4 && strcmp(norm + n - 4, "pass") == 0)
		return true;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strstr(norm, parts[i]) != NULL)
			return true;
	return false;
}

static void
line_add(struct log_line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->len;

	if (n > room) {
		n = room;
		l->trunc = true;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

static void
line_adds(struct log_line *l, const char *s)
{
	line_add(l, s, strlen(s));
}

static void __attribute__((format(printf, 2, 0)))
line_vprintf(struct log_line *l, const char *fmt, va_list ap)
{
	size_t room = sizeof(l->buf) - l->len;
	int n;

	n = vsnprintf(l->buf + l->len, room, fmt, ap);
	if (n < 0) {
		l->buf[l->len] = '\0';
		line_adds(l, "(bad log format)");
	} else if ((size_t)n >= room) {
		l->len = sizeof(l->buf) - 1;
		l->trunc = true;
	} else
		l->len += (size_t)n;
}

static void
line_start(struct log_line *l, const char *id)
{
	char esc[LOG_ID_MAX];

	l->len = 0;
	l->trunc = false;
	l->buf[0] = '\0';
	if (id == NULL || *id == '\0')
		line_adds(l, "-");
	else
		line_adds(l, mk_log_escape(id, strlen(id), esc, sizeof(esc)));
}

/* Mark truncation and keep the line on one line, whatever the caller gave. */
static void
line_finish(struct log_line *l)
{
	size_t i;

	if (l->trunc)
		memcpy(l->buf + l->len - 3, "...", 3);
	for (i = 0; i < l->len; i++) {
		unsigned char c = (unsigned char)l->buf[i];

		if (c < 0x20 || c == 0x7f)
			l->buf[i] = '?';
	}
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
emit_stderr(enum mk_log_level level, const char *line)
{
	char out[LOG_PREFIX_MAX + MK_LOG_LINE_MAX + 1];
	char stamp[64];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)ts.tv_sec);
	n = snprintf(out, sizeof(out), "%s.%03ld %s[%ld]: %s: %s\n", stamp,
	    ts.tv_nsec / 1000000, log_dest.ident, (long)getpid(),
	    level_names[level], line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(out)) {
		n = (int)sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	write_all(STDERR_FILENO, out, (size_t)n);
}

static void
emit(enum mk_log_level level, struct log_line *l)
{
	int saved = errno;

	if ((int)level < MK_LOG_ERR || level > MK_LOG_DEBUG)
		level = MK_LOG_ERR;
	line_finish(l);
	pthread_mutex_lock(&log_mtx);
	if (log_dest.sink != NULL)
		log_dest.sink(level, l->buf, log_dest.sink_arg);
	else if (log_dest.use_syslog)
		syslog(level_prio[level], "%s", l->buf);
	else
		emit_stderr(level, l->buf);
	pthread_mutex_unlock(&log_mtx);
	errno = saved;
}

static void __attribute__((format(printf, 3, 0)))
log_vlog(enum mk_log_level level, const char *id, const char *fmt, va_list ap)
{
	struct log_line l;

	line_start(&l, id);
	line_adds(&l, " ");
	line_vprintf(&l, fmt, ap);
	emit(level, &l);
}

void
mk_log(enum mk_log_level level, const char *id, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vlog(level, id, fmt, ap);
	va_end(ap);
}

static void
line_add_kv(struct log_line *l, const char *key, const char *val)
{
	char kesc[LOG_KEY_MAX];
	char vesc[MK_LOG_LINE_MAX];
	bool quote;

	line_adds(l, " ");
	line_adds(l, mk_log_escape(key, strlen(key), kesc, sizeof(kesc)));
	line_adds(l, "=");
	if (mk_log_key_is_secret(key)) {
		line_adds(l, LOG_REDACTED);
		return;
	}
	if (val == NULL) {
		line_adds(l, "-");
		return;
	}
	mk_log_escape(val, strlen(val), vesc, sizeof(vesc));
	quote = *vesc == '\0' || strchr(vesc, ' ') != NULL;
	if (quote)
		line_adds(l, "\"");
	line_adds(l, vesc);
	if (quote)
		line_adds(l, "\"");
}

void
mk_log_kv(enum mk_log_level level, const char *id, ...)
{
	struct log_line l;
	const char *key, *val;
	va_list ap;

	if (!log_enabled(level))
		return;
	line_start(&l, id);
	va_start(ap, id);
	while ((key = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		line_add_kv(&l, key, val);
	}
	va_end(ap);
	emit(level, &l);
}

void
mk_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(MK_LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

void
mk_panic(const char *fmt, ...)
{
	struct log_line l;
	va_list ap;

	line_start(&l, NULL);
	line_adds(&l, " panic: ");
	va_start(ap, fmt);
	line_vprintf(&l, fmt, ap);
	va_end(ap);
	emit(MK_LOG_ERR, &l);
	abort();
}
