/*
 * lib/dmarc_history.c: the SQLite history store (see dmarc_history.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/dmarc_history.h"

#define HIST_BUSY_MS 5000

/* Statements are prepared once per SQL text (the callers' static strings,
 * told apart by address) and reset after use: preparing the insert cost
 * more than running it, for every message.  mu makes one statement serve
 * one caller at a time (the milter's workers share the store). */
#define HIST_STMTS 16

struct mk_dmarc_history {
	sqlite3 *db;
	pthread_mutex_t mu;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmt[HIST_STMTS];
};

/* WAL with synchronous=NORMAL: a commit is not fsync'ed (the history is
 * for reports; a crash may lose the last messages, never corrupt it). */
/* (ri: add_ri_column, for the histories made before it too) */
static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS messages ("
    " id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, source_ip TEXT NOT NULL,"
    " header_from TEXT NOT NULL, envelope_from TEXT NOT NULL, policy_domain TEXT NOT NULL,"
    " discovery TEXT NOT NULL, result TEXT NOT NULL,"
    " p TEXT, sp TEXT, np TEXT, adkim TEXT, aspf TEXT, pct INTEGER, testing INTEGER, psd TEXT,"
    " rua TEXT NOT NULL, policy TEXT NOT NULL, disposition TEXT NOT NULL,"
    " dkim_eval TEXT NOT NULL, spf_eval TEXT NOT NULL, override TEXT NOT NULL,"
    " spf_domain TEXT NOT NULL, spf_result TEXT NOT NULL, spf_scope TEXT NOT NULL,"
    " dkim TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS messages_domain_ts ON messages(policy_domain, ts);"
    "CREATE TABLE IF NOT EXISTS reports (domain TEXT NOT NULL, begin_ts INTEGER NOT NULL,"
    " end_ts INTEGER NOT NULL, report_id TEXT NOT NULL, made_ts INTEGER NOT NULL,"
    " PRIMARY KEY (domain, begin_ts));";

static void
db_err(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

/* The ri column, which histories made before it lack ("duplicate column":
 * the schema above or an earlier open made it). */
static int
add_ri_column(sqlite3 *db, char **msg)
{
	if (sqlite3_exec(db, "ALTER TABLE messages ADD COLUMN ri INTEGER NOT NULL DEFAULT 0",
	    NULL, NULL, msg) == SQLITE_OK)
		return 0;
	if (*msg == NULL || strstr(*msg, "duplicate column") == NULL)
		return -1;
	sqlite3_free(*msg);
	*msg = NULL;
	return 0;
}

struct mk_dmarc_history *
mk_dmarc_history_open(const char *path, bool readonly, char *err, size_t errlen)
{
	struct mk_dmarc_history *h = calloc(1, sizeof(*h));
	int flags = SQLITE_OPEN_FULLMUTEX |
	    (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	char *msg = NULL;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	if (sqlite3_open_v2(path, &h->db, flags, NULL) != SQLITE_OK) {
		db_err(h->db, path, err, errlen);
		return mk_dmarc_history_close(h);
	}
	sqlite3_busy_timeout(h->db, HIST_BUSY_MS);
	if (!readonly && (sqlite3_exec(h->db, schema, NULL, NULL, &msg) != SQLITE_OK ||
	    add_ri_column(h->db, &msg) == -1)) {
		snprintf(err, errlen, "%s: schema: %s", path, msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return mk_dmarc_history_close(h);
	}
	return h;
}

struct mk_dmarc_history *
mk_dmarc_history_close(struct mk_dmarc_history *h)
{
	size_t i;

	if (h != NULL) {
		for (i = 0; i < HIST_STMTS; i++)
			sqlite3_finalize(h->stmt[i].st);
		sqlite3_close(h->db);
		pthread_mutex_destroy(&h->mu);
		free(h);
	}
	return NULL;
}

static void
join_rua(const struct mk_dmarc_record *r, char *out, size_t outsz)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < r->nrua && n < outsz; i++)
		n += (size_t)snprintf(out + n, outsz - n, "%s%s", i ? " " : "", r->rua[i].uri);
}

static void
join_dkim(const struct mk_dmarc_input *in, char *out, size_t outsz)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < in->ndkim && n < outsz; i++)
		n += (size_t)snprintf(out + n, outsz - n, "%s%s %s %s", i ? "\n" : "",
		    in->dkim[i].domain, in->dkim[i].selector[0] ? in->dkim[i].selector : "-",
		    in->dkim[i].result);
}

