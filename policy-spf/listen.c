/*
 * policy-spf/listen.c: bind the policy socket (see listen.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/listen.h"
#include "policy-spf/listen.h"

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

struct evconnlistener *
spf_listen(struct event_base *base, const char *spec, int mode, const char *owner,
    evconnlistener_cb cb, void *arg, char **unix_path, char *err, size_t errlen)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	struct evconnlistener *l;
	int fd;

	*unix_path = NULL;
	if (owner != NULL && listen_owner(owner, &uid, &gid, err, errlen) == -1)
		return NULL;
	if ((fd = mk_listen(spec, LISTEN_BACKLOG, unix_path, err, errlen)) == -1)
		return NULL;
	if (*unix_path != NULL && ((mode >= 0 && chmod(*unix_path, (mode_t)mode) == -1) ||
	    (owner != NULL && chown(*unix_path, uid, gid) == -1))) {
		snprintf(err, errlen, "chmod/chown %s: %s", *unix_path, strerror(errno));
		goto fail;
	}
	l = evconnlistener_new(base, cb, arg, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
	    fd);
	if (l != NULL)
		return l;
	snprintf(err, errlen, "cannot listen on %s", spec);
fail:
	close(fd);
	if (*unix_path != NULL)
		unlink(*unix_path);
	free(*unix_path);
	*unix_path = NULL;
	return NULL;
}
