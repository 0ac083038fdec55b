/*
 * milter-dmarc/failure.c: AFRF failure reports (see failure.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/dmarc_send.h"
#include "lib/dns.h"
#include "lib/log.h"
#include "lib/ratelimit.h"
#include "milter-dmarc/dmarc_conf.h"
#include "milter-dmarc/failure.h"

/* Process-wide, so the counts outlive a SIGUSR1 reload (the rates are
 * the current configuration's); lost on restart. */
static pthread_mutex_t inflight_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned inflight;		/* reports being sent */
static unsigned long capacity_drops;	/* dropped for capacity since the last report sent */
static struct mk_ratelimit *limiter;	/* windows per ruf address, domain, global */

static void
release_slot(void)
{
	pthread_mutex_lock(&inflight_mu);
	inflight--;
	pthread_mutex_unlock(&inflight_mu);
}

struct failure_job {
	char relay[256], helo[256], from[512], to[MK_DMARC_URI_MAX + 1], qid[DMARC_QID_MAX];
	char *msg;
	size_t len;
};

bool
dmarc_failure_wanted(const struct mk_dmarc_record *rec, const struct mk_dmarc_input *in,
    const struct mk_dmarc_outcome *o)
{
	size_t i;

	if (o->info.status != MK_DMARC_DISC_FOUND || rec->nruf == 0)
		return false;
	if ((rec->fo & MK_DMARC_FO_0) && o->result == MK_DMARC_RES_FAIL)
		return true;
	if ((rec->fo & MK_DMARC_FO_1) && (!o->dkim_aligned || !o->spf_aligned))
		return true;
	if (rec->fo & MK_DMARC_FO_D)
		for (i = 0; i < in->ndkim; i++)
			if (strcasecmp(in->dkim[i].result, "fail") == 0)
				return true;
	return (rec->fo & MK_DMARC_FO_S) && in->have_spf &&
	    strcasecmp(in->spf.result, "fail") == 0;
}

static void *
failure_thread(void *arg)
{
	struct failure_job *j = arg;
	char err[1024];

	if (mk_dmarc_smtp_send(j->relay, j->helo, j->from, j->to, j->msg, j->len, err,
	    sizeof(err)) == -1)
		mk_log_kv(MK_LOG_WARN, j->qid[0] ? j->qid : NULL, "failure_report", j->to,
		    "status", "failed", "why", err, NULL);
	else
		mk_log_kv(MK_LOG_INFO, j->qid[0] ? j->qid : NULL, "failure_report", j->to,
		    "status", "sent", NULL);
	free(j->msg);
	free(j);
	release_slot();
	return NULL;
}

/* Header fields kept for the text/rfc822-headers part, CRLF line ends. */
static void
append_crlf(char *out, size_t *n, size_t cap, const char *s)
{
	for (; *s != '\0' && *n + 3 < cap; s++) {
		if (*s == '\n' && (*n == 0 || out[*n - 1] != '\r'))
			out[(*n)++] = '\r';
		out[(*n)++] = *s;
	}
	out[*n] = '\0';
}

/* RFC 6591 3.1 Delivery-Result: delivered / spam / policy / reject / other. */
static const char *
delivery_result(const char *delivery)
{
	if (strcmp(delivery, "reject") == 0 || strcmp(delivery, "delivered") == 0)
		return delivery;
	if (strcmp(delivery, "quarantine") == 0)
		return "spam";
	return "other";		/* tempfail */
}

/* RFC 6591 3.1 DKIM-Domain / DKIM-Selector of each DKIM result seen. */
static void
append_dkim(char *out, size_t *n, size_t cap, const struct mk_dmarc_input *in)
{
	size_t i;
	int k;

	for (i = 0; i < in->ndkim && i < DMARC_FAILURE_DKIM_MAX; i++) {
		k = snprintf(out + *n, cap - *n, "DKIM-Domain: %s\r\n%s%s%s",
		    in->dkim[i].domain, in->dkim[i].selector[0] ? "DKIM-Selector: " : "",
		    in->dkim[i].selector, in->dkim[i].selector[0] ? "\r\n" : "");
		if (k < 0 || (size_t)k >= cap - *n)
			return;
		*n += (size_t)k;
	}
}

