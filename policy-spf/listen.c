/*
 * policy-spf/listen.c: bind the policy socket (see listen.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"

#define LISTEN_BACKLOG 1024

/* "user" or "user:group" -> ids. 0 / -1. */
static int
listen_owner(const char *owner, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	char user[128];
	const char *colon = strchr(owner, ':');
	size_t ul = colon ? (size_t)(colon - owner) : strlen(owner);
	struct passwd *pw;
	struct group *gr;

	if (ul == 0 || ul >= sizeof(user)) {
		snprintf(err, errlen, "bad SocketOwner \"%s\"", owner);
		return -1;
	}
	memcpy(user, owner, ul);
	user[ul] = '\0';
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "SocketOwner: unknown user %s", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL) {
			snprintf(err, errlen, "SocketOwner: unknown group %s", colon + 1);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

static struct evconnlistener *
listen_unix(struct event_base *base, const char *path, int mode, const char *owner,
    evconnlistener_cb cb, void *arg, char **unix_path, char *err, size_t errlen)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	struct sockaddr_un sun;
	struct evconnlistener *l;
	struct stat st;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (owner != NULL && listen_owner(owner, &uid, &gid, err, errlen) == -1)
		return NULL;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	l = evconnlistener_new_bind(base, cb, arg, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    LISTEN_BACKLOG, (struct sockaddr *)&sun, (int)sizeof(sun));
	if (l == NULL) {
		snprintf(err, errlen, "cannot listen on unix:%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((mode >= 0 && chmod(path, (mode_t)mode) == -1) ||
	    (owner != NULL && chown(path, uid, gid) == -1)) {
		snprintf(err, errlen, "chmod/chown %s: %s", path, strerror(errno));
		evconnlistener_free(l);
		unlink(path);
		return NULL;
	}
	*unix_path = strdup(path);
	return l;
}

static struct evconnlistener *
listen_inet(struct event_base *base, const char *spec, bool v6, evconnlistener_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct evconnlistener *l;
	char host[INET6_ADDRSTRLEN + 2] = "";
	const char *at = strchr(spec, '@');
	char *end;
	long port = strtol(spec, &end, 10);

	if (end == spec || (*end != '\0' && *end != '@') || port < 1 || port > 65535)
		goto bad;
	if (at != NULL) {
		if (strlen(at + 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%s", at + 1);
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
	}
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_addr = in6addr_any;
		if (host[0] != '\0' && inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		if (host[0] != '\0' && inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto bad;
	}
	l = evconnlistener_new_bind(base, cb, arg,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, LISTEN_BACKLOG,
	    (struct sockaddr *)&ss, v6 ? (int)sizeof(*sin6) : (int)sizeof(*sin));
	if (l == NULL)
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
	return l;
bad:
	snprintf(err, errlen, "bad socket address \"%s\" (want PORT@HOST)", spec);
	return NULL;
}

struct evconnlistener *
spf_listen(struct event_base *base, const char *spec, int mode, const char *owner,
    evconnlistener_cb cb, void *arg, char **unix_path, char *err, size_t errlen)
{
	*unix_path = NULL;
	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(base, spec + 5, mode, owner, cb, arg, unix_path, err, errlen);
	if (strncmp(spec, "local:", 6) == 0)
		return listen_unix(base, spec + 6, mode, owner, cb, arg, unix_path, err, errlen);
	if (spec[0] == '/')
		return listen_unix(base, spec, mode, owner, cb, arg, unix_path, err, errlen);
	if (strncmp(spec, "inet:", 5) == 0)
		return listen_inet(base, spec + 5, false, cb, arg, err, errlen);
	if (strncmp(spec, "inet6:", 6) == 0)
		return listen_inet(base, spec + 6, true, cb, arg, err, errlen);
	snprintf(err, errlen, "bad socket \"%s\"", spec);
	return NULL;
}
