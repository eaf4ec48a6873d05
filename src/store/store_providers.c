/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider registry and the RDAP cache (vigil/store_providers.h).
 * A provider is a row of providers with its domains (provider_domains,
 * one provider per domain) and networks (provider_networks: a CIDR with
 * its family, prefix and first and last address as big-endian bytes, or
 * an AS number; one provider per CIDR and per AS).  Writes check and
 * normalise everything first (domains lowercase without a final dot,
 * CIDRs canonical, duplicates dropped, e-mails kept in the order given:
 * the first is the main contact), then change rows and write the audit
 * record in one transaction.  Lookups: by domain, each suffix of the host
 * at a label boundary from the longest (point queries on the unique
 * index); by address, the CIDRs of the family whose range holds it, most
 * specific first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/ipnet.h"
#include "vigil/store_providers.h"

/* ---- checks ---- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* LDH labels joined by dots, each 1..63, not starting or ending with '-';
 * with underscore, '_' is allowed too (service names, some hosts). */
static int labels_valid(const char *s, size_t n, int underscore)
{
    size_t len = 0;

    if (!n || n > VG_DOMAIN_MAX)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        int c = i < n ? (unsigned char)s[i] : '.';
        if (c == '.') {
            if (!len || len > 63 || s[i - 1] == '-' || s[i - len] == '-')
                return 0;
            len = 0;
            continue;
        }
        if (!is_alnum(c) && c != '-' && !(underscore && c == '_'))
            return 0;
        len++;
    }
    return 1;
}

int vg_provider_email_valid(const char *s)
{
    static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
    const char *at;
    size_t local;

    if (!s || strlen(s) > VG_EMAIL_MAX || !(at = strrchr(s, '@')))
        return 0;
    local = (size_t)(at - s);
    if (!local || local > 64 || s[0] == '.' || s[local - 1] == '.')
        return 0;
    for (size_t i = 0; i < local; i++) {
        int c = (unsigned char)s[i];
        if (c == '.' ? s[i + 1] == '.' : !(is_alnum(c) || strchr(atext, c)))
            return 0;
    }
    /* a domain with at least two labels: no bare hosts, no literals */
    return strchr(at + 1, '.') != NULL &&
           labels_valid(at + 1, strlen(at + 1), 0);
}

int vg_provider_domain_valid(const char *s)
{
    struct vg_ipnet ip;

    if (!s || vg_ipnet_parse(s, VG_IPNET_ADDRESS, &ip) == VG_OK)
        return 0;
    for (const char *p = s; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            return 0;
    return labels_valid(s, strlen(s), 1);
}

/* "AS64500" (any case) -> 64500; -1 if s is not an AS number. */
static int64_t parse_asn(const char *s)
{
    int64_t v = 0;

    if (lower(s[0]) != 'a' || lower(s[1]) != 's' || !s[2] || s[2] == '0')
        return -1;
    for (s += 2; *s; s++) {
        if (*s < '0' || *s > '9' || v > 429496729)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v >= 1 && v <= 4294967295LL ? v : -1;
}

int vg_provider_network_canonical(const char *s, char *buf, size_t n,
                                  struct vg_err *err)
{
    struct vg_ipnet net, masked;
    int64_t asn;

    if (!s || !*s)
        return vg_err_set(err, VG_EINVAL, "an empty network");
    if ((asn = parse_asn(s)) >= 0) {
        snprintf(buf, n, "AS%lld", (long long)asn);
        return VG_OK;
    }
    if (vg_ipnet_parse(s, 0, &net) == VG_OK) {
        vg_ipnet_format(&net, 0, buf, n);
        return VG_OK;
    }
    if (vg_ipnet_parse(s, VG_IPNET_MASK, &masked) == VG_OK) {
        char want[VG_IPNET_STRLEN];
        vg_ipnet_format(&masked, 0, want, sizeof(want));
        return vg_err_set(err, VG_EINVAL,
                          "network %.64s has bits set after its prefix "
                          "(did you mean %s?)",
                          s, want);
    }
    if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
        return vg_err_set(err, VG_EINVAL,
                          "%.64s is not an AS number (AS1 to AS4294967295)",
                          s);
    return vg_err_set(err, VG_EINVAL,
                      "%.64s is not a network (CIDR such as 192.0.2.0/24 or "
                      "2001:db8::/32, or an AS number such as AS64500)",
                      s);
}

/* UTF-8 text of at most max bytes; with line, tab and line breaks pass. */
static int text_valid(const char *s, size_t max, int lines)
{
    size_t n = s ? strlen(s) : 0;

    if (n > max || vg_utf8_count(s ? s : "", n) < 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 || c == 0x7f) &&
            !(lines && (c == '\n' || c == '\r' || c == '\t')))
            return 0;
    }
    return 1;
}

