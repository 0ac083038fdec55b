/*
 * lib/listen.c: bind a listening socket given in libmilter's smfi_setconn()
 * syntax (see listen.h); the milters, mailaka-spf and mailaka-forward.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/listen.h"

static int
listen_fd(int family, const struct sockaddr *sa, socklen_t salen, unsigned backlog,
    const char *spec, char *err, size_t errlen)
{
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		goto fail;
	if (family != AF_UNIX && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	if (bind(fd, sa, salen) == -1 || listen(fd, (int)backlog) == -1)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

static int
listen_unix(const char *path, unsigned backlog, char **unix_path, const char *spec,
    char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "bad socket path in %s", spec);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);	/* stale socket of an earlier run */
	fd = listen_fd(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun), backlog, spec, err, errlen);
	if (fd != -1 && (*unix_path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* "PORT[@HOST]" (HOST may be [bracketed]); no HOST: every address. */
static int
listen_inet(const char *s, int family, unsigned backlog, const char *spec, char *err,
    size_t errlen)
{
	char port[8], host[256];
	const char *at = strchr(s, '@');
	size_t pl = at != NULL ? (size_t)(at - s) : strlen(s);
	struct addrinfo hints, *ai = NULL;
	char *end;
	long p;
	int rc, fd;

	if (pl == 0 || pl >= sizeof(port))
		goto bad;
	memcpy(port, s, pl);
	port[pl] = '\0';
	p = strtol(port, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		goto bad;
	host[0] = '\0';
	if (at != NULL && snprintf(host, sizeof(host), "%s", at + 1) >= (int)sizeof(host))
		goto bad;
	if (host[0] == '[' && strlen(host) > 2 && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = listen_fd(family, ai->ai_addr, ai->ai_addrlen, backlog, spec, err, errlen);
	freeaddrinfo(ai);
	return fd;
bad:
	snprintf(err, errlen, "bad socket \"%s\" (want inet:PORT@HOST)", spec);
	return -1;
}

int
mk_listen(const char *spec, unsigned backlog, char **unix_path, char *err,
    size_t errlen)
{
	*unix_path = NULL;
	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(spec + 5, backlog, unix_path, spec, err, errlen);
	if (strncmp(spec, "local:", 6) == 0)
		return listen_unix(spec + 6, backlog, unix_path, spec, err, errlen);
	if (spec[0] == '/')
		return listen_unix(spec, backlog, unix_path, spec, err, errlen);
	if (strncmp(spec, "inet:", 5) == 0)
		return listen_inet(spec + 5, AF_INET, backlog, spec, err, errlen);
	if (strncmp(spec, "inet6:", 6) == 0)
		return listen_inet(spec + 6, AF_INET6, backlog, spec, err, errlen);
	snprintf(err, errlen, "bad socket \"%s\" (want unix:/path, inet:PORT@HOST or "
	    "inet6:PORT@HOST)", spec);
	return -1;
}