static const char *
override_of(const struct mk_dmarc_history_msg *m)
{
	const struct mk_dmarc_outcome *o = m->o;

	if (m->override != NULL)
		return m->override;
	if (!o->downgraded)
		return "";
	return o->info.rec.testing || o->info.rec.pct == 0 ? "policy_test_mode" : "sampled_out";
}

/* One statement: prepare sql, bind the arguments fmt names ('s' const char *,
 * 'i' int, 'I' long long), step it to the end calling row(st, arg) for each
 * result row (row returns 0 to go on, -1 to stop), finalize.  The number of
 * rows seen (>= 0), or -1 with err "what: why". */
/* The prepared statement of sql (h->mu held), or NULL with err. */
static sqlite3_stmt *
stmt_get(struct mk_dmarc_history *h, const char *what, const char *sql, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	for (i = 0; i < HIST_STMTS && h->stmt[i].sql != NULL; i++)
		if (h->stmt[i].sql == sql)
			return h->stmt[i].st;
	if (sqlite3_prepare_v3(h->db, sql, -1, i < HIST_STMTS ? SQLITE_PREPARE_PERSISTENT : 0,
	    &st, NULL) != SQLITE_OK) {
		db_err(h->db, what, err, errlen);
		return NULL;
	}
	if (i < HIST_STMTS) {
		h->stmt[i].sql = sql;
		h->stmt[i].st = st;
	}
	return st;
}

/* Done with st: reset for the next use, or finalized when not kept. */
static void
stmt_put(struct mk_dmarc_history *h, sqlite3_stmt *st)
{
	size_t i;

	for (i = 0; i < HIST_STMTS; i++) {
		if (h->stmt[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	}
	sqlite3_finalize(st);
}

static int
hist_run(struct mk_dmarc_history *h, const char *what, const char *sql,
    int (*row)(sqlite3_stmt *st, void *arg), void *arg, char *err, size_t errlen,
    const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i, rc, n = 0;

	pthread_mutex_lock(&h->mu);
	if ((st = stmt_get(h, what, sql, err, errlen)) == NULL) {
		pthread_mutex_unlock(&h->mu);
		return -1;
	}
	va_start(ap, fmt);
	for (i = 0; fmt[i] != '\0'; i++) {
		if (fmt[i] == 's')
			rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1,
			    SQLITE_TRANSIENT);
		else if (fmt[i] == 'i')
			rc = sqlite3_bind_int(st, i + 1, va_arg(ap, int));
		else
			rc = sqlite3_bind_int64(st, i + 1, (sqlite3_int64)va_arg(ap, long long));
		if (rc != SQLITE_OK)
			break;
	}
	va_end(ap);
	if (fmt[i] != '\0') {
		db_err(h->db, what, err, errlen);
		stmt_put(h, st);
		pthread_mutex_unlock(&h->mu);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (row == NULL || row(st, arg) == -1)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_err(h->db, what, err, errlen);
		n = -1;
	}
	stmt_put(h, st);
	pthread_mutex_unlock(&h->mu);
	return n;
}

int
mk_dmarc_history_add(struct mk_dmarc_history *h, const struct mk_dmarc_history_msg *m,
    char *err, size_t errlen)
{
	static const char sql[] = "INSERT INTO messages (ts, source_ip, header_from,"
	    " envelope_from, policy_domain, discovery, result, p, sp, np, adkim, aspf, pct, testing,"
	    " psd, rua, policy, disposition, dkim_eval, spf_eval, override, spf_domain,"
	    " spf_result, spf_scope, dkim, ri)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	const struct mk_dmarc_outcome *o = m->o;
	const struct mk_dmarc_record *r = &o->info.rec;
	const struct mk_dmarc_input *in = m->in;
	char rua[MK_DMARC_URIS_MAX * (MK_DMARC_URI_MAX + 1)], dkim[1024];
	static const char *const psd[] = { "u", "y", "n" };

	join_rua(r, rua, sizeof(rua));
	join_dkim(in, dkim, sizeof(dkim));
	/* no record (RecordAllMessages): the From domain stands for the policy domain */
	return hist_run(h, "history insert", sql, NULL, NULL, err, errlen,
	    "IsssssssssssiisssssssssssI", (long long)m->when, m->source_ip,
	    m->header_from, m->envelope_from,
	    o->info.domain[0] != '\0' ? o->info.domain : m->header_from, m->discovery,
	    mk_dmarc_result_name(o->result), mk_dmarc_policy_name(r->p),
	    mk_dmarc_policy_name(r->sp), mk_dmarc_policy_name(r->np), r->adkim_strict ? "s" : "r",
	    r->aspf_strict ? "s" : "r", r->pct, (int)r->testing, psd[r->psd], rua,
	    mk_dmarc_policy_name(o->policy), mk_dmarc_policy_name(o->disposition),
	    o->dkim_aligned ? "pass" : "fail", o->spf_aligned ? "pass" : "fail", override_of(m),
	    in->have_spf ? in->spf.domain : m->envelope_from,
	    in->have_spf ? in->spf.result : "none", in->spf_helo ? "helo" : "mfrom",
	    dkim, r->ri_set ? (long long)r->ri : 0LL) == -1 ? -1 : 0;
}

/* ---- reading ---------------------------------------------------------- */

static void
col_text(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, outsz, "%s", t != NULL ? (const char *)t : "");
}