int vg_provider_check(const struct vg_provider *p, struct vg_err *err)
{
    char canon[64];
    size_t n;
    int rc;

    if (!p->name || !(n = strlen(p->name)) ||
        !text_valid(p->name, VG_PROVIDER_NAME_MAX, 0) || p->name[0] == ' ' ||
        p->name[n - 1] == ' ')
        return vg_err_set(err, VG_EINVAL,
                          "a provider's name has 1 to %d bytes of UTF-8 "
                          "text without control characters or outer spaces",
                          VG_PROVIDER_NAME_MAX);
    if (strcmp(p->language, "en") && strcmp(p->language, "fr"))
        return vg_err_set(err, VG_EINVAL, "language is en or fr, not '%.8s'",
                          p->language);
    if (!text_valid(p->notes, VG_PROVIDER_NOTES_MAX, 1))
        return vg_err_set(err, VG_EINVAL,
                          "notes are UTF-8 text of at most %d bytes",
                          VG_PROVIDER_NOTES_MAX);
    if (p->nemails > VG_PROVIDER_EMAILS_MAX)
        return vg_err_set(err, VG_EINVAL, "at most %d abuse e-mails",
                          VG_PROVIDER_EMAILS_MAX);
    if (p->ndomains > VG_PROVIDER_ITEMS_MAX ||
        p->nnetworks > VG_PROVIDER_ITEMS_MAX)
        return vg_err_set(err, VG_EINVAL, "at most %d domains and %d networks",
                          VG_PROVIDER_ITEMS_MAX, VG_PROVIDER_ITEMS_MAX);
    for (size_t i = 0; i < p->nemails; i++)
        if (!vg_provider_email_valid(p->emails[i]))
            return vg_err_set(err, VG_EINVAL,
                              "'%.80s' is not an e-mail address",
                              p->emails[i] ? p->emails[i] : "");
    for (size_t i = 0; i < p->ndomains; i++) {
        char d[VG_DOMAIN_MAX + 1];
        const char *s = p->domains[i] ? p->domains[i] : "";
        size_t k = strlen(s);
        if (k && s[k - 1] == '.')
            k--;
        if (k <= VG_DOMAIN_MAX) {
            for (size_t j = 0; j < k; j++)
                d[j] = (char)lower((unsigned char)s[j]);
            d[k] = '\0';
        }
        if (k > VG_DOMAIN_MAX || !vg_provider_domain_valid(d))
            return vg_err_set(err, VG_EINVAL,
                              "'%.80s' is not a domain name (ASCII letters, "
                              "digits, '-', '_' and dots; IDN in punycode)",
                              s);
    }
    for (size_t i = 0; i < p->nnetworks; i++)
        if ((rc = vg_provider_network_canonical(p->networks[i], canon,
                                                sizeof(canon), err)))
            return rc;
    return VG_OK;
}

/* ---- a provider normalised for writing ---- */

struct net {
    char text[64];
    int64_t asn; /* -1 for a CIDR */
    struct vg_ipnet ip;
};

struct norm {
    const struct vg_provider *p;
    char *emails; /* joined by ',' */
    char (*domains)[VG_DOMAIN_MAX + 1];
    size_t ndomains;
    struct net *nets;
    size_t nnets;
};

