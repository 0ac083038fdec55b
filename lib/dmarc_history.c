/*
 * lib/dmarc_history.c: the SQLite history store (see dmarc_history.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/dmarc_history.h"

#define HIST_BUSY_MS 5000

struct mk_dmarc_history {
	sqlite3 *db;
};

/* WAL with synchronous=NORMAL: a commit is not fsync'ed (the history is
 * for reports; a crash may lose the last messages, never corrupt it). */
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
	if (sqlite3_open_v2(path, &h->db, flags, NULL) != SQLITE_OK) {
		db_err(h->db, path, err, errlen);
		return mk_dmarc_history_close(h);
	}
	sqlite3_busy_timeout(h->db, HIST_BUSY_MS);
	if (!readonly && sqlite3_exec(h->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: schema: %s", path, msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return mk_dmarc_history_close(h);
	}
	return h;
}

struct mk_dmarc_history *
mk_dmarc_history_close(struct mk_dmarc_history *h)
{
	if (h != NULL) {
		sqlite3_close(h->db);
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
override_of(const struct mk_dmarc_outcome *o)
{
	if (!o->downgraded)
		return "";
	return o->info.rec.testing || o->info.rec.pct == 0 ? "policy_test_mode" : "sampled_out";
}

int
mk_dmarc_history_add(struct mk_dmarc_history *h, const struct mk_dmarc_history_msg *m,
    char *err, size_t errlen)
{
	static const char sql[] = "INSERT INTO messages (ts, source_ip, header_from,"
	    " envelope_from, policy_domain, discovery, result, p, sp, np, adkim, aspf, pct, testing,"
	    " psd, rua, policy, disposition, dkim_eval, spf_eval, override, spf_domain,"
	    " spf_result, spf_scope, dkim) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	const struct mk_dmarc_outcome *o = m->o;
	const struct mk_dmarc_record *r = &o->info.rec;
	const struct mk_dmarc_input *in = m->in;
	char rua[MK_DMARC_URIS_MAX * (MK_DMARC_URI_MAX + 1)], dkim[1024];
	static const char *const psd[] = { "u", "y", "n" };
	sqlite3_stmt *st = NULL;
	int i = 1, rc;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(h->db, "history insert", err, errlen);
		return -1;
	}
	join_rua(r, rua, sizeof(rua));
	join_dkim(in, dkim, sizeof(dkim));
	sqlite3_bind_int64(st, i++, (sqlite3_int64)m->when);
	sqlite3_bind_text(st, i++, m->source_ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i++, m->header_from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i++, m->envelope_from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i++, o->info.domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i++, m->discovery, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, mk_dmarc_result_name(o->result), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, mk_dmarc_policy_name(r->p), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, mk_dmarc_policy_name(r->sp), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, mk_dmarc_policy_name(r->np), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, r->adkim_strict ? "s" : "r", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, r->aspf_strict ? "s" : "r", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i++, r->pct);
	sqlite3_bind_int(st, i++, r->testing);
	sqlite3_bind_text(st, i++, psd[r->psd], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, rua, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i++, mk_dmarc_policy_name(o->policy), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, mk_dmarc_policy_name(o->disposition), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, o->dkim_aligned ? "pass" : "fail", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, o->spf_aligned ? "pass" : "fail", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, override_of(o), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, in->have_spf ? in->spf.domain : m->envelope_from, -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i++, in->have_spf ? in->spf.result : "none", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i++, in->spf_helo ? "helo" : "mfrom", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, dkim, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_err(h->db, "history insert", err, errlen);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- reading ---------------------------------------------------------- */

static void
col_text(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, outsz, "%s", t != NULL ? (const char *)t : "");
}

int
mk_dmarc_history_domains(struct mk_dmarc_history *h, time_t begin, time_t end,
    int (*cb)(const char *domain, void *arg), void *arg, char *err, size_t errlen)
{
	static const char sql[] = "SELECT DISTINCT policy_domain FROM messages"
	    " WHERE ts >= ? AND ts < ? AND rua != '' ORDER BY policy_domain";
	char domain[MK_DNS_NAME_MAX + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(h->db, "history domains", err, errlen);
		return -1;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)end);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, domain, sizeof(domain));
		if (cb(domain, arg) == -1)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_err(h->db, "history domains", err, errlen);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
mk_dmarc_history_published(struct mk_dmarc_history *h, const char *domain, time_t begin,
    time_t end, struct mk_dmarc_published *out, char *err, size_t errlen)
{
	static const char sql[] = "SELECT p, sp, np, adkim, aspf, pct, testing, psd, rua,"
	    " discovery FROM messages WHERE policy_domain = ? AND ts >= ? AND ts < ?"
	    " ORDER BY ts DESC, id DESC LIMIT 1";
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(h->db, "history policy", err, errlen);
		return -1;
	}
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)end);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
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
	} else {
		snprintf(err, errlen, "history policy: no message for %s", domain);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
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
	struct mk_dmarc_agg_row row;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(h->db, "history rows", err, errlen);
		return -1;
	}
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)end);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
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
		if (cb(&row, arg) == -1)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_err(h->db, "history rows", err, errlen);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
mk_dmarc_history_was_reported(struct mk_dmarc_history *h, const char *domain,
    time_t begin, char *err, size_t errlen)
{
	static const char sql[] = "SELECT 1 FROM reports WHERE domain = ? AND begin_ts = ?";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(h->db, "history reports", err, errlen);
		return -1;
	}
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)begin);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_err(h->db, "history reports", err, errlen);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
mk_dmarc_history_mark_reported(struct mk_dmarc_history *h, const char *domain,
    time_t begin, time_t end, const char *report_id, char *err, size_t errlen)
{
	static const char sql[] = "INSERT OR IGNORE INTO reports (domain, begin_ts, end_ts,"
	    " report_id, made_ts) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(h->db, "history reports", err, errlen);
		return -1;
	}
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)end);
	sqlite3_bind_text(st, 4, report_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		db_err(h->db, "history reports", err, errlen);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- expiry ------------------------------------------------------------ */

static int
exec_before(struct mk_dmarc_history *h, const char *sql, time_t before, unsigned long *changed,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(h->db, "history expire", err, errlen);
		return -1;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)before);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		db_err(h->db, "history expire", err, errlen);
	else if (changed != NULL)
		*changed = (unsigned long)sqlite3_changes(h->db);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
mk_dmarc_history_expire(struct mk_dmarc_history *h, time_t before, unsigned long *deleted,
    char *err, size_t errlen)
{
	char *msg = NULL;

	*deleted = 0;
	if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "history expire: %s", msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	if (exec_before(h, "DELETE FROM messages WHERE ts < ?", before, deleted, err,
	    errlen) == -1 ||
	    exec_before(h, "DELETE FROM reports WHERE end_ts <= ?", before, NULL, err,
	    errlen) == -1) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		*deleted = 0;
		return -1;
	}
	if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "history expire: %s", msg != NULL ? msg : "?");
		sqlite3_free(msg);
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		*deleted = 0;
		return -1;
	}
	return 0;
}