struct domains_cb {
	int (*cb)(const char *domain, void *arg);
	void *arg;
};

static int
domains_row(sqlite3_stmt *st, void *arg)
{
	struct domains_cb *d = arg;
	char domain[MK_DNS_NAME_MAX + 1];

	col_text(st, 0, domain, sizeof(domain));
	return d->cb(domain, d->arg);
}

int
mk_dmarc_history_domains(struct mk_dmarc_history *h, time_t begin, time_t end,
    int (*cb)(const char *domain, void *arg), void *arg, char *err, size_t errlen)
{
	static const char sql[] = "SELECT DISTINCT policy_domain FROM messages"
	    " WHERE ts >= ? AND ts < ? AND rua != '' ORDER BY policy_domain";
	struct domains_cb d = { cb, arg };

	return hist_run(h, "history domains", sql, domains_row, &d, err, errlen, "II",
	    (long long)begin, (long long)end) == -1 ? -1 : 0;
}

static int
published_row(sqlite3_stmt *st, void *arg)
{
	struct mk_dmarc_published *out = arg;

	col_text(st, 0, out->p, sizeof(out->p));
	col_text(st, 1, out->sp, sizeof(out->sp));
	col_text(st, 2, out->np, sizeof(out->np));
	col_text(st, 3, out->adkim, sizeof(out->adkim));
	col_text(st, 4, out->aspf, sizeof(out->aspf));
	out->pct = sqlite3_column_int(st, 5);
	out->testing = sqlite3_column_int(st, 6) != 0;
	col_text(st, 7, out->psd, sizeof(out->psd));
	col_text(st, 8, out->rua, sizeof(out->rua));
	col_text(st, 9, out->discovery, sizeof(out->discovery));
	out->ri = (unsigned long)sqlite3_column_int64(st, 10);
	return 0;
}

int
mk_dmarc_history_published(struct mk_dmarc_history *h, const char *domain, time_t begin,
    time_t end, struct mk_dmarc_published *out, char *err, size_t errlen)
{
	static const char sql[] = "SELECT p, sp, np, adkim, aspf, pct, testing, psd, rua,"
	    " discovery, ri FROM messages WHERE policy_domain = ? AND ts >= ? AND ts < ?"
	    " ORDER BY ts DESC, id DESC LIMIT 1";
	int n;

	memset(out, 0, sizeof(*out));
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	n = hist_run(h, "history policy", sql, published_row, out, err, errlen, "sII", domain,
	    (long long)begin, (long long)end);
	if (n == 0)
		snprintf(err, errlen, "history policy: no message for %s", domain);
	return n > 0 ? 0 : -1;
}

struct rows_cb {
	int (*cb)(const struct mk_dmarc_agg_row *row, void *arg);
	void *arg;
};