static char *
afrf_build(const struct dmarc_conn *c, const struct dmarc_msg *m, const char *domain,
    const struct mk_dmarc_input *in, const struct mk_dmarc_outcome *o, const char *ar,
    const char *delivery, const char *from, const char *to, size_t *len)
{
	size_t cap = 4096 + strlen(ar) * 2 + (m->hdrs != NULL ? m->hdrs_len * 2 : 0) +
	    DMARC_FAILURE_DKIM_MAX * (MK_DMARC_DOMAIN_MAX + 100), n;
	const char *align = o->dkim_aligned && o->spf_aligned ? "dkim, spf" : o->dkim_aligned ?
	    "dkim" : o->spf_aligned ? "spf" : "none";
	char *msg = malloc(cap), date[64];
	time_t now = time(NULL);
	struct tm tm;

	if (msg == NULL)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	n = (size_t)snprintf(msg, cap, "From: %s\r\nTo: %s\r\nDate: %s\r\n"
	    "Subject: DMARC failure report for %s (Submitter: %s)\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\r\n"
	    "\tboundary=\"mailaka-afrf\"\r\n\r\n"
	    "--mailaka-afrf\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "A message from %s with a From address in %s failed DMARC (%s).\r\n\r\n"
	    "--mailaka-afrf\r\nContent-Type: message/feedback-report\r\n\r\n"
	    "Feedback-Type: auth-failure\r\nUser-Agent: mailaka-dmarc/%s\r\nVersion: 1\r\n"
	    "Original-Mail-From: <%s>\r\nArrival-Date: %s\r\nSource-IP: %s\r\n"
	    "Reported-Domain: %s\r\nAuthentication-Results: ",
	    from, to, date, domain, c->rt->conf->authserv_id,
	    c->ip[0] ? c->ip : "unknown", domain, mk_dmarc_result_name(o->result),
	    PACKAGE_VERSION, m->spf_sess.null_sender ? "" : m->spf_sess.mailfrom, date,
	    c->ip[0] ? c->ip : "unknown", domain);
	append_crlf(msg, &n, cap, ar);
	n += (size_t)snprintf(msg + n, cap - n, "\r\nAuth-Failure: dmarc\r\n"
	    "Identity-Alignment: %s\r\nDelivery-Result: %s\r\n", align,
	    delivery_result(delivery));
	append_dkim(msg, &n, cap, in);
	n += (size_t)snprintf(msg + n, cap - n, "\r\n"
	    "--mailaka-afrf\r\nContent-Type: text/rfc822-headers\r\n\r\n");
	if (m->hdrs != NULL)
		append_crlf(msg, &n, cap, m->hdrs);
	n += (size_t)snprintf(msg + n, cap - n, "\r\n--mailaka-afrf--\r\n");
	*len = n < cap ? n : cap - 1;
	return msg;
}

static struct mk_dns_answer *
failure_query(void *arg, const char *name, enum mk_dns_type type)
{
	return mk_dns_query(arg, name, type);
}

/* The configuration key of each rate limit, by key prefix. */
static const char *
limit_name(const char *key)
{
	if (strncmp(key, "ruf:", 4) == 0)
		return "FailureReportsRateLimit";
	if (strncmp(key, "domain:", 7) == 0)
		return "FailureReportsDomainRateLimit";
	return "FailureReportsGlobalRateLimit";
}

/* A window that dropped reports has ended: one line with the count. */
static void
log_dropped(const char *key, unsigned long dropped, const struct mk_rate *rate, void *arg)
{
	char n[32], r[48];

	(void)arg;
	snprintf(n, sizeof(n), "%lu", dropped);
	mk_rate_format(rate, r, sizeof(r));
	mk_log_kv(MK_LOG_WARN, NULL, "failure_reports_dropped", n, "window", key, "limit",
	    limit_name(key), "rate", r, NULL);
}

static void
log_capacity_drops(unsigned long n)
{
	char num[32];

	snprintf(num, sizeof(num), "%lu", n);
	mk_log_kv(MK_LOG_WARN, NULL, "failure_reports_dropped", num, "why",
	    "capacity (reports in flight, rate limit table, memory)", NULL);
}