static int cmp_domain(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int cmp_net(const void *a, const void *b)
{
    return strcmp(((const struct net *)a)->text,
                  ((const struct net *)b)->text);
}

static void norm_fini(struct norm *m)
{
    vg_free(m->emails);
    vg_free(m->domains);
    vg_free(m->nets);
    memset(m, 0, sizeof(*m));
}

static int norm_init(struct norm *m, const struct vg_provider *p,
                     struct vg_err *err)
{
    struct vg_buf b;
    int rc;

    memset(m, 0, sizeof(*m));
    m->p = p;
    if ((rc = vg_provider_check(p, err)))
        return rc;
    vg_buf_init(&b, 0);
    for (size_t i = 0; i < p->nemails; i++) {
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = !strcasecmp(p->emails[i], p->emails[j]);
        if (!dup && ((b.len && vg_buf_puts(&b, ",")) ||
                     vg_buf_puts(&b, p->emails[i]))) {
            vg_buf_fini(&b);
            return VG_ENOMEM;
        }
    }
    m->emails = b.data ? b.data : vg_strdup("");
    m->domains = vg_calloc(p->ndomains + 1, sizeof(*m->domains));
    m->nets = vg_calloc(p->nnetworks + 1, sizeof(*m->nets));
    if (!m->emails || !m->domains || !m->nets) {
        norm_fini(m);
        return VG_ENOMEM;
    }
    for (size_t i = 0; i < p->ndomains; i++) {
        char *d = m->domains[i];
        size_t k;
        snprintf(d, VG_DOMAIN_MAX + 1, "%s", p->domains[i]);
        for (k = 0; d[k]; k++)
            d[k] = (char)lower((unsigned char)d[k]);
        if (k && d[k - 1] == '.')
            d[k - 1] = '\0';
    }
    qsort(m->domains, p->ndomains, sizeof(*m->domains), cmp_domain);
    for (size_t i = 0; i < p->ndomains; i++)
        if (!m->ndomains || strcmp(m->domains[m->ndomains - 1], m->domains[i]))
            memmove(m->domains[m->ndomains++], m->domains[i],
                    sizeof(*m->domains));
    for (size_t i = 0; i < p->nnetworks; i++) {
        struct net *x = &m->nets[i];
        vg_provider_network_canonical(p->networks[i], x->text, sizeof(x->text),
                                      NULL);
        x->asn = parse_asn(x->text);
        if (x->asn < 0)
            vg_ipnet_parse(x->text, 0, &x->ip);
    }
    qsort(m->nets, p->nnetworks, sizeof(*m->nets), cmp_net);
    for (size_t i = 0; i < p->nnetworks; i++)
        if (!m->nnets || strcmp(m->nets[m->nnets - 1].text, m->nets[i].text))
            m->nets[m->nnets++] = m->nets[i];
    return VG_OK;
}

static int load(struct vg_store *st, int64_t id, struct vg_provider **out,
                struct vg_err *err);

/* ---- writing (store locked, inside a write transaction) ---- */

static const char *source_name(enum vg_provider_source s)
{
    return s == VG_PROVIDER_RDAP ? "rdap" : "manual";
}

static int taken(int rc, const char *name, struct vg_err *err)
{
    if (rc == VG_EEXIST)
        return vg_err_set(err, VG_EEXIST, "a provider named %.200s exists",
                          name);
    return rc;
}

/* The row: a new one (*id 0 in) or provider *id updated. */
static int write_row(struct vg_store *st, const struct norm *m, int64_t *id,
                     int64_t now, struct vg_err *err)
{
    const struct vg_provider *p = m->p;
    struct vg__stmt *s = NULL;
    const char *notes = p->notes ? p->notes : "";
    int rc;

    if (!*id) {
        if (!(rc = vg__store_query(
                  st, &s, err,
                  "INSERT INTO providers (name, abuse_emails, language,"
                  " one_notice_per_url, notes, created_at, source,"
                  " confirmed, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                  " RETURNING id",
                  "tttititii", p->name, m->emails, p->language,
                  (int64_t)(p->one_notice_per_url != 0), notes, now,
                  source_name(p->source), (int64_t)(p->confirmed != 0), now)))
            rc = vg__store_scalar(st, s, id, err);
        return taken(rc, p->name, err);
    }
    if ((rc = vg__store_query(
             st, &s, err,
             "UPDATE providers SET name = ?, abuse_emails = ?, language = ?,"
             " one_notice_per_url = ?, notes = ?, source = ?, confirmed = ?,"
             " updated_at = ? WHERE id = ?",
             "tttittiii", p->name, m->emails, p->language,
             (int64_t)(p->one_notice_per_url != 0), notes,
             source_name(p->source), (int64_t)(p->confirmed != 0), now,
             *id)) ||
        (rc = vg__store_run(st, s, err)))
        return taken(rc, p->name, err);
    if (st->ops->changes(st->db) == 0)
        return vg_err_set(err, VG_ENOENT, "no provider %lld", (long long)*id);
    if (!(rc = vg__store_query(st, &s, err,
                               "DELETE FROM provider_domains WHERE"
                               " provider_id = ?",
                               "i", *id)) &&
        !(rc = vg__store_run(st, s, err)) &&
        !(rc = vg__store_query(st, &s, err,
                               "DELETE FROM provider_networks WHERE"
                               " provider_id = ?",
                               "i", *id)))
        rc = vg__store_run(st, s, err);
    return rc;
}

/*
 * Before a child is inserted: VG_OK if no provider has it, else VG_EEXIST
 * naming the one that does.  Asked first, not after the unique index
 * refused the insert: on PostgreSQL a failed statement ends what the
 * transaction may do (under the write lock, nothing comes between).
 */
static int registered(struct vg_store *st, const char *sql, const char *fmt,
                      const char *what, const char *text, int64_t asn,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char name[VG_PROVIDER_NAME_MAX + 1];
    int rc = *fmt == 't' ? vg__store_query(st, &s, err, sql, fmt, text)
                         : vg__store_query(st, &s, err, sql, fmt, asn);

    if (rc)
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        const char *n = st->ops->col_text(s, 0);
        snprintf(name, sizeof(name), "%s", n ? n : "?");
        rc = VG_EEXIST;
    }
    st->ops->finalize(s);
    if (rc == VG_EEXIST)
        return vg_err_set(err, VG_EEXIST, "%s %s is registered to provider %s",
                          what, text, name);
    return rc == VG__DONE ? VG_OK : rc;
}

