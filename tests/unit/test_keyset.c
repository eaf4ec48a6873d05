/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store's keyset pages (docs/LISTINGS.md), on either backend
 * (test_keyset_pg): cases and the audit log newest first, a list's
 * entries in id order, each walked forward and back.  A page's cursors
 * lead exactly to its neighbours, the last page has none onward (also
 * when the rows fill it exactly), a filter pages only what it keeps, and
 * the counts say where a page stands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "th_db.h"
#include "vigil/store.h"
#include "vigil/store_lists.h"
#include "vigil/store_notices.h"
#include "vigil/store_people.h"

static char dir[] = "/tmp/vigil-test-keyset-XXXXXX";
static char db[1024];

/* sql run n times behind the store's back, its one "%d" each time 1..n. */
static int rows(const char *sql, int n)
{
    const char *at = strstr(sql, "%d");
    char q[512];

    for (int i = 1; at && i <= n; i++) {
        snprintf(q, sizeof(q), "%.*s%d%s", (int)(at - sql), sql, i, at + 2);
        if (th_db_exec(db, q) < 0)
            return -1;
    }
    return at ? 0 : -1;
}

/* The ids of a page of cases as "7 6 5". */
static void ids_of(const struct vg_case_list *l, char *out, size_t n)
{
    size_t k = 0;

    out[0] = '\0';
    for (size_t i = 0; i < l->n && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%lld", i ? " " : "",
                              (long long)l->v[i].id);
}

/* The page before/after (or the first), limit 3: its ids, next, prev,
 * from and total into the text out. */
static void cases(struct vg_store *st, const char *status, int64_t before,
                  int64_t after, char *out, size_t n)
{
    struct vg_case_list *l = NULL;
    char ids[64];

    TH_EQ_INT(vg_store_cases(st, status, before, after, 3, 1, &l, NULL),
              VG_OK);
    if (!l)
        return;
    ids_of(l, ids, sizeof(ids));
    snprintf(out, n, "%s|next %lld prev %lld|%lld of %lld", ids,
             (long long)l->next, (long long)l->prev, (long long)l->from,
             (long long)l->total);
    vg_case_list_free(l);
}

static void test_cases(void)
{
    struct vg_store *st = NULL;
    struct vg_case_list *l = NULL;
    char got[128];

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "cases.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, NULL), VG_OK);
    TH_EQ_INT(rows("INSERT INTO urls (url, host, first_seen_at) VALUES"
                   " ('http://h.test/%d', 'h.test', 1)",
                   7),
              0);
    /* cases 1..7; 2, 4 and 6 removed */
    TH_EQ_INT(rows("INSERT INTO cases (url_id, opened_at, status) VALUES"
                   " (%d, 1, 'open')",
                   7),
              0);
    TH_CHECK(th_db_exec(db, "UPDATE cases SET status = 'removed' WHERE"
                            " id IN (2, 4, 6)") >= 0);
    cases(st, NULL, 0, 0, got, sizeof(got));
    TH_EQ_STR(got, "7 6 5|next 5 prev 0|0 of 7");
    cases(st, NULL, 5, 0, got, sizeof(got));
    TH_EQ_STR(got, "4 3 2|next 2 prev 4|3 of 7");
    cases(st, NULL, 2, 0, got, sizeof(got));
    TH_EQ_STR(got, "1|next 0 prev 1|6 of 7");
    /* back from the last page, and back again to the first */
    cases(st, NULL, 0, 1, got, sizeof(got));
    TH_EQ_STR(got, "4 3 2|next 2 prev 4|3 of 7");
    cases(st, NULL, 0, 4, got, sizeof(got));
    TH_EQ_STR(got, "7 6 5|next 5 prev 0|0 of 7");
    /* a filter pages what it keeps; a last page that is full says so */
    cases(st, "removed", 0, 0, got, sizeof(got));
    TH_EQ_STR(got, "6 4 2|next 0 prev 0|0 of 3");
    cases(st, "open", 0, 0, got, sizeof(got));
    TH_EQ_STR(got, "7 5 3|next 3 prev 0|0 of 4");
    cases(st, "open", 3, 0, got, sizeof(got));
    TH_EQ_STR(got, "1|next 0 prev 1|3 of 4");
    /* no limit: all, no count asked */
    TH_EQ_INT(vg_store_cases(st, NULL, 0, 0, 0, 0, &l, NULL), VG_OK);
    TH_CHECK(l && l->n == 7 && !l->next && !l->prev && !l->total);
    vg_case_list_free(l);
    vg_store_close(st);
}

