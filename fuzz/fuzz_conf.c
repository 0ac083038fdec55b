/*
 * fuzz/fuzz_conf.c: libFuzzer target for mk_conf_parse().
 *
 * Parses the input against an opendkim/policyd-spf-like key table, then
 * checks the property the -n option relies on: mk_conf_dump() output
 * parses back to the same values (unless quoting made a line too long).
 * Includes are followed (bounded and loop-checked by conf.c itself).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check_mode(const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "s") == 0 || strcmp(v, "v") == 0 || strcmp(v, "sv") == 0)
		return 0;
	snprintf(err, errlen, "must be s, v or sv");
	return -1;
}

static const struct mk_conf_key keys[] = {
	{ "Socket", MK_CONF_STR, "inet:8891@localhost", 0, 0, NULL, 0, NULL },
	{ "Mode", MK_CONF_STR, "sv", 0, 0, check_mode, 0, NULL },
	{ "Domain", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "Selector", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "KeyFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "KeyTable", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "SigningTable", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "InternalHosts", MK_CONF_LIST, "127.0.0.1, ::1", 0, 0, NULL, 0, NULL },
	{ "ExternalIgnoreList", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "Canonicalization", MK_CONF_STR, "relaxed/simple", 0, 0, NULL, 0, NULL },
	{ "OversignHeaders", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "AuthservID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "Resolver", MK_CONF_STR, "system", 0, 0, NULL, 0, "Nameservers" },
	{ "UserID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "Syslog", MK_CONF_BOOL, "yes", 0, 0, NULL, 0, NULL },
	{ "Port", MK_CONF_INT, "25", 1, 65535, NULL, 0, NULL },
	{ "Retries", MK_CONF_INT, NULL, 0, 0, NULL, 0, NULL },
	{ "Timeout", MK_CONF_DURATION, "5m", 1, 86400, NULL, 0, NULL },
	{ "MaxSize", MK_CONF_SIZE, "10m", 0, 0, NULL, 0, NULL },
	{ "HELO_reject", MK_CONF_STR, "SPF_Not_Pass", 0, 0, NULL, 0, NULL },
	{ "skip_addresses", MK_CONF_LIST, "127.0.0.0/8,::ffff:127.0.0.0/104,::1", 0, 0, NULL, 0, NULL },
	{ "Header_Type", MK_CONF_STR, "SPF", 0, 0, NULL, 0, NULL },
	{ "AutoRestart", MK_CONF_BOOL, NULL, 0, 0, NULL, MK_CONF_F_IGNORED, NULL },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

static void
quiet_warn(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static void
quiet_log(enum mk_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

static int
same_value(const struct mk_conf *a, const struct mk_conf *b,
    const struct mk_conf_key *k)
{
	const char *const *ia, *const *ib;
	const char *sa, *sb;
	size_t na, nb, i;

	switch (k->type) {
	case MK_CONF_STR:
		sa = mk_conf_str(a, k->name);
		sb = mk_conf_str(b, k->name);
		if (sa == NULL || sb == NULL)
			return sa == sb;
		return strcmp(sa, sb) == 0;
	case MK_CONF_INT:
	case MK_CONF_DURATION:
	case MK_CONF_SIZE:
		return mk_conf_int(a, k->name) == mk_conf_int(b, k->name);
	case MK_CONF_BOOL:
		return mk_conf_bool(a, k->name) == mk_conf_bool(b, k->name);
	case MK_CONF_LIST:
		na = mk_conf_list(a, k->name, &ia);
		nb = mk_conf_list(b, k->name, &ib);
		if (na != nb || ia[na] != NULL || ib[nb] != NULL)
			return 0;
		for (i = 0; i < na; i++)
			if (strcmp(ia[i], ib[i]) != 0)
				return 0;
		return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	const struct mk_conf_key *k;
	struct mk_conf *c1, *c2;
	char err[MK_CONF_ERR_MAX];
	char *dump = NULL;
	size_t dumplen = 0;
	FILE *fp;

	if (!init) {
		mk_log_set_sink(quiet_log, NULL);
		init = 1;
	}
	c1 = mk_conf_parse((const char *)data, size, "fuzz.conf", keys,
	    quiet_warn, NULL, err, sizeof(err));
	if (c1 == NULL) {
		/* every error names its origin: "file[:line]: why" */
		if (strchr(err, ':') == NULL)
			abort();
		return 0;
	}
	if ((fp = open_memstream(&dump, &dumplen)) == NULL)
		abort();
	mk_conf_dump(c1, fp);
	if (fclose(fp) != 0)
		abort();
	c2 = mk_conf_parse(dump, dumplen, "dump.conf", keys, quiet_warn, NULL,
	    err, sizeof(err));
	if (c2 == NULL) {
		if (strstr(err, "line too long") == NULL) {
			fprintf(stderr, "dump does not parse back: %s\n%s", err,
			    dump);
			abort();
		}
	} else {
		for (k = keys; k->name != NULL; k++) {
			if (k->flags & MK_CONF_F_IGNORED)
				continue;
			if (!same_value(c1, c2, k)) {
				fprintf(stderr, "dump changed %s\n%s", k->name,
				    dump);
				abort();
			}
		}
	}
	mk_conf_free(c2);
	mk_conf_free(c1);
	free(dump);
	return 0;
}