/* Whether a report of domain to `to` may be sent now (capacity, then the
 * three rates); when it may, an in-flight slot is taken for it.  The first
 * drop of a window (or the first capacity drop since the last report) is
 * logged; the others are counted and logged later with their count. */
static bool
failure_admit(const struct dmarc_conf *conf, const char *qid, const char *domain,
    const char *to)
{
	char kdom[MK_DNS_NAME_MAX + 16], kruf[MK_DMARC_URI_MAX + 16], rate[48];
	const char *keys[3] = { "global", kdom, kruf }, *why = NULL;
	const struct mk_rate rates[3] = { conf->fr_rate_global, conf->fr_rate_domain,
	    conf->fr_rate_dest };
	struct mk_ratelimit_verdict v = { -1, false, 0 };
	unsigned long earlier = 0;
	time_t now = time(NULL);
	bool first = false;
	int rc = -1;

	snprintf(kdom, sizeof(kdom), "domain:%s", domain);
	snprintf(kruf, sizeof(kruf), "ruf:%s", to);
	pthread_mutex_lock(&inflight_mu);
	if (limiter == NULL && (limiter = mk_ratelimit_new(DMARC_FAILURE_KEYS_MAX)) == NULL)
		why = "out of memory";
	else if (inflight >= DMARC_FAILURE_INFLIGHT_MAX)
		why = "too many reports in flight";
	else {
		mk_ratelimit_expire(limiter, now, false, log_dropped, NULL);
		if ((rc = mk_ratelimit_take(limiter, keys, rates, 3, now, &v)) == 0) {
			inflight++;
			earlier = capacity_drops;
			capacity_drops = 0;
		} else if (v.key < 0)
			why = "rate limit table full";
	}
	if (why != NULL)
		first = capacity_drops++ == 0;
	pthread_mutex_unlock(&inflight_mu);
	if (earlier > 0)
		log_capacity_drops(earlier);
	if (rc == 0)
		return true;
	if (why != NULL || !v.first_drop) {
		if (first)
			mk_log_kv(MK_LOG_WARN, qid[0] ? qid : NULL, "failure_report", to, "status",
			    "dropped", "why", why, "note", "further such drops are counted, logged "
			    "at the next report sent", NULL);
		return false;
	}
	mk_rate_format(&rates[v.key], rate, sizeof(rate));
	mk_log_kv(MK_LOG_WARN, qid[0] ? qid : NULL, "failure_report", to, "status",
	    "rate-limited", "limit", limit_name(keys[v.key]), "window", keys[v.key], "rate", rate,
	    "note", "further drops in this interval are counted, logged when it ends", NULL);
	return false;
}

/* Send msg from a detached thread; the caller holds an in-flight slot. */
static void
queue_one(const struct dmarc_conf *conf, const char *qid, const char *to, char *msg,
    size_t len, const char *from)
{
	struct failure_job *j = calloc(1, sizeof(*j));
	pthread_t th;

	if (j == NULL) {
		free(msg);
		release_slot();
		return;
	}
	snprintf(j->relay, sizeof(j->relay), "%s", conf->report_relay);
	snprintf(j->helo, sizeof(j->helo), "%s", conf->authserv_id);
	snprintf(j->from, sizeof(j->from), "%s", from);
	snprintf(j->to, sizeof(j->to), "%s", to);
	snprintf(j->qid, sizeof(j->qid), "%s", qid);
	j->msg = msg;
	j->len = len;
	if (pthread_create(&th, NULL, failure_thread, j) != 0) {
		release_slot();
		free(j->msg);
		free(j);
		return;
	}
	pthread_detach(th);
}

/* Whether this outcome gets a report: as fo= asks when the domain gave ruf
 * addresses; without them, only for FailureReportsBcc, for a DMARC fail of a
 * published policy (OpenDMARC sends the Bcc copy alone then).  A p=none
 * domain only with FailureReportsOnNone. */