static int write_children(struct vg_store *st, const struct norm *m,
                          int64_t id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = VG_OK;

    for (size_t i = 0; !rc && i < m->ndomains; i++) {
        const char *d = m->domains[i];
        if (!(rc = registered(
                  st,
                  "SELECT p.name FROM provider_domains d JOIN providers"
                  " p ON p.id = d.provider_id WHERE d.domain = ?",
                  "t", "domain", d, 0, err)) &&
            !(rc = vg__store_query(st, &s, err,
                                   "INSERT INTO provider_domains"
                                   " (provider_id, domain) VALUES (?, ?)",
                                   "it", id, d)))
            rc = vg__store_run(st, s, err);
    }
    for (size_t i = 0; !rc && i < m->nnets; i++) {
        const struct net *x = &m->nets[i];
        if (x->asn >= 0) {
            if (!(rc = registered(st,
                                  "SELECT p.name FROM provider_networks n JOIN"
                                  " providers p ON p.id = n.provider_id WHERE"
                                  " n.asn = ?",
                                  "i", "AS number", x->text, x->asn, err)) &&
                !(rc = vg__store_query(st, &s, err,
                                       "INSERT INTO provider_networks"
                                       " (provider_id, asn) VALUES (?, ?)",
                                       "ii", id, x->asn)))
                rc = vg__store_run(st, s, err);
        } else {
            uint8_t first[16], last[16];
            size_t len = vg_ipnet_len(&x->ip);
            vg_ipnet_first(&x->ip, first);
            vg_ipnet_last(&x->ip, last);
            if (!(rc = registered(st,
                                  "SELECT p.name FROM provider_networks n JOIN"
                                  " providers p ON p.id = n.provider_id WHERE"
                                  " n.cidr = ?",
                                  "t", "network", x->text, 0, err)) &&
                !(rc = vg__store_query(
                      st, &s, err,
                      "INSERT INTO provider_networks (provider_id, cidr,"
                      " family, prefix_len, first_addr, last_addr)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      "itiibb", id, x->text, (int64_t)x->ip.family,
                      (int64_t)x->ip.prefix, (const void *)first, len,
                      (const void *)last, len)))
                rc = vg__store_run(st, s, err);
        }
    }
    return rc;
}

static int audit(struct vg_store *st, int64_t actor, const char *action,
                 const struct norm *m, int64_t id, struct vg_err *err)
{
    char detail[VG_PROVIDER_NAME_MAX + 96];

    snprintf(detail, sizeof(detail), "%s (%s%s, %zu domains, %zu networks)",
             m->p->name, source_name(m->p->source),
             m->p->confirmed ? "" : ", suggested", m->ndomains, m->nnets);
    return vg__store_audit(st, actor, action, "provider", id, detail, err);
}

/* Write one provider (id 0: new) with its children and audit record. */
static int put_one(struct vg_store *st, int64_t actor,
                   const struct vg_provider *p, int64_t *id,
                   struct vg_err *err)
{
    struct norm m;
    int64_t was = *id;
    int rc;

    if ((rc = norm_init(&m, p, err)))
        return rc;
    if (!(rc = write_row(st, &m, id, (int64_t)time(NULL), err)) &&
        !(rc = write_children(st, &m, *id, err)))
        rc = audit(st, actor, was ? "provider.update" : "provider.add", &m,
                   *id, err);
    norm_fini(&m);
    return rc;
}

