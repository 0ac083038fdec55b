/*
 * t/unit/test_dmarc_history.c: the SQLite history store (lib/dmarc_history)
 * on a temporary file: messages recorded and read back per period and
 * domain, aggregated by source IP and result, a message without SPF input
 * recorded as SPF none, domains without rua left out, the reported-period
 * idempotence table, expiry, and the errors of a missing / read-only file;
 * ri= recorded (0 when not published), a history made before the ri column
 * upgraded at open.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/dmarc.h"
#include "lib/dmarc_history.h"
#include "lib/dmarc_record.h"
#include "tap.h"

struct msgspec {
	time_t when;
	const char *ip, *from, *record;
	bool dkim_pass, have_spf;
	enum mk_dmarc_result result;
	enum mk_dmarc_policy disposition;
};

static int
add(struct mk_dmarc_history *h, const struct msgspec *s)
{
	struct mk_dmarc_input in;
	struct mk_dmarc_outcome o;
	struct mk_dmarc_history_msg m;
	char err[512];

	memset(&in, 0, sizeof(in));
	memset(&o, 0, sizeof(o));
	in.from_domain = s->from;
	in.ndkim = 1;
	snprintf(in.dkim[0].domain, sizeof(in.dkim[0].domain), "%s", s->from);
	snprintf(in.dkim[0].selector, sizeof(in.dkim[0].selector), "sel");
	snprintf(in.dkim[0].result, sizeof(in.dkim[0].result), "%s", s->dkim_pass ? "pass" : "fail");
	if (s->have_spf) {
		in.have_spf = true;
		snprintf(in.spf.domain, sizeof(in.spf.domain), "%s", s->from);
		snprintf(in.spf.result, sizeof(in.spf.result), "pass");
	}
	o.info.status = MK_DMARC_DISC_FOUND;
	snprintf(o.info.domain, sizeof(o.info.domain), "%s", s->from);
	if (mk_dmarc_record_parse(s->record, strlen(s->record), &o.info.rec) != MK_DMARC_REC_OK)
		return -1;
	o.result = s->result;
	o.policy = o.info.rec.p;
	o.disposition = s->disposition;
	o.dkim_aligned = s->dkim_pass;
	o.spf_aligned = s->have_spf;
	memset(&m, 0, sizeof(m));
	m.when = s->when;
	m.source_ip = s->ip;
	m.header_from = s->from;
	m.envelope_from = "bounce.example.net";
	m.discovery = "treewalk";
	m.in = &in;
	m.o = &o;
	if (mk_dmarc_history_add(h, &m, err, sizeof(err)) == -1) {
		diag("add: %s", err);
		return -1;
	}
	return 0;
}

struct domains {
	char list[512];
};

static int
domain_cb(const char *domain, void *arg)
{
	struct domains *d = arg;
	size_t n = strlen(d->list);

	snprintf(d->list + n, sizeof(d->list) - n, "%s%s", n ? " " : "", domain);
	return 0;
}

struct rows {
	size_t n;
	struct mk_dmarc_agg_row row[8];
};

static int
row_cb(const struct mk_dmarc_agg_row *row, void *arg)
{
	struct rows *r = arg;

	if (r->n < 8)
		r->row[r->n++] = *row;
	return 0;
}

static const char *
domains_in(struct mk_dmarc_history *h, time_t begin, time_t end, struct domains *d)
{
	char err[512];

	d->list[0] = '\0';
	if (mk_dmarc_history_domains(h, begin, end, domain_cb, d, err, sizeof(err)) == -1)
		return "(error)";
	return d->list;
}

/* A store made by a mailaka before the ri column: open adds it. */
static int
upgrade_old(const char *dir)
{
	static const char rec[] = "v=DMARC1; p=none; rua=mailto:a@old.example";
	const struct msgspec m = { 100, "192.0.2.1", "old.example", rec, true, true,
		MK_DMARC_RES_PASS, MK_DMARC_P_NONE };
	struct mk_dmarc_published pub;
	struct mk_dmarc_history *h;
	char path[300], err[512];
	sqlite3 *db = NULL;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/old.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, "CREATE TABLE messages ("
	    " id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, source_ip TEXT NOT NULL,"
	    " header_from TEXT NOT NULL, envelope_from TEXT NOT NULL,"
	    " policy_domain TEXT NOT NULL, discovery TEXT NOT NULL, result TEXT NOT NULL,"
	    " p TEXT, sp TEXT, np TEXT, adkim TEXT, aspf TEXT, pct INTEGER, testing INTEGER,"
	    " psd TEXT, rua TEXT NOT NULL, policy TEXT NOT NULL, disposition TEXT NOT NULL,"
	    " dkim_eval TEXT NOT NULL, spf_eval TEXT NOT NULL, override TEXT NOT NULL,"
	    " spf_domain TEXT NOT NULL, spf_result TEXT NOT NULL, spf_scope TEXT NOT NULL,"
	    " dkim TEXT NOT NULL);", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_close(db);
	if ((h = mk_dmarc_history_open(path, false, err, sizeof(err))) == NULL) {
		diag("open old: %s", err);
		goto done;
	}
	if (add(h, &m) == 0 &&
	    mk_dmarc_history_published(h, "old.example", 0, 200, &pub, err, sizeof(err)) == 0 &&
	    pub.ri == 0)
		rc = 0;
	mk_dmarc_history_close(h);
	/* a second open finds the column there */
	if ((h = mk_dmarc_history_open(path, false, err, sizeof(err))) == NULL)
		rc = -1;
	mk_dmarc_history_close(h);
done:
	unlink(path);
	snprintf(path, sizeof(path), "%s/old.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/old.db-shm", dir);
	unlink(path);
	return rc;
}

