/*
 * cli/cmd_dmarc_report.c: `mailaka dmarc-report` (see cmd_dmarc_report.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_dmarc_report.h"
#include "lib/conf.h"
#include "lib/dmarc.h"
#include "lib/dmarc_history.h"
#include "lib/dmarc_psl.h"
#include "lib/dmarc_report.h"
#include "lib/dmarc_send.h"
#include "lib/dns.h"

#define REP_DOMAINS_MAX 10000	/* policy domains per period */
#define REP_EXPIRE_MIN 86400	/* --expire: at least a day */

struct rep {
	const char *conf, *history, *dryrun, *relay, *from, *org, *email, *resolver, *psl_path;
	long period, periods;
	long expire;		/* --expire: seconds, 0 = keep everything */
	time_t end;
	enum mk_dmarc_spec spec;
	struct mk_conf *cfg;
	struct mk_dmarc_history *h;
	struct mk_dns *dns;
	struct mk_psl *psl;
	struct mk_dmarc_env env;
	char org_buf[256], from_buf[512];
	int failures;
	/* one report */
	struct mk_dmarc_agg_row *rows;
	size_t nrows, caprows;
	unsigned long messages;
	char **domains;
	size_t ndomains;
};

static const struct mk_conf_key rep_conf_table[] = {
	{ "HistoryFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "Resolver", MK_CONF_STR, "system", 0, 0, NULL, 0, "Nameservers" },
	{ "DMARCSpec", MK_CONF_STR, "9989", 0, 0, NULL, 0, NULL },
	{ "PublicSuffixList", MK_CONF_STR, MK_DEFAULT_PSL, 0, 0, NULL, 0, NULL },
	{ "AuthservID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "ReportOrgName", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "ReportSender", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "ReportRelay", MK_CONF_STR, "127.0.0.1:25", 0, 0, NULL, 0, NULL },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

static void
quiet_warn(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;	/* the milter's keys are not ours to check */
}

static int
usage(void)
{
	fprintf(stderr, "usage: mailaka dmarc-report [-c dmarc.conf] [--history FILE] "
	    "[--dry-run DIR] [--relay HOST:PORT] [--from ADDR] [--org NAME] [--email ADDR] "
	    "[--period SECONDS] [--period-end TS] [--periods N] [--spec 9989|7489] "
	    "[--resolver R] [--psl FILE] [--expire DURATION]\n");
	return 2;
}

static int
parse_args(struct rep *r, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' }, { "history", required_argument, NULL, 'H' },
		{ "dry-run", required_argument, NULL, 'd' }, { "relay", required_argument, NULL, 'r' },
		{ "from", required_argument, NULL, 'f' }, { "org", required_argument, NULL, 'o' },
		{ "email", required_argument, NULL, 'e' }, { "period", required_argument, NULL, 'p' },
		{ "period-end", required_argument, NULL, 'E' }, { "periods", required_argument, NULL, 'n' },
		{ "spec", required_argument, NULL, 's' }, { "resolver", required_argument, NULL, 'R' },
		{ "psl", required_argument, NULL, 'P' }, { "expire", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = NULL;
	long v;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': r->conf = optarg; break;
		case 'H': r->history = optarg; break;
		case 'd': r->dryrun = optarg; break;
		case 'r': r->relay = optarg; break;
		case 'f': r->from = optarg; break;
		case 'o': r->org = optarg; break;
		case 'e': r->email = optarg; break;
		case 's': spec = optarg; break;
		case 'R': r->resolver = optarg; break;
		case 'P': r->psl_path = optarg; break;
		case 'x':
			if (mk_conf_parse_duration(optarg, &r->expire) == -1 ||
			    r->expire < REP_EXPIRE_MIN) {
				fprintf(stderr, "mailaka dmarc-report: --expire %s: not a duration "
				    "of at least 1d (N[s|m|h|d|w], e.g. 180d)\n", optarg);
				return -1;
			}
			break;
		case 'p': case 'E': case 'n':
			if (mk_conf_parse_long(optarg, &v) == -1 || v < 1) {
				fprintf(stderr, "mailaka dmarc-report: bad number %s\n", optarg);
				return -1;
			}
			if (ch == 'p')
				r->period = v;
			else if (ch == 'E')
				r->end = (time_t)v;
			else
				r->periods = v > 366 ? 366 : v;
			break;
		default: return -1;
		}
	}
	if (spec != NULL) {
		if (strcmp(spec, "9989") != 0 && strcmp(spec, "7489") != 0)
			return -1;
		r->spec = strcmp(spec, "7489") == 0 ? MK_DMARC_SPEC_7489 : MK_DMARC_SPEC_9989;
	}
	return optind == argc ? 0 : -1;
}

/* Fill what the options left unset from dmarc.conf. */
static int
load_config(struct rep *r, const struct cli_opts *opts, bool spec_given)
{
	char path[1024], err[1024];
	const char *id;

	if (r->conf == NULL) {
		snprintf(path, sizeof(path), "%s/dmarc.conf", opts->confdir);
		if (access(path, R_OK) != 0)
			goto defaults;
		r->conf = path;
	}
	if ((r->cfg = mk_conf_load(r->conf, rep_conf_table, quiet_warn, NULL, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mailaka dmarc-report: %s\n", err);
		return -1;
	}
	if (r->history == NULL)
		r->history = mk_conf_str(r->cfg, "HistoryFile");
	if (r->resolver == NULL)
		r->resolver = mk_conf_str(r->cfg, "Resolver");
	if (r->psl_path == NULL)
		r->psl_path = mk_conf_str(r->cfg, "PublicSuffixList");
	if (r->relay == NULL)
		r->relay = mk_conf_str(r->cfg, "ReportRelay");
	if (r->from == NULL)
		r->from = mk_conf_str(r->cfg, "ReportSender");
	if (r->org == NULL && (r->org = mk_conf_str(r->cfg, "ReportOrgName")) == NULL &&
	    (id = mk_conf_str(r->cfg, "AuthservID")) != NULL)
		r->org = id;
	if (!spec_given && strcmp(mk_conf_str(r->cfg, "DMARCSpec"), "7489") == 0)
		r->spec = MK_DMARC_SPEC_7489;
defaults:
	if (r->org == NULL) {
		if (gethostname(r->org_buf, sizeof(r->org_buf) - 1) == -1)
			snprintf(r->org_buf, sizeof(r->org_buf), "localhost");
		r->org = r->org_buf;
	}
	if (r->from == NULL) {
		snprintf(r->from_buf, sizeof(r->from_buf), "dmarc-noreply@%s", r->org);
		r->from = r->from_buf;
	}
	if (r->email == NULL)
		r->email = r->from;
	if (r->relay == NULL)
		r->relay = "127.0.0.1:25";
	if (r->resolver == NULL)
		r->resolver = "system";
	if (r->psl_path == NULL)
		r->psl_path = MK_DEFAULT_PSL;
	if (r->history == NULL) {
		fprintf(stderr, "mailaka dmarc-report: no HistoryFile (give --history or -c)\n");
		return -1;
	}
	return 0;
}

static struct mk_dns_answer *
rep_query(void *arg, const char *name, enum mk_dns_type type)
{
	return mk_dns_query(arg, name, type);
}

static int
open_all(struct rep *r)
{
	char err[1024];

	if ((r->h = mk_dmarc_history_open(r->history, false, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailaka dmarc-report: %s\n", err);
		return -1;
	}
	if ((r->dns = mk_dns_new(r->resolver, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailaka dmarc-report: Resolver: %s\n", err);
		return -1;
	}
	if (r->spec == MK_DMARC_SPEC_7489 &&
	    (r->psl = mk_psl_load(r->psl_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailaka dmarc-report: %s\n", err);
		return -1;
	}
	r->env.spec = r->spec;
	r->env.psl = r->psl;
	r->env.query = rep_query;
	r->env.query_arg = r->dns;
	return 0;
}

static int
collect_domain(const char *domain, void *arg)
{
	struct rep *r = arg;
	char **nd;

	if (r->ndomains == REP_DOMAINS_MAX)
		return -1;
	if ((nd = realloc(r->domains, (r->ndomains + 1) * sizeof(*nd))) == NULL)
		return -1;
	r->domains = nd;
	if ((r->domains[r->ndomains] = strdup(domain)) == NULL)
		return -1;
	r->ndomains++;
	return 0;
}

static int
collect_row(const struct mk_dmarc_agg_row *row, void *arg)
{
	struct rep *r = arg;
	struct mk_dmarc_agg_row *nr;

	if (r->nrows == MK_DMARC_REPORT_ROWS_MAX)
		return -1;
	if (r->nrows == r->caprows) {
		r->caprows = r->caprows ? r->caprows * 2 : 64;
		if ((nr = realloc(r->rows, r->caprows * sizeof(*nr))) == NULL)
			return -1;
		r->rows = nr;
	}
	r->rows[r->nrows++] = *row;
	r->messages += row->count;
	return 0;
}

/* The external destination check (lib/dmarc_discover.c). */
static int
destination_ok(struct rep *r, const char *domain, const char *rua_domain)
{
	struct mk_dmarc_walk *w = calloc(1, sizeof(*w));
	int ok;

	if (w == NULL)
		return -1;
	mk_dmarc_walk_init(w, &r->env);
	ok = mk_dmarc_destination_ok(w, domain, rua_domain);
	free(w);
	return ok;
}

static int
write_file(const char *dir, const char *name, const unsigned char *buf, size_t len)
{
	char path[4096], tmp[4200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if ((fp = fopen(tmp, "wx")) == NULL)
		return -1;
	if (fwrite(buf, 1, len, fp) != len || fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	fclose(fp);
	return rename(tmp, path);
}

/* Send to each rua; 0 when done (sent or nothing allowed), -1 to retry. */
static int
deliver(struct rep *r, const struct mk_dmarc_published *pol, const char *id,
    const char *fname, const unsigned char *gz, size_t gzlen)
{
	struct mk_dmarc_record rec;
	char recbuf[sizeof(pol->rua) + 32], err[1024], *p, *mail;
	size_t i, mlen;
	int ok, sent = 0, failed = 0;

	snprintf(recbuf, sizeof(recbuf), "v=DMARC1; rua=%s", pol->rua);
	for (p = recbuf + strlen("v=DMARC1; rua="); *p != '\0'; p++)
		if (*p == ' ')
			*p = ',';
	mk_dmarc_record_parse(recbuf, strlen(recbuf), &rec);
	for (i = 0; i < rec.nrua; i++) {
		const char *addr = rec.rua[i].addr, *at = strrchr(addr, '@');

		if (at == NULL) {
			printf("domain=%s rua=%s skipped=not-mailto\n", pol->domain, rec.rua[i].uri);
			continue;
		}
		if ((ok = destination_ok(r, pol->domain, at + 1)) != 1) {
			printf("domain=%s rua=%s skipped=%s\n", pol->domain, rec.rua[i].uri,
			    ok == 0 ? "external-destination-not-authorized" : "dns-failure");
			failed += ok == -1;
			continue;
		}
		if (rec.rua[i].max_size != 0 && gzlen > rec.rua[i].max_size) {
			printf("domain=%s rua=%s skipped=size-limit\n", pol->domain, rec.rua[i].uri);
			continue;
		}
		if (r->dryrun != NULL) {
			printf("domain=%s rua=%s would-send=%s\n", pol->domain, addr, fname);
			continue;
		}
		if ((mail = mk_dmarc_report_mail(r->from, addr, pol->domain, r->org, id, fname, gz,
		    gzlen, &mlen)) == NULL ||
		    mk_dmarc_smtp_send(r->relay, r->org, r->from, addr, mail, mlen, err,
		    sizeof(err)) == -1) {
			printf("domain=%s rua=%s failed=\"%s\"\n", pol->domain, addr, mail ? err : "oom");
			failed++;
		} else {
			printf("domain=%s rua=%s sent=%s\n", pol->domain, addr, fname);
			sent++;
		}
		free(mail);
	}
	return failed > 0 && sent == 0 ? -1 : 0;
}

static int report_domain(struct rep *r, const char *domain, time_t end);

/* --expire: drop the messages older than the duration and the records of
 * the periods that ended by then (after the reports of this run). */
static void
expire_history(struct rep *r)
{
	unsigned long n;
	char err[1024];

	if (mk_dmarc_history_expire(r->h, time(NULL) - r->expire, &n, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailaka dmarc-report: %s\n", err);
		r->failures++;
		return;
	}
	printf("expired=%lu before=%lld\n", n, (long long)(time(NULL) - r->expire));
}

/* The domains with messages in the longest interval a domain may ask for
 * (ri=) before end; each decides its own interval (report_domain). */
static int
report_period(struct rep *r, time_t end)
{
	char err[1024];
	size_t i;

	r->ndomains = 0;
	if (mk_dmarc_history_domains(r->h, end - mk_dmarc_report_interval(r->period,
	    MK_DMARC_REPORT_RI_MAX), end, collect_domain, r, err, sizeof(err)) == -1) {
		fprintf(stderr, "mailaka dmarc-report: %s\n", err);
		r->failures++;
	}
	for (i = 0; i < r->ndomains; i++) {
		if (report_domain(r, r->domains[i], end) == -1)
			r->failures++;
		free(r->domains[i]);
	}
	return 0;
}

/* The start of the domain's report ending at end: end - its interval (ri=,
 * mk_dmarc_report_interval), or 0 when no report is due at end (an ri=
 * interval is due at its multiples of the runs' alignment); -1 error. */
static time_t
domain_begin(struct rep *r, const char *domain, time_t end, char *err, size_t errlen)
{
	struct mk_dmarc_published pol;
	long iv;

	if (mk_dmarc_history_published(r->h, domain, end - mk_dmarc_report_interval(r->period,
	    MK_DMARC_REPORT_RI_MAX), end, &pol, err, errlen) == -1)
		return -1;
	iv = mk_dmarc_report_interval(r->period, pol.ri);
	if (iv > r->period && (end - end % r->period) % iv != 0) {
		printf("domain=%s ri=%lu interval=%ld not-due\n", domain, pol.ri, iv);
		return 0;
	}
	return end - iv;
}

static int
report_domain(struct rep *r, const char *domain, time_t end)
{
	struct mk_dmarc_report_meta meta;
	struct mk_dmarc_published pol;
	char err[1024], id[512], fname[1024];
	unsigned char *gz = NULL;
	size_t xlen, gzlen;
	char *xml = NULL;
	int rc = -1, was;
	time_t begin;

	if ((begin = domain_begin(r, domain, end, err, sizeof(err))) <= 0) {
		if (begin == 0)
			return 0;
		goto fail;
	}
	if ((was = mk_dmarc_history_was_reported(r->h, domain, begin, err, sizeof(err))) != 0) {
		if (was == 1)
			printf("domain=%s begin=%lld already-reported\n", domain, (long long)begin);
		return was == 1 ? 0 : -1;
	}
	r->nrows = 0;
	r->messages = 0;
	if (mk_dmarc_history_rows(r->h, domain, begin, end, collect_row, r, err, sizeof(err)) == -1)
		goto fail;
	if (r->nrows == 0)
		return 0;	/* its messages are older than its interval */
	if (mk_dmarc_history_published(r->h, domain, begin, end, &pol, err, sizeof(err)) == -1)
		goto fail;
	snprintf(id, sizeof(id), "%s.%lld.%s", domain, (long long)begin, r->org);
	memset(&meta, 0, sizeof(meta));
	meta.spec = r->spec;
	meta.org_name = r->org;
	meta.email = r->email;
	meta.report_id = id;
	meta.begin = begin;
	meta.end = end - 1;
	meta.generator = "mailaka " PACKAGE_VERSION;
	if ((xml = mk_dmarc_report_xml(&meta, &pol, r->rows, r->nrows, &xlen)) == NULL ||
	    (gz = mk_dmarc_gzip(xml, xlen, &gzlen)) == NULL ||
	    mk_dmarc_report_filename(r->org, domain, begin, end - 1, id, fname, sizeof(fname)) == -1) {
		snprintf(err, sizeof(err), "cannot build the report");
		goto fail;
	}
	printf("domain=%s begin=%lld end=%lld records=%zu messages=%lu\n", domain,
	    (long long)begin, (long long)end - 1, r->nrows, r->messages);
	if (r->dryrun != NULL && write_file(r->dryrun, fname, gz, gzlen) == -1) {
		snprintf(err, sizeof(err), "--dry-run %.400s: %.80s", r->dryrun, strerror(errno));
		goto fail;
	}
	if (deliver(r, &pol, id, fname, gz, gzlen) == -1) {
		snprintf(err, sizeof(err), "no rua accepted the report; will retry");
		goto fail;
	}
	if (mk_dmarc_history_mark_reported(r->h, domain, begin, end, id, err, sizeof(err)) == -1)
		goto fail;
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "mailaka dmarc-report: %s: %s\n", domain, err);
done:
	free(gz);
	free(xml);
	return rc;
}

int
cmd_dmarc_report(int argc, char **argv, const struct cli_opts *opts)
{
	struct rep r;
	time_t end;
	long i;
	bool spec_given;

	memset(&r, 0, sizeof(r));
	r.period = 86400;
	r.periods = 1;
	r.spec = (enum mk_dmarc_spec)-1;
	if (parse_args(&r, argc, argv) == -1)
		return usage();
	spec_given = (int)r.spec != -1;
	if (!spec_given)
		r.spec = MK_DMARC_SPEC_9989;
	if (load_config(&r, opts, spec_given) == -1 || open_all(&r) == -1) {
		r.failures++;
		goto done;
	}
	end = r.end != 0 ? r.end : time(NULL) / r.period * r.period;
	for (i = r.periods; i >= 1; i--)
		report_period(&r, end - (i - 1) * r.period);
	if (r.expire > 0)
		expire_history(&r);
done:
	free(r.domains);
	free(r.rows);
	mk_psl_free(r.psl);
	mk_dns_free(r.dns);
	mk_dmarc_history_close(r.h);
	mk_conf_free(r.cfg);
	return r.failures > 0 ? 1 : 0;
}