int vg_store_provider_add(struct vg_store *st, int64_t actor,
                          const struct vg_provider *p, int64_t *id,
                          struct vg_err *err)
{
    int64_t got = 0;
    int rc;

    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        rc = put_one(st, actor, p, &got, err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    if (!rc && id)
        *id = got;
    return rc;
}

int vg_store_provider_update(struct vg_store *st, int64_t actor, int64_t id,
                             const struct vg_provider *p, struct vg_err *err)
{
    int rc;

    if (id <= 0)
        return vg_err_set(err, VG_ENOENT, "no provider %lld", (long long)id);
    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        rc = put_one(st, actor, p, &id, err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is provider id, as stored, what m would write?  (store locked) */
static int unchanged(struct vg_store *st, int64_t id, const struct norm *m,
                     int *same, struct vg_err *err)
{
    const struct vg_provider *p = m->p;
    struct vg_provider *o = NULL;
    struct vg_buf emails;
    int rc = load(st, id, &o, err);

    *same = 0;
    if (rc)
        return rc;
    vg_buf_init(&emails, 0);
    for (size_t i = 0; !rc && i < o->nemails; i++)
        if (!(rc = i ? vg_buf_puts(&emails, ",") : VG_OK))
            rc = vg_buf_puts(&emails, o->emails[i]);
    if (!rc)
        rc = vg_buf_puts(&emails, "");
    if (!rc && !strcmp(emails.data, m->emails) &&
        !strcmp(o->language, p->language) &&
        !strcmp(o->notes, p->notes ? p->notes : "") &&
        o->one_notice_per_url == (p->one_notice_per_url != 0) &&
        o->confirmed == (p->confirmed != 0) && o->source == p->source &&
        o->ndomains == m->ndomains && o->nnetworks == m->nnets) {
        *same = 1;
        /* both sorted by strcmp: domains by the query, networks here */
        qsort(o->networks, o->nnetworks, sizeof(*o->networks), cmp_str);
        for (size_t i = 0; *same && i < m->ndomains; i++)
            *same = !strcmp(o->domains[i], m->domains[i]);
        for (size_t i = 0; *same && i < m->nnets; i++)
            *same = !strcmp(o->networks[i], m->nets[i].text);
    }
    vg_buf_fini(&emails);
    vg_provider_free(o);
    return rc;
}

int vg_store_providers_put(struct vg_store *st, int64_t actor,
                           const struct vg_provider *v, size_t n,
                           struct vg_providers_put_result *res,
                           struct vg_err *err)
{
    struct vg_providers_put_result r = {0, 0, 0, 0};
    struct norm *m = vg_calloc(n + 1, sizeof(*m));
    int64_t *ids = vg_calloc(n + 1, sizeof(*ids)), now = (int64_t)time(NULL);
    unsigned char *skip = vg_calloc(n + 1, 1);
    size_t at = 0;
    int rc = VG_ENOMEM;

    if (!m || !ids || !skip)
        goto out;
    for (at = 0; at < n; at++) {
        if ((rc = norm_init(&m[at], &v[at], err)))
            goto out;
        for (size_t j = 0; j < at; j++)
            if (!strcmp(v[j].name, v[at].name)) {
                rc = vg_err_set(err, VG_EEXIST,
                                "provider %.200s is given twice", v[at].name);
                goto out;
            }
    }
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    /* rows first, emptied of their domains and networks, so these may
       move between providers of the batch; providers that would not
       change are left alone (no audit record either) */
    for (at = 0; at < n; at++) {
        struct vg__stmt *s = NULL;
        int64_t was = 0;
        int same = 0;
        if (!(rc = vg__store_query(st, &s, err,
                                   "SELECT id FROM providers WHERE name = ?",
                                   "t", v[at].name)) &&
            (rc = vg__store_scalar(st, s, &was, err)) == VG_ENOENT)
            rc = VG_OK;
        if (!rc && was && !(rc = unchanged(st, was, &m[at], &same, err)) &&
            same) {
            skip[at] = 1;
            r.unchanged++;
            continue;
        }
        ids[at] = was;
        if (!rc && !(rc = write_row(st, &m[at], &ids[at], now, err)))
            rc = audit(st, actor, was ? "provider.update" : "provider.add",
                       &m[at], ids[at], err);
        if (rc)
            break;
        if (was)
            r.updated++;
        else
            r.added++;
    }
    for (size_t k = 0; k < n && !rc; k++)
        if (!skip[k] && (rc = write_children(st, &m[k], ids[k], err)))
            at = k;
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
out:
    for (size_t k = 0; m && k < n; k++)
        norm_fini(&m[k]);
    vg_free(m);
    vg_free(ids);
    vg_free(skip);
    r.bad = rc ? at : n; /* the provider refused (n: none in particular) */
    if (res)
        *res = r;
    return rc;
}

/* The name of provider id into buf (store locked). */
static int provider_name(struct vg_store *st, int64_t id, char *buf, size_t n,
                         int *confirmed, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = vg__store_query(st, &s, err,
                             "SELECT name, confirmed FROM providers WHERE"
                             " id = ?",
                             "i", id);

    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *name = st->ops->col_text(s, 0);
        snprintf(buf, n, "%s", name ? name : "");
        *confirmed = (int)st->ops->col_int(s, 1);
        rc = VG_OK;
    } else if (rc == VG__DONE) {
        rc = vg_err_set(err, VG_ENOENT, "no provider %lld", (long long)id);
    }
    st->ops->finalize(s);
    return rc;
}

int vg_store_provider_delete(struct vg_store *st, int64_t actor, int64_t id,
                             struct vg_err *err)
{
    char name[VG_PROVIDER_NAME_MAX + 1];
    struct vg__stmt *s = NULL;
    int64_t refs = 0;
    int rc, confirmed;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if ((rc = provider_name(st, id, name, sizeof(name), &confirmed, err)))
        goto end;
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT (SELECT COUNT(*) FROM cases WHERE"
                               " provider_id = ?) + (SELECT COUNT(*) FROM"
                               " notices WHERE provider_id = ?)",
                               "ii", id, id)) &&
        !(rc = vg__store_scalar(st, s, &refs, err)) && refs)
        rc = vg_err_set(err, VG_EBUSY,
                        "provider %s has cases or notices: it stays", name);
    if (!rc &&
        !(rc = vg__store_query(
              st, &s, err, "DELETE FROM providers WHERE id = ?", "i", id)) &&
        (rc = vg__store_run(st, s, err)) == VG_EEXIST)
        rc = vg_err_set(err, VG_EBUSY,
                        "provider %s is still referred to: it stays", name);
    if (!rc)
        rc = vg__store_audit(st, actor, "provider.delete", "provider", id,
                             name, err);
end:
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_provider_confirm(struct vg_store *st, int64_t actor, int64_t id,
                              struct vg_err *err)
{
    char name[VG_PROVIDER_NAME_MAX + 1];
    struct vg__stmt *s = NULL;
    int rc, confirmed = 0;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = provider_name(st, id, name, sizeof(name), &confirmed, err)) &&
        !confirmed &&
        !(rc = vg__store_query(st, &s, err,
                               "UPDATE providers SET confirmed = 1,"
                               " updated_at = ? WHERE id = ?",
                               "ii", (int64_t)time(NULL), id)) &&
        !(rc = vg__store_run(st, s, err)))
        rc = vg__store_audit(st, actor, "provider.confirm", "provider", id,
                             name, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

/* ---- reading (store locked) ---- */

void vg_provider_free(struct vg_provider *p)
{
    if (!p)
        return;
    vg_free(p->name);
    vg_free(p->notes);
    for (size_t i = 0; i < p->nemails; i++)
        vg_free(p->emails[i]);
    for (size_t i = 0; i < p->ndomains; i++)
        vg_free(p->domains[i]);
    for (size_t i = 0; i < p->nnetworks; i++)
        vg_free(p->networks[i]);
    vg_free(p->emails);
    vg_free(p->domains);
    vg_free(p->networks);
    vg_free(p);
}

/* Append a copy of s[0..n) to (*v)[*nv]. */
static int push(char ***v, size_t *nv, const char *s, size_t n)
{
    char **g, *c;

    if (!(*nv & (*nv + 1))) { /* 0, 1, 3, 7, ...: grow */
        if (!(g = vg_reallocarray(*v, 2 * *nv + 2, sizeof(*g))))
            return VG_ENOMEM;
        *v = g;
    }
    if (!(c = vg_malloc(n + 1)))
        return VG_ENOMEM;
    memcpy(c, s, n);
    c[n] = '\0';
    (*v)[(*nv)++] = c;
    return VG_OK;
}

/* Each row's first column (text) onto (*v)[*nv], then finalize s. */
static int push_rows(struct vg_store *st, struct vg__stmt *s, char ***v,
                     size_t *nv, struct vg_err *err)
{
    int rc;

    while ((rc = st->ops->step(s, err)) == VG__ROW) {
        const char *t = st->ops->col_text(s, 0);
        char buf[32];
        if (!t) { /* an AS number */
            snprintf(buf, sizeof(buf), "AS%lld",
                     (long long)st->ops->col_int(s, 1));
            t = buf;
        }
        if ((rc = push(v, nv, t, strlen(t))))
            break;
    }
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

static int load(struct vg_store *st, int64_t id, struct vg_provider **out,
                struct vg_err *err)
{
    struct vg_provider *p = vg_calloc(1, sizeof(*p));
    struct vg__stmt *s = NULL;
    int rc;

    *out = NULL;
    if (!p)
        return VG_ENOMEM;
    rc = vg__store_query(st, &s, err,
                         "SELECT id, name, abuse_emails, language,"
                         " one_notice_per_url, notes, source, confirmed,"
                         " created_at, updated_at FROM providers WHERE id = ?",
                         "i", id);
    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *name = st->ops->col_text(s, 1),
                   *emails = st->ops->col_text(s, 2),
                   *lang = st->ops->col_text(s, 3),
                   *notes = st->ops->col_text(s, 5),
                   *source = st->ops->col_text(s, 6);
        p->id = st->ops->col_int(s, 0);
        snprintf(p->language, sizeof(p->language), "%s", lang ? lang : "en");
        p->one_notice_per_url = (int)st->ops->col_int(s, 4);
        p->source = source && !strcmp(source, "rdap") ? VG_PROVIDER_RDAP
                                                      : VG_PROVIDER_MANUAL;
        p->confirmed = (int)st->ops->col_int(s, 7);
        p->created_at = st->ops->col_int(s, 8);
        p->updated_at = st->ops->col_int(s, 9);
        rc = (p->name = vg_strdup(name ? name : "")) &&
                     (p->notes = vg_strdup(notes ? notes : ""))
                 ? VG_OK
                 : VG_ENOMEM;
        /* ',' between (older rows: ';' or spaces too) */
        for (const char *e = emails ? emails : ""; !rc && *e;) {
            size_t k;
            e += strspn(e, ",; \t");
            if ((k = strcspn(e, ",; \t")))
                rc = push(&p->emails, &p->nemails, e, k);
            e += k;
        }
    } else if (rc == VG__DONE) {
        rc = vg_err_set(err, VG_ENOENT, "no provider %lld", (long long)id);
    }
    st->ops->finalize(s);
    if (!rc && !(rc = vg__store_query(st, &s, err,
                                      "SELECT domain FROM provider_domains"
                                      " WHERE provider_id = ? ORDER BY domain",
                                      "i", id)))
        rc = push_rows(st, s, &p->domains, &p->ndomains, err);
    if (!rc && !(rc = vg__store_query(st, &s, err,
                                      "SELECT cidr, asn FROM"
                                      " provider_networks WHERE provider_id"
                                      " = ? ORDER BY asn IS NOT NULL, family,"
                                      " first_addr, prefix_len, asn",
                                      "i", id)))
        rc = push_rows(st, s, &p->networks, &p->nnetworks, err);
    if (rc) {
        vg_provider_free(p);
        return rc;
    }
    *out = p;
    return VG_OK;
}

int vg_store_provider_get(struct vg_store *st, int64_t id,
                          struct vg_provider **out, struct vg_err *err)
{
    int rc;

    LOCK(st);
    rc = load(st, id, out, err);
    UNLOCK(st);
    return rc;
}

/* Load the provider whose id the query's first column gives (locked). */
static int load_by(struct vg_store *st, struct vg__stmt *s, char *matched,
                   size_t n, struct vg_provider **out, struct vg_err *err)
{
    int64_t id = 0;
    int rc = st->ops->step(s, err);

    if (rc == VG__ROW) {
        id = st->ops->col_int(s, 0);
        if (matched && n && st->ops->ncols(s) > 1) {
            const char *m = st->ops->col_text(s, 1);
            snprintf(matched, n, "%s", m ? m : "");
        }
    }
    st->ops->finalize(s);
    if (rc == VG__DONE)
        return VG_ENOENT;
    if (rc != VG__ROW)
        return rc;
    return load(st, id, out, err);
}

int vg_store_provider_by_name(struct vg_store *st, const char *name,
                              struct vg_provider **out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    *out = NULL;
    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT id FROM providers WHERE name = ?", "t",
                               name)) &&
        (rc = load_by(st, s, NULL, 0, out, err)) == VG_ENOENT)
        rc = vg_err_set(err, VG_ENOENT, "no provider named %.200s", name);
    UNLOCK(st);
    return rc;
}