static int
agg_row(sqlite3_stmt *st, void *arg)
{
	const struct rows_cb *r = arg;
	struct mk_dmarc_agg_row row;

	memset(&row, 0, sizeof(row));
	col_text(st, 0, row.source_ip, sizeof(row.source_ip));
	row.count = (unsigned long)sqlite3_column_int64(st, 1);
	col_text(st, 2, row.disposition, sizeof(row.disposition));
	col_text(st, 3, row.dkim_eval, sizeof(row.dkim_eval));
	col_text(st, 4, row.spf_eval, sizeof(row.spf_eval));
	col_text(st, 5, row.override, sizeof(row.override));
	col_text(st, 6, row.header_from, sizeof(row.header_from));
	col_text(st, 7, row.envelope_from, sizeof(row.envelope_from));
	col_text(st, 8, row.spf_domain, sizeof(row.spf_domain));
	col_text(st, 9, row.spf_result, sizeof(row.spf_result));
	col_text(st, 10, row.spf_scope, sizeof(row.spf_scope));
	col_text(st, 11, row.dkim, sizeof(row.dkim));
	return r->cb(&row, r->arg);
}

int
mk_dmarc_history_rows(struct mk_dmarc_history *h, const char *domain, time_t begin,
    time_t end, int (*cb)(const struct mk_dmarc_agg_row *row, void *arg), void *arg,
    char *err, size_t errlen)
{
	static const char sql[] = "SELECT source_ip, COUNT(*), disposition, dkim_eval,"
	    " spf_eval, override, header_from, envelope_from, spf_domain, spf_result,"
	    " spf_scope, dkim FROM messages WHERE policy_domain = ? AND ts >= ? AND ts < ?"
	    " GROUP BY source_ip, disposition, dkim_eval, spf_eval, override, header_from,"
	    " envelope_from, spf_domain, spf_result, spf_scope, dkim"
	    " ORDER BY source_ip, header_from";
	struct rows_cb r = { cb, arg };

	return hist_run(h, "history rows", sql, agg_row, &r, err, errlen, "sII", domain,
	    (long long)begin, (long long)end) == -1 ? -1 : 0;
}

int
mk_dmarc_history_was_reported(struct mk_dmarc_history *h, const char *domain,
    time_t begin, char *err, size_t errlen)
{
	int n = hist_run(h, "history reports", "SELECT 1 FROM reports WHERE domain = ?"
	    " AND begin_ts = ?", NULL, NULL, err, errlen, "sI", domain, (long long)begin);

	return n == -1 ? -1 : n > 0;
}

int
mk_dmarc_history_mark_reported(struct mk_dmarc_history *h, const char *domain,
    time_t begin, time_t end, const char *report_id, char *err, size_t errlen)
{
	return hist_run(h, "history reports", "INSERT OR IGNORE INTO reports (domain, begin_ts,"
	    " end_ts, report_id, made_ts) VALUES (?, ?, ?, ?, ?)", NULL, NULL, err, errlen,
	    "sIIsI", domain, (long long)begin, (long long)end, report_id,
	    (long long)time(NULL)) == -1 ? -1 : 0;
}

/* ---- expiry ------------------------------------------------------------ */

int
mk_dmarc_history_expire(struct mk_dmarc_history *h, time_t before, unsigned long *deleted,
    char *err, size_t errlen)
{
	static const char what[] = "history expire";

	*deleted = 0;
	if (hist_run(h, what, "BEGIN IMMEDIATE", NULL, NULL, err, errlen, "") == -1)
		return -1;
	if (hist_run(h, what, "DELETE FROM messages WHERE ts < ?", NULL, NULL, err, errlen, "I",
	    (long long)before) == -1)
		goto fail;
	*deleted = (unsigned long)sqlite3_changes(h->db);
	if (hist_run(h, what, "DELETE FROM reports WHERE end_ts <= ?", NULL, NULL, err, errlen,
	    "I", (long long)before) == -1 ||
	    hist_run(h, what, "COMMIT", NULL, NULL, err, errlen, "") == -1)
		goto fail;
	return 0;
fail:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	*deleted = 0;
	return -1;
}