static int count_record(void *ctx, const struct vg_audit_record *r)
{
    (void)r;
    ++*(int *)ctx;
    return VG_OK;
}

static void test_audit(void)
{
    struct vg_store *st = NULL;
    struct vg_audit_page *p = NULL;
    int64_t next = -1, top, first;
    int n = 0;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "audit.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, NULL), VG_OK);
    top = th_db_int(db, "SELECT COALESCE(max(id), 0) FROM audit_log");
    TH_EQ_INT(rows("INSERT INTO audit_log (id, at, action, detail, hash)"
                   " SELECT COALESCE(max(id), 0) + 1, %d, 'test', '',"
                   " 'x' FROM audit_log",
                   5),
              0);
    /* the command line's: the latest 2, oldest first, and the older */
    TH_EQ_INT(vg_store_audit(st, 0, 2, count_record, &n, &next, NULL), VG_OK);
    TH_CHECK(n == 2 && next == top + 4);
    n = 0;
    TH_EQ_INT(vg_store_audit(st, top + 2, 2, count_record, &n, &next, NULL),
              VG_OK);
    /* records 1..top+1 are below top+2: the page is the last two */
    first = top + 1 - (top + 1 < 2 ? top + 1 : 2) + 1;
    TH_CHECK(n == top + 2 - first && next == (first > 1 ? first : 0));
    /* the console's, newest first, and back */
    TH_EQ_INT(vg_store_audit_recent(st, top + 4, 0, 2, &p, NULL), VG_OK);
    TH_CHECK(p && p->n == 2 && p->v[0].r.id == top + 3 && p->next == top + 2 &&
             p->prev == top + 3 && p->from == 2 && p->total == top + 5);
    vg_audit_page_free(p);
    TH_EQ_INT(vg_store_audit_recent(st, 0, top + 3, 2, &p, NULL), VG_OK);
    TH_CHECK(p && p->n == 2 && p->v[0].r.id == top + 5 &&
             p->v[1].r.id == top + 4 && p->prev == 0 && p->from == 0);
    vg_audit_page_free(p);
    vg_store_close(st);
}

static int entry_id(void *ctx, const struct vg_list_entry *e)
{
    char *s = ctx;
    size_t k = strlen(s);

    snprintf(s + k, 64 - k, "%s%lld", k ? " " : "", (long long)e->id);
    return VG_OK;
}

static void test_entries(void)
{
    struct vg_store *st = NULL;
    char got[64] = "";
    int64_t below = -1;
    long long list;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "entries.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, NULL), VG_OK);
    TH_CHECK(th_db_exec(db, "INSERT INTO hash_lists (name, category,"
                            " created_at) VALUES ('l', 'csam', 1)") >= 0);
    list = th_db_int(db, "SELECT id FROM hash_lists");
    TH_EQ_INT(rows(th_db_pg(db)
                       ? "INSERT INTO list_entries (list_id, algo, value,"
                         " added_at) SELECT id, 'md5', decode(md5('%d'),"
                         " 'hex'), 1 FROM hash_lists"
                       : "INSERT INTO list_entries (list_id, algo, value,"
                         " added_at) SELECT id, 'md5', randomblob(16), %d"
                         " FROM hash_lists",
                   5),
              0);
    TH_EQ_INT(vg_store_entries_page(st, list, 2, 0, 2, entry_id, got, NULL),
              VG_OK);
    TH_EQ_STR(got, "3 4");
    got[0] = '\0';
    TH_EQ_INT(vg_store_entries_page(st, list, 0, 5, 3, entry_id, got, NULL),
              VG_OK);
    TH_EQ_STR(got, "2 3 4");
    TH_EQ_INT(vg_store_entries_below(st, list, 4, &below, NULL), VG_OK);
    TH_CHECK(below == 3);
    vg_store_close(st);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TH_RUN(test_cases);
    TH_RUN(test_audit);
    TH_RUN(test_entries);
    {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", dir);
    }
    return th_done();
}