int vg_store_providers(struct vg_store *st, unsigned flags,
                       int (*cb)(void *ctx, const struct vg_provider *p),
                       void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t *ids = NULL, *g;
    size_t n = 0, alloc = 0;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT id FROM providers WHERE (? = 0 OR"
                         " confirmed = 1) AND (? = 0 OR confirmed = 0)"
                         " ORDER BY name",
                         "ii", (int64_t) !!(flags & VG_PROVIDERS_CONFIRMED),
                         (int64_t) !!(flags & VG_PROVIDERS_SUGGESTED));
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            if (!(g = vg_reallocarray(ids, alloc, sizeof(*ids)))) {
                rc = VG_ENOMEM;
                break;
            }
            ids = g;
        }
        ids[n++] = st->ops->col_int(s, 0);
        rc = VG_OK;
    }
    st->ops->finalize(s);
    UNLOCK(st);
    if (rc == VG__DONE)
        rc = VG_OK;
    /* one at a time, the store free while cb runs */
    for (size_t i = 0; !rc && i < n; i++) {
        struct vg_provider *p = NULL;
        LOCK(st);
        rc = load(st, ids[i], &p, err);
        UNLOCK(st);
        if (rc == VG_ENOENT) { /* deleted meanwhile */
            rc = VG_OK;
            continue;
        }
        if (!rc)
            rc = cb(ctx, p);
        vg_provider_free(p);
    }
    vg_free(ids);
    return rc;
}

