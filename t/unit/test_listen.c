/*
 * t/unit/test_listen.c: lib/listen.c, the listening sockets of the milters,
 * mailaka-spf and mailaka-forward: unix:/local:/bare paths (a stale socket
 * replaced, the path handed back), inet:/inet6: with an address, a name, a
 * [bracketed] address or none, each accepting a connection; malformed specs
 * refused with a message naming them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/listen.h"
#include "tap.h"

/* Close a unix listener (fd -1: none), remove its socket file, forget its path. */
static void
drop_unix(int fd, char **path)
{
	if (fd != -1)
		close(fd);
	if (*path != NULL)
		unlink(*path);
	free(*path);
	*path = NULL;
}

static int
port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
}

static int
connect_to(int family, const char *addr, int port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(family, SOCK_STREAM, 0), rc;

	if (family == AF_INET6) {
		inet_pton(AF_INET6, addr, &s6.sin6_addr);
		rc = connect(fd, (struct sockaddr *)&s6, sizeof(s6));
	} else {
		inet_pton(AF_INET, addr, &s4.sin_addr);
		rc = connect(fd, (struct sockaddr *)&s4, sizeof(s4));
	}
	close(fd);
	return rc;
}

/* Listen on scheme PORT host, PORT a free one ("inet:0@..." is refused). */
static int
inet_case(const char *scheme, const char *host, int family, const char *connect_addr,
    const char *name)
{
	char spec[128], err[256], *up = NULL;
	int probe = socket(family, SOCK_STREAM, 0), port, fd;
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

	if (family == AF_INET6)
		bind(probe, (struct sockaddr *)&s6, sizeof(s6));
	else
		bind(probe, (struct sockaddr *)&s4, sizeof(s4));
	port = port_of(probe);
	close(probe);
	snprintf(spec, sizeof(spec), "%s%d%s", scheme, port, host);
	fd = mk_listen(spec, 16, &up, err, sizeof(err));
	ok(fd != -1 && up == NULL && port_of(fd) == port &&
	    connect_to(family, connect_addr, port) == 0, "%s (%s)", name, fd == -1 ? err : spec);
	if (fd != -1)
		close(fd);
	return 0;
}

int
main(void)
{
	static const char *const bad[] = {
		"inet:", "inet:@127.0.0.1", "inet:0@127.0.0.1", "inet:70000@127.0.0.1",
		"inet:25x@127.0.0.1", "inet:2525@no.such.host.invalid", "tcp:25",
		"unix:", "local:", "inet6:2525@127.0.0.1", "",
	};
	char dir[] = "/tmp/test_listen.XXXXXX", spec[256], err[256], *up = NULL;
	struct stat st;
	size_t i;
	int fd, fd2;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(spec, sizeof(spec), "unix:%s/a.sock", dir);
	fd = mk_listen(spec, 16, &up, err, sizeof(err));
	ok(fd != -1 && up != NULL && stat(up, &st) == 0 && S_ISSOCK(st.st_mode),
	    "unix: socket made, its path handed back");
	free(up);
	up = NULL;
	fd2 = mk_listen(spec, 16, &up, err, sizeof(err));
	ok(fd2 != -1, "a stale socket of an earlier run is replaced");
	if (fd != -1)
		close(fd);
	drop_unix(fd2, &up);
	snprintf(spec, sizeof(spec), "local:%s/b.sock", dir);
	fd = mk_listen(spec, 16, &up, err, sizeof(err));
	is_str(up, strchr(spec, ':') + 1, "local: is unix:");
	drop_unix(fd, &up);
	snprintf(spec, sizeof(spec), "%s/c.sock", dir);
	fd = mk_listen(spec, 16, &up, err, sizeof(err));
	is_str(up, spec, "a bare /path is unix:");
	drop_unix(fd, &up);
	memset(spec, 'x', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	memcpy(spec, "unix:/", 6);
	ok(mk_listen(spec, 16, &up, err, sizeof(err)) == -1 && strstr(err, "bad socket path"),
	    "a path longer than sun_path refused (%s)", err);
	rmdir(dir);

	inet_case("inet:", "@127.0.0.1", AF_INET, "127.0.0.1", "inet:PORT@address");
	inet_case("inet:", "@localhost", AF_INET, "127.0.0.1", "inet:PORT@name");
	inet_case("inet:", "", AF_INET, "127.0.0.1", "inet:PORT, every address");
	inet_case("inet6:", "@::1", AF_INET6, "::1", "inet6:PORT@address");
	inet_case("inet6:", "@[::1]", AF_INET6, "::1", "inet6:PORT@[address]");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		fd = mk_listen(bad[i], 16, &up, err, sizeof(err));
		ok(fd == -1 && up == NULL && err[0] != '\0', "\"%s\" refused (%s)", bad[i], err);
		if (fd != -1)
			close(fd);
	}
	return done_testing();
}