static bool
report_wanted(const struct dmarc_conf *conf, const struct mk_dmarc_record *rec,
    const struct mk_dmarc_input *in, const struct mk_dmarc_outcome *o)
{
	if (!conf->failure_reports || (!conf->failure_on_none &&
	    (o->policy == MK_DMARC_P_NONE || o->policy == MK_DMARC_P_UNSET)))
		return false;
	if (rec->nruf > 0)
		return dmarc_failure_wanted(rec, in, o);
	return conf->nfr_bcc > 0 && o->info.status == MK_DMARC_DISC_FOUND &&
	    o->result == MK_DMARC_RES_FAIL;
}

/* Admit, build and queue one report to `to` (envelope); hdr_to: its To:. */
static bool
send_one(const struct dmarc_conn *c, const struct dmarc_msg *m, const char *domain,
    const struct mk_dmarc_input *in, const struct mk_dmarc_outcome *o, const char *ar,
    const char *delivery, const char *from, const char *to, const char *hdr_to)
{
	const struct dmarc_conf *conf = c->rt->conf;
	size_t len;
	char *msg;

	if (!failure_admit(conf, m->qid, o->info.domain, to))
		return false;
	if ((msg = afrf_build(c, m, domain, in, o, ar, delivery, from, hdr_to, &len)) == NULL) {
		release_slot();
		return false;
	}
	queue_one(conf, m->qid, to, msg, len, from);
	return true;
}

void
dmarc_failure_report(const struct dmarc_conn *c, const struct dmarc_msg *m,
    const char *domain, const struct mk_dmarc_input *in, const struct mk_dmarc_outcome *o,
    const char *ar, const char *delivery)
{
	const struct dmarc_conf *conf = c->rt->conf;
	const struct mk_dmarc_record *rec = &o->info.rec;
	struct mk_dmarc_env env = { conf->spec, c->rt->psl, failure_query, c->rt->dns };
	struct mk_dmarc_walk *w;
	char from[512];
	const char *at, *first = NULL;
	size_t i;
	int ok;

	if (!report_wanted(conf, rec, in, o) || (w = calloc(1, sizeof(*w))) == NULL)
		return;
	if (conf->report_from != NULL)
		snprintf(from, sizeof(from), "%s", conf->report_from);
	else
		snprintf(from, sizeof(from), "dmarc-noreply@%s", conf->authserv_id);
	for (i = 0; i < rec->nruf && i < DMARC_FAILURE_RUF_MAX; i++) {
		if ((at = strrchr(rec->ruf[i].addr, '@')) == NULL)
			continue;
		mk_dmarc_walk_init(w, &env);
		if ((ok = mk_dmarc_destination_ok(w, o->info.domain, at + 1)) != 1) {
			mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "failure_report",
			    rec->ruf[i].addr, "status", "skipped", "why", ok == 0 ?
			    "external destination not authorized" : "DNS failure", NULL);
			continue;
		}
		if (send_one(c, m, domain, in, o, ar, delivery, from, rec->ruf[i].addr,
		    rec->ruf[i].addr) && first == NULL)
			first = rec->ruf[i].addr;
	}
	free(w);
	/* FailureReportsBcc: the local copies (no destination check: the
	 * administrator's own addresses; the rate limits apply to each) */
	for (i = 0; i < conf->nfr_bcc; i++)
		send_one(c, m, domain, in, o, ar, delivery, from, conf->fr_bcc[i],
		    first != NULL ? first : conf->fr_bcc[i]);
}

void
dmarc_failure_drain(unsigned seconds)
{
	unsigned i, n;

	for (i = 0; i < seconds * 10; i++) {
		pthread_mutex_lock(&inflight_mu);
		n = inflight;
		pthread_mutex_unlock(&inflight_mu);
		if (n == 0)
			break;
		usleep(100000);
	}
	/* shutdown: the drops of the windows still open, then forget them */
	pthread_mutex_lock(&inflight_mu);
	if (limiter != NULL) {
		mk_ratelimit_expire(limiter, 0, true, log_dropped, NULL);
		if (inflight == 0)
			limiter = mk_ratelimit_free(limiter);
	}
	if (capacity_drops > 0)
		log_capacity_drops(capacity_drops);
	capacity_drops = 0;
	pthread_mutex_unlock(&inflight_mu);
}