/* ---- lookups ---- */

int vg_store_provider_by_domain(struct vg_store *st, const char *host,
                                struct vg_provider **out, char *matched,
                                size_t n, struct vg_err *err)
{
    char h[VG_DOMAIN_MAX + 2];
    size_t len = host ? strlen(host) : 0;
    int rc = VG_ENOENT;

    *out = NULL;
    if (len && host[len - 1] == '.')
        len--;
    if (!len || len > VG_DOMAIN_MAX)
        return vg_err_set(err, VG_ENOENT, "no provider for this host");
    for (size_t i = 0; i < len; i++)
        h[i] = (char)lower((unsigned char)host[i]);
    h[len] = '\0';
    LOCK(st);
    for (const char *suffix = h; suffix && rc == VG_ENOENT;) {
        struct vg__stmt *s = NULL;
        if (*suffix &&
            !(rc = vg__store_query(st, &s, err,
                                   "SELECT provider_id, domain FROM"
                                   " provider_domains WHERE domain = ?",
                                   "t", suffix)))
            rc = load_by(st, s, matched, n, out, err);
        else if (!*suffix)
            rc = VG_ENOENT;
        if ((suffix = strchr(suffix, '.')))
            suffix++;
    }
    UNLOCK(st);
    if (rc == VG_ENOENT)
        rc = vg_err_set(err, VG_ENOENT, "no provider for %s", h);
    return rc;
}

int vg_store_provider_by_ip(struct vg_store *st, const char *ip,
                            struct vg_provider **out, char *matched, size_t n,
                            struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    struct vg_ipnet a;
    int rc;

    *out = NULL;
    if (vg_ipnet_parse(ip, VG_IPNET_ADDRESS, &a))
        return vg_err_set(err, VG_EINVAL, "%.64s is not an IP address",
                          ip ? ip : "");
    vg_ipnet_unmap(&a);
    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT provider_id, cidr FROM"
                               " provider_networks WHERE family = ? AND"
                               " first_addr <= ? AND last_addr >= ?"
                               " ORDER BY prefix_len DESC LIMIT 1",
                               "ibb", (int64_t)a.family, (const void *)a.addr,
                               vg_ipnet_len(&a), (const void *)a.addr,
                               vg_ipnet_len(&a))))
        rc = load_by(st, s, matched, n, out, err);
    UNLOCK(st);
    if (rc == VG_ENOENT)
        rc = vg_err_set(err, VG_ENOENT, "no provider network holds %s", ip);
    return rc;
}

int vg_store_provider_by_asn(struct vg_store *st, uint32_t asn,
                             struct vg_provider **out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    *out = NULL;
    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT provider_id FROM provider_networks"
                               " WHERE asn = ?",
                               "i", (int64_t)asn)))
        rc = load_by(st, s, NULL, 0, out, err);
    UNLOCK(st);
    if (rc == VG_ENOENT)
        rc = vg_err_set(err, VG_ENOENT, "no provider for AS%lu",
                        (unsigned long)asn);
    return rc;
}