int
main(void)
{
	static const char rua[] = "v=DMARC1; p=reject; rua=mailto:agg@example.com";
	const struct msgspec msgs[] = {
		{ 1000, "192.0.2.1", "example.com", rua, true, true, MK_DMARC_RES_PASS, MK_DMARC_P_NONE },
		{ 1001, "192.0.2.1", "example.com", rua, true, true, MK_DMARC_RES_PASS, MK_DMARC_P_NONE },
		{ 1002, "192.0.2.2", "example.com", rua, false, false, MK_DMARC_RES_FAIL,
		  MK_DMARC_P_REJECT },
		{ 1003, "192.0.2.3", "norua.example", "v=DMARC1; p=none", false, false,
		  MK_DMARC_RES_FAIL, MK_DMARC_P_NONE },
		{ 5000, "192.0.2.1", "example.com", rua, true, true, MK_DMARC_RES_PASS, MK_DMARC_P_NONE },
		{ 1500, "192.0.2.9", "ri.example", "v=DMARC1; p=none; ri=7200; rua=mailto:a@ri.example",
		  true, true, MK_DMARC_RES_PASS, MK_DMARC_P_NONE },
	};
	char dir[] = "/tmp/test_dmarc_history.XXXXXX", path[256], wal[300], err[512];
	struct mk_dmarc_history *h, *ro;
	struct mk_dmarc_published pub;
	struct domains d;
	struct rows r;
	unsigned long deleted;
	size_t i;
	int fails = 0;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	snprintf(path, sizeof(path), "%s/h.db", dir);
	err[0] = '\0';
	ok(mk_dmarc_history_open(path, true, err, sizeof(err)) == NULL && err[0] != '\0',
	    "read-only open of a missing file: refused (%s)", err);
	h = mk_dmarc_history_open(path, false, err, sizeof(err));
	ok(h != NULL, "open creates the store");
	if (h == NULL)
		return done_testing();
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		fails += add(h, &msgs[i]) == -1;
	is_int(fails, 0, "six messages recorded");

	is_str(domains_in(h, 0, 2000, &d), "example.com ri.example",
	    "period [0,2000): only the domains with a rua");
	is_str(domains_in(h, 4000, 6000, &d), "example.com", "period [4000,6000)");
	is_str(domains_in(h, 2000, 4000, &d), "", "empty period: no domain");

	ok(mk_dmarc_history_published(h, "example.com", 0, 2000, &pub, err, sizeof(err)) == 0,
	    "published policy read");
	is_str(pub.p, "reject", "published p");
	is_str(pub.rua, "mailto:agg@example.com", "published rua");
	is_str(pub.discovery, "treewalk", "published discovery");
	is_int(pub.ri, 0, "ri= not published: 0");
	ok(mk_dmarc_history_published(h, "ri.example", 0, 2000, &pub, err, sizeof(err)) == 0 &&
	    pub.ri == 7200, "ri=7200 published: recorded");
	ok(mk_dmarc_history_published(h, "nothing.example", 0, 2000, &pub, err, sizeof(err)) == -1,
	    "no message for a domain: error (%s)", err);

	memset(&r, 0, sizeof(r));
	ok(mk_dmarc_history_rows(h, "example.com", 0, 2000, row_cb, &r, err, sizeof(err)) == 0,
	    "rows read");
	is_int(r.n, 2, "three messages aggregated in two rows (by source IP and result)");
	if (r.n == 2) {
		is_str(r.row[0].source_ip, "192.0.2.1", "row 1: source IP");
		is_int(r.row[0].count, 2, "row 1: two messages");
		is_str(r.row[0].dkim_eval, "pass", "row 1: DKIM aligned pass");
		is_str(r.row[0].spf_result, "pass", "row 1: SPF pass");
		is_str(r.row[0].dkim, "example.com sel pass", "row 1: DKIM domain, selector, result");
		is_str(r.row[1].source_ip, "192.0.2.2", "row 2: source IP");
		is_int(r.row[1].count, 1, "row 2: one message");
		is_str(r.row[1].disposition, "reject", "row 2: disposition reject");
		is_str(r.row[1].spf_result, "none", "row 2: no SPF input recorded as SPF none");
		is_str(r.row[1].spf_domain, "bounce.example.net",
		    "row 2: SPF domain is the MAIL FROM domain");
	}

	is_int(mk_dmarc_history_was_reported(h, "example.com", 0, err, sizeof(err)), 0,
	    "period not reported yet");
	is_int(mk_dmarc_history_mark_reported(h, "example.com", 0, 2000, "id-1", err, sizeof(err)), 0,
	    "period marked reported");
	is_int(mk_dmarc_history_was_reported(h, "example.com", 0, err, sizeof(err)), 1,
	    "period reported");
	is_int(mk_dmarc_history_mark_reported(h, "example.com", 0, 2000, "id-2", err, sizeof(err)), 0,
	    "marking twice is harmless");
	is_int(mk_dmarc_history_was_reported(h, "example.com", 4000, err, sizeof(err)), 0,
	    "another period is not reported");

	/* a second, read-only connection (the report command) sees the rows */
	ro = mk_dmarc_history_open(path, true, err, sizeof(err));
	ok(ro != NULL, "read-only open of the store");
	if (ro != NULL) {
		is_str(domains_in(ro, 0, 2000, &d), "example.com ri.example", "read-only: domains");
		mk_dmarc_history_close(ro);
	}

	ok(mk_dmarc_history_expire(h, 2000, &deleted, err, sizeof(err)) == 0, "expire before 2000");
	is_int(deleted, 5, "five messages older than 2000 deleted");
	is_str(domains_in(h, 0, 2000, &d), "", "expired period: no domain left");
	is_int(mk_dmarc_history_was_reported(h, "example.com", 0, err, sizeof(err)), 0,
	    "the expired period's report record is gone");
	is_str(domains_in(h, 4000, 6000, &d), "example.com", "newer messages kept");
	ok(mk_dmarc_history_expire(h, 2000, &deleted, err, sizeof(err)) == 0 && deleted == 0,
	    "expire again: nothing to delete");
	mk_dmarc_history_close(h);
	ok(mk_dmarc_history_close(NULL) == NULL, "close(NULL)");

	fails = upgrade_old(dir);
	is_int(fails, 0, "a history without the ri column: upgraded at open, written, read");

	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	rmdir(dir);
	return done_testing();
}
