/*
 * bench/spf-libspf2-suite.c: measure libspf2 alone on the openspf RFC 7208
 * suite (the design decision of issue 4: libspf2 or our own evaluator).
 * Reads the flattened suite (t/integration/spf-common/suite.py) on stdin,
 * loads each scenario into an SPF_dns_zone layer (TIMEOUT = TRY_AGAIN) and
 * runs SPF_request_query_mailfrom().  Prints the tests libspf2 gets wrong
 * and two counts: raw, and with "(invalid)" results mapped to permerror.
 *
 *   cc -o spf-libspf2-suite bench/spf-libspf2-suite.c -lspf2
 *   python3 t/integration/spf-common/suite.py | ./spf-libspf2-suite
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

#define ZMAX 256

struct zrec { char name[300], type[16], value[4096]; };
static struct zrec zone[ZMAX];
static size_t nzone;

static void
pct_decode(char *s)
{
	size_t i = 0, o = 0;

	while (s[i] != '\0') {
		if (s[i] == '%' && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
			char h[3] = { s[i + 1], s[i + 2], 0 };
			s[o++] = (char)strtol(h, NULL, 16);
			i += 3;
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = '\0';
}

static SPF_server_t *
build_server(SPF_dns_server_t **dnsp)
{
	SPF_dns_server_t *dns = SPF_dns_zone_new(NULL, "suite", 0);
	size_t i;

	for (i = 0; i < nzone; i++) {
		struct zrec *z = &zone[i];
		ns_type t;
		if (strcmp(z->type, "TIMEOUT") == 0) {
			SPF_dns_zone_add_str(dns, z->name, ns_t_txt, TRY_AGAIN, "");
			SPF_dns_zone_add_str(dns, z->name, ns_t_a, TRY_AGAIN, "");
			SPF_dns_zone_add_str(dns, z->name, ns_t_aaaa, TRY_AGAIN, "");
			SPF_dns_zone_add_str(dns, z->name, ns_t_mx, TRY_AGAIN, "");
			continue;
		}
		if (strcmp(z->type, "TXT") == 0) t = ns_t_txt;
		else if (strcmp(z->type, "A") == 0) t = ns_t_a;
		else if (strcmp(z->type, "AAAA") == 0) t = ns_t_aaaa;
		else if (strcmp(z->type, "MX") == 0) t = ns_t_mx;
		else if (strcmp(z->type, "PTR") == 0) t = ns_t_ptr;
		else if (strcmp(z->type, "CNAME") == 0) {
			/* the zone layer has no CNAME: copy the target's records */
			size_t j;
			for (j = 0; j < nzone; j++) {
				if (strcasecmp(zone[j].name, z->value) != 0 ||
				    strcmp(zone[j].type, "TXT") != 0)
					continue;
				SPF_dns_zone_add_str(dns, z->name, ns_t_txt, NETDB_SUCCESS, zone[j].value);
			}
			continue;
		} else continue;
		if (t == ns_t_mx) {	/* "pref host" -> host */
			char *sp = strchr(z->value, ' ');
			SPF_dns_zone_add_str(dns, z->name, t, NETDB_SUCCESS, sp ? sp + 1 : z->value);
		} else {
			SPF_dns_zone_add_str(dns, z->name, t, NETDB_SUCCESS, z->value);
		}
	}
	*dnsp = dns;
	return SPF_server_new_dns(dns, 0);
}

int
main(void)
{
	char line[16384];
	int total = 0, raw = 0, mapped = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *f[8] = { 0 }, *s = line;
		int nf = 0;

		line[strcspn(line, "\n")] = '\0';
		while (nf < 8 && (f[nf] = strsep(&s, "\t")) != NULL)
			pct_decode(f[nf++]);
		if (strcmp(f[0], "S") == 0) {
			nzone = 0;
		} else if (strcmp(f[0], "Z") == 0 && nzone < ZMAX && nf >= 4) {
			snprintf(zone[nzone].name, sizeof(zone[0].name), "%s", f[1]);
			snprintf(zone[nzone].type, sizeof(zone[0].type), "%s", f[2]);
			snprintf(zone[nzone].value, sizeof(zone[0].value), "%s", f[3]);
			nzone++;
		} else if (strcmp(f[0], "T") == 0 && nf >= 7) {
			SPF_dns_server_t *dns;
			SPF_server_t *srv = build_server(&dns);
			SPF_request_t *req = SPF_request_new(srv);
			SPF_response_t *resp = NULL;
			char want[160], got[40], mgot[40];
			const char *res, *exp;

			if (SPF_request_set_ipv4_str(req, f[3]) != SPF_E_SUCCESS)
				SPF_request_set_ipv6_str(req, f[3]);
			SPF_request_set_helo_dom(req, f[2]);
			SPF_request_set_env_from(req, f[4]);
			SPF_request_query_mailfrom(req, &resp);
			res = SPF_strresult(SPF_response_result(resp));
			snprintf(want, sizeof(want), ",%s,", f[5]);
			snprintf(got, sizeof(got), ",%s,", res);
			snprintf(mgot, sizeof(mgot), ",%s,", SPF_response_result(resp) == SPF_RESULT_INVALID ?
			    "permerror" : res);
			exp = SPF_response_get_explanation(resp);
			total++;
			if (strstr(want, got) && (f[6][0] != '=' || (exp && strcmp(exp, f[6] + 1) == 0)))
				raw++;
			if (strstr(want, mgot) && (f[6][0] != '=' || (exp && strcmp(exp, f[6] + 1) == 0) ||
			    strcmp(f[6] + 1, "DEFAULT") == 0))
				mapped++;
			else
				printf("# %s: got %s, want %s%s%s\n", f[1], res, f[5],
				    f[6][0] == '=' ? " exp=" : "", f[6][0] == '=' ? f[6] + 1 : "");
			SPF_response_free(resp);
			SPF_request_free(req);
			SPF_server_free(srv);
			SPF_dns_free(dns);
		}
	}
	printf("libspf2: %d of %d raw, %d of %d with (invalid) mapped to permerror "
	    "(and the default explanation accepted)\n", raw, total, mapped, total);
	return 0;
}
