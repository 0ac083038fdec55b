/*
 * t/lib/sendmail-shim.c: LD_PRELOAD shim for t/lib/sendmail.sh when a
 * private UTS + mount namespace is not allowed (unshare fails, e.g. an
 * unprivileged container).  Built by the fixture at run time (cc -shared).
 *
 *   gethostname()   returns $SM_SHIM_HOSTNAME: Sendmail sleeps 60 s at start
 *                   when the host name is unqualified and does not resolve;
 *   syslog()        (__syslog_chk, vsyslog, __vsyslog_chk) appends one line
 *                   to $SM_SHIM_LOG: there may be no /dev/log.
 *
 * Both variables are read by a constructor, before Sendmail replaces its
 * environment; the log file is opened per message because Sendmail closes
 * every descriptor above 2 at start.  Test code only, never installed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static char shim_host[256];
static char shim_log[4096];

__attribute__((constructor)) static void
shim_init(void)
{
	const char *h = getenv("SM_SHIM_HOSTNAME");
	const char *l = getenv("SM_SHIM_LOG");

	if (h != NULL)
		snprintf(shim_host, sizeof(shim_host), "%s", h);
	if (l != NULL)
		snprintf(shim_log, sizeof(shim_log), "%s", l);
}

int
gethostname(char *name, size_t len)
{
	size_t n = strlen(shim_host);

	if (n == 0)
		snprintf(shim_host, sizeof(shim_host), "localhost.localdomain");
	n = strlen(shim_host);
	if (len <= n)
		return -1;
	memcpy(name, shim_host, n + 1);
	return 0;
}

void
openlog(const char *ident, int option, int facility)
{
	(void)ident;
	(void)option;
	(void)facility;
}

void
closelog(void)
{
}

void
vsyslog(int pri, const char *fmt, va_list ap)
{
	char line[8192], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t room;
	int fd, n, m;

	(void)pri;
	if (shim_log[0] == '\0')
		return;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s sendmail[%ld]: ", stamp, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	room = sizeof(line) - (size_t)n - 1;	/* one byte kept for the newline */
	m = vsnprintf(line + n, room, fmt, ap);
	if (m < 0)
		return;
	n += (size_t)m < room ? m : (int)room - 1;
	line[n++] = '\n';
	if ((fd = open(shim_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return;
	if (write(fd, line, (size_t)n) < 0) {
		/* nothing to do: a test log */
	}
	close(fd);
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);

void
__vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(pri, fmt, ap);
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}