/* ---- the RDAP cache ---- */

static const char *const rdap_statuses[] = {"ok", "no-contact", "not-found",
                                            "error"};

int vg_store_rdap_put(struct vg_store *st, const struct vg_rdap_cached *c,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    struct vg_ipnet a, b;
    size_t len;
    int rc, known = 0;

    for (size_t i = 0; i < 4; i++)
        known |= c->status && !strcmp(c->status, rdap_statuses[i]);
    if (vg_ipnet_parse(c->first, VG_IPNET_ADDRESS, &a) ||
        vg_ipnet_parse(c->last, VG_IPNET_ADDRESS, &b) ||
        a.family != b.family || memcmp(a.addr, b.addr, vg_ipnet_len(&a)) > 0)
        return vg_err_set(err, VG_EINVAL,
                          "not an address range: %.64s - %.64s",
                          c->first ? c->first : "", c->last ? c->last : "");
    if (!known)
        return vg_err_set(err, VG_EINVAL, "unknown RDAP cache status");
    len = vg_ipnet_len(&a);
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "DELETE FROM rdap_cache WHERE expires_at <= ?"
                               " OR (family = ? AND first_addr = ? AND"
                               " last_addr = ?)",
                               "iibb", (int64_t)time(NULL), (int64_t)a.family,
                               (const void *)a.addr, len, (const void *)b.addr,
                               len)) &&
        !(rc = vg__store_run(st, s, err)) &&
        !(rc = vg__store_query(
              st, &s, err,
              "INSERT INTO rdap_cache (family, first_addr, last_addr,"
              " status, handle, name, org, country, abuse_emails, cidrs,"
              " asns, server, error, fetched_at, expires_at) VALUES"
              " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              "ibbttttttttttii", (int64_t)a.family, (const void *)a.addr, len,
              (const void *)b.addr, len, c->status, c->handle, c->name, c->org,
              c->country, c->emails ? c->emails : "", c->cidrs ? c->cidrs : "",
              c->asns ? c->asns : "", c->server, c->error, c->fetched_at,
              c->expires_at)))
        rc = vg__store_run(st, s, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

/* A stored address back to text. */
static void addr_text(int family, const uint8_t *b, size_t n, char *buf,
                      size_t size)
{
    struct vg_ipnet a;

    memset(&a, 0, sizeof(a));
    a.family = family == 6 ? 6 : 4;
    a.prefix = a.family == 4 ? 32 : 128;
    memcpy(a.addr, b, n < vg_ipnet_len(&a) ? n : vg_ipnet_len(&a));
    vg_ipnet_format(&a, 1, buf, size);
}

int vg_store_rdap_get(struct vg_store *st, const char *ip, int64_t now,
                      int (*cb)(void *ctx, const struct vg_rdap_cached *c),
                      void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    struct vg_ipnet a;
    int rc;

    if (vg_ipnet_parse(ip, VG_IPNET_ADDRESS, &a))
        return vg_err_set(err, VG_EINVAL, "%.64s is not an IP address",
                          ip ? ip : "");
    vg_ipnet_unmap(&a);
    LOCK(st);
    rc = vg__store_query(
        st, &s, err,
        "SELECT family, first_addr, last_addr, status, handle, name, org,"
        " country, abuse_emails, cidrs, asns, server, error, fetched_at,"
        " expires_at FROM rdap_cache WHERE family = ? AND first_addr <= ?"
        " AND last_addr >= ? AND expires_at > ?"
        " ORDER BY first_addr DESC, last_addr ASC LIMIT 1",
        "ibbi", (int64_t)a.family, (const void *)a.addr, vg_ipnet_len(&a),
        (const void *)a.addr, vg_ipnet_len(&a), now);
    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_rdap_cached c;
        char first[VG_IPNET_STRLEN], last[VG_IPNET_STRLEN];
        const uint8_t *b;
        size_t n;
        int fam = (int)st->ops->col_int(s, 0);
        b = st->ops->col_blob(s, 1, &n);
        addr_text(fam, b, n, first, sizeof(first));
        b = st->ops->col_blob(s, 2, &n);
        addr_text(fam, b, n, last, sizeof(last));
        memset(&c, 0, sizeof(c));
        c.first = first;
        c.last = last;
        c.status = st->ops->col_text(s, 3);
        c.handle = st->ops->col_text(s, 4);
        c.name = st->ops->col_text(s, 5);
        c.org = st->ops->col_text(s, 6);
        c.country = st->ops->col_text(s, 7);
        c.emails = st->ops->col_text(s, 8);
        c.cidrs = st->ops->col_text(s, 9);
        c.asns = st->ops->col_text(s, 10);
        c.server = st->ops->col_text(s, 11);
        c.error = st->ops->col_text(s, 12);
        c.fetched_at = st->ops->col_int(s, 13);
        c.expires_at = st->ops->col_int(s, 14);
        rc = cb(ctx, &c);
    } else if (rc == VG__DONE) {
        rc = VG_ENOENT;
    }
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}
