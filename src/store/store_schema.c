/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The schema, as numbered migrations.  A migration is never edited once
 * released: a change is a new migration at the end.  SQL is portable
 * between SQLite and PostgreSQL; {ID} and {BLOB} are replaced by the
 * backend's auto-increment key and byte-string type, and INTEGER is
 * BIGINT on PostgreSQL.  A statement for one backend only starts {SQLITE}
 * or {PG} (a CHECK dropped, the audit triggers).  Times are Unix seconds
 * (UTC) in INTEGER columns; flags are INTEGER 0/1.
 *
 *   1  hash lists, their import history and their entries
 *   2  the rest of the design: reports, URLs and the crawl frontier, media,
 *      sightings, detections and reviews, providers, cases, notices and
 *      re-checks, users, sessions, API keys, the audit log
 *   3  the crawler's: a frontier URL's kind (page or media), links followed
 *      off-site, fetch outcome; sightings by crawl
 *   4  media review: a media's review state (NULL: not for review,
 *      pending, done), when it was queued and decided, the decision; the
 *      queue's index (pending only); reported URLs by URL
 *   7  providers: source (manual, rdap) and confirmed; networks as ranges
 *      for the lookup by address; one provider per CIDR and per AS; the
 *      RDAP cache by address range
 *   8  hash algorithms from the registry (vigil/hashalgo.h): a media's
 *      hashes are rows of media_hashes, one per algorithm (media keeps its
 *      SHA-256 as its identity); list entries' algo is any registered name,
 *      checked in C, not by a CHECK naming algorithms
 *   9  users: unlocks, how many times an admin cleared the account's failed
 *      sign-ins (the failures themselves are counted in the memory of
 *      `vigil serve`, which forgets an account's when this number moves;
 *      failed_logins and locked_until are no longer used)
 *  10  the audit log: where its keyed chain starts (audit_keyed); UPDATE
 *      and DELETE on audit_log and audit_keyed refused by triggers
 *  11  the frontier's lease order: a page's images before deeper pages
 *      (frontier_lease gains kind after depth: media first within a depth)
 *  12  crawl workers (docs/FLEET-CRAWL.md): leases that expire (the index
 *      on lease_until), each host's next request start and the fetches in
 *      flight to it, robots.txt answers, all per crawl and shared by its
 *      workers
 *  13  the fleet (docs/FLEET.md): nodes and their heartbeats, leased jobs
 *      (one node runs each cycle) and their runs
 *  14  the list change log (list_changes): one row per change to what
 *      matches (a list created, enabled, disabled or deleted, an entry
 *      added, enabled or disabled, an import as its range of entry ids),
 *      written in the change's transaction; matching nodes read the rows
 *      after the last they applied (vigil/lists.h, vg_matcher_sync)
 *  15  the sign-in throttle's counts (signin_throttle), in the store so
 *      that every `vigil serve` node behind a proxy counts the same
 *      failures (vigil/throttle.h)
 *  16  the hash-check API's partners: each API key's partner, rate limit
 *      and daily quota (api_keys), which partners may match each list and
 *      see its metadata (list_shares), and each key's requests per day
 *      summed over the nodes (api_usage)
 *  17  partners' feedback on matches (partner_feedback): a match marked a
 *      false positive or confirmed, with the hashes of the partner's media,
 *      until an analyst resolves it
 *  18  flood quarantine (vigil/flood.h): each list entry's matches and
 *      distinct media per hour, summed over the serving nodes
 *      (flood_counts), and the entries quarantined for matching far above
 *      their baseline (flood_quarantines: at most one in force per entry)
 *  19  the disabled entries of each list indexed (few: counting a list's
 *      enabled entries no longer reads every entry's row)
 *  20  legal holds (vigil/store_retention.h): a report or a case kept out
 *      of retention runs while a hold is in force (released_at NULL, at
 *      most one in force per object); released holds stay as history
 *  21  what a re-upload is (vigil/store_notices.h): a case is *also
 *      hosted* with the first earlier case of the same material that was
 *      not removed before it appeared (also_hosted_with), and
 *      *re-uploaded* when it appeared after an earlier case of the same
 *      material was removed (reupload_of: the latest such removal;
 *      reappeared_after: seconds from that removal to this case's first
 *      detection).  Existing cases are reclassified from their times.
 */
#include "store_int.h"

#define MAX_STATEMENTS 40

/* Statements one by one: ISO C caps a string literal near 4 KiB. */
static const struct {
    const char *desc;
    const char *sql[MAX_STATEMENTS];
} migrations[] = {
    {"hash lists and entries",
     {"CREATE TABLE hash_lists ("
      " id {ID},"
      " name TEXT NOT NULL UNIQUE,"
      " source TEXT NOT NULL DEFAULT '',"
      " category TEXT NOT NULL,"
      " pdq_distance INTEGER NOT NULL DEFAULT 31"
      "  CHECK (pdq_distance BETWEEN 0 AND 256),"
      " kind TEXT NOT NULL DEFAULT 'block' CHECK (kind IN ('block', 'allow')),"
      " enabled INTEGER NOT NULL DEFAULT 1,"
      " created_at INTEGER NOT NULL)",
      "CREATE TABLE list_imports ("
      " id {ID},"
      " list_id INTEGER NOT NULL REFERENCES hash_lists(id) ON DELETE CASCADE,"
      " imported_at INTEGER NOT NULL,"
      " source_file TEXT NOT NULL,"
      " format TEXT NOT NULL,"
      " file_sha256 TEXT,"
      " lines INTEGER NOT NULL DEFAULT 0,"
      " added INTEGER NOT NULL DEFAULT 0,"
      " already_present INTEGER NOT NULL DEFAULT 0)",
      "CREATE INDEX list_imports_list ON list_imports(list_id)",
      "CREATE TABLE list_entries ("
      " id {ID},"
      " list_id INTEGER NOT NULL REFERENCES hash_lists(id) ON DELETE CASCADE,"
      " algo TEXT NOT NULL CHECK (algo IN ('pdq', 'md5', 'sha1', 'sha256')),"
      " value {BLOB} NOT NULL,"
      " category TEXT,"
      " external_id TEXT,"
      " metadata TEXT,"
      " quality INTEGER,"
      " enabled INTEGER NOT NULL DEFAULT 1,"
      " import_id INTEGER,"
      " added_at INTEGER NOT NULL,"
      " UNIQUE (list_id, algo, value))",
      NULL}},

    {"reports, crawl, media, detections, notices, users, audit",
     /* what the public and partners report */
     {"CREATE TABLE reports ("
      " id {ID},"
      " reference TEXT NOT NULL UNIQUE,"
      " received_at INTEGER NOT NULL,"
      " channel TEXT NOT NULL CHECK (channel IN ('web', 'api', 'partner')),"
      " language TEXT NOT NULL DEFAULT 'en',"
      " incident_type TEXT NOT NULL,"
      " incident_at TEXT,"
      " description TEXT NOT NULL DEFAULT '',"
      " details TEXT NOT NULL DEFAULT '{}',"
      " reporter_contact {BLOB},"
      " named_child INTEGER NOT NULL DEFAULT 0,"
      " priority INTEGER NOT NULL DEFAULT 0,"
      " status TEXT NOT NULL DEFAULT 'new',"
      " api_key_id INTEGER,"
      " idempotency_key TEXT,"
      " UNIQUE (api_key_id, idempotency_key))",
      "CREATE TABLE incidents ("
      " id {ID},"
      " report_id INTEGER NOT NULL REFERENCES reports(id),"
      " incident_type TEXT NOT NULL,"
      " outcome TEXT,"
      " notes TEXT NOT NULL DEFAULT '',"
      " updated_at INTEGER NOT NULL)",
      /* every URL Vigil knows, canonicalised, and the crawl frontier */
      "CREATE TABLE urls ("
      " id {ID},"
      " url TEXT NOT NULL UNIQUE,"
      " host TEXT NOT NULL,"
      " first_seen_at INTEGER NOT NULL)",
      "CREATE INDEX urls_host ON urls(host)",
      "CREATE TABLE report_urls ("
      " report_id INTEGER NOT NULL REFERENCES reports(id),"
      " url_id INTEGER NOT NULL REFERENCES urls(id),"
      " PRIMARY KEY (report_id, url_id))",
      "CREATE TABLE crawls ("
      " id {ID},"
      " started_at INTEGER NOT NULL,"
      " finished_at INTEGER,"
      " params TEXT NOT NULL DEFAULT '{}',"
      " status TEXT NOT NULL DEFAULT 'running')",
      "CREATE TABLE frontier ("
      " crawl_id INTEGER NOT NULL REFERENCES crawls(id),"
      " url_id INTEGER NOT NULL REFERENCES urls(id),"
      " host TEXT NOT NULL,"
      " priority INTEGER NOT NULL,"
      " depth INTEGER NOT NULL,"
      " parent_url_id INTEGER REFERENCES urls(id),"
      " state TEXT NOT NULL DEFAULT 'queued'"
      "  CHECK (state IN ('queued', 'leased', 'done', 'failed')),"
      " lease_owner TEXT,"
      " lease_until INTEGER,"
      " attempts INTEGER NOT NULL DEFAULT 0,"
      " not_before INTEGER NOT NULL DEFAULT 0,"
      " PRIMARY KEY (crawl_id, url_id))",
      "CREATE INDEX frontier_next ON frontier(state, priority, depth)",
      "CREATE INDEX frontier_host ON frontier(host, state)",
      /* media: hashes only, never the bytes */
      "CREATE TABLE media ("
      " id {ID},"
      " sha256 {BLOB} NOT NULL UNIQUE,"
      " md5 {BLOB} NOT NULL,"
      " sha1 {BLOB} NOT NULL,"
      " pdq {BLOB},"
      " pdq_quality INTEGER,"
      " format TEXT,"
      " width INTEGER,"
      " height INTEGER,"
      " bytes INTEGER,"
      " first_seen_at INTEGER NOT NULL,"
      " thumbnail {BLOB})",
      "CREATE TABLE sightings ("
      " id {ID},"
      " media_id INTEGER NOT NULL REFERENCES media(id),"
      " url_id INTEGER NOT NULL REFERENCES urls(id),"
      " page_url_id INTEGER REFERENCES urls(id),"
      " seen_at INTEGER NOT NULL,"
      " http_status INTEGER,"
      " server_ip TEXT,"
      " headers TEXT)",
      "CREATE INDEX sightings_media ON sightings(media_id)",
      "CREATE INDEX sightings_url ON sightings(url_id)",
      "CREATE TABLE detections ("
      " id {ID},"
      " sighting_id INTEGER NOT NULL REFERENCES sightings(id),"
      " media_id INTEGER NOT NULL REFERENCES media(id),"
      " entry_id INTEGER REFERENCES list_entries(id) ON DELETE SET NULL,"
      " list_id INTEGER REFERENCES hash_lists(id) ON DELETE SET NULL,"
      " algo TEXT NOT NULL,"
      " distance INTEGER NOT NULL,"
      " variant TEXT,"
      " detected_at INTEGER NOT NULL,"
      " status TEXT NOT NULL DEFAULT 'open',"
      " UNIQUE (sighting_id, entry_id))",
      "CREATE TABLE reviews ("
      " id {ID},"
      " media_id INTEGER NOT NULL REFERENCES media(id),"
      " user_id INTEGER NOT NULL,"
      " classification TEXT NOT NULL,"
      " decided_at INTEGER NOT NULL,"
      " UNIQUE (media_id, user_id))",
      /* hosting providers, removal cases, notices, re-checks */
      "CREATE TABLE providers ("
      " id {ID},"
      " name TEXT NOT NULL UNIQUE,"
      " abuse_emails TEXT NOT NULL DEFAULT '',"
      " language TEXT NOT NULL DEFAULT 'en',"
      " one_notice_per_url INTEGER NOT NULL DEFAULT 0,"
      " notes TEXT NOT NULL DEFAULT '',"
      " created_at INTEGER NOT NULL)",
      "CREATE TABLE provider_domains ("
      " provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,"
      " domain TEXT NOT NULL UNIQUE)",
      "CREATE TABLE provider_networks ("
      " provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,"
      " cidr TEXT,"
      " asn INTEGER)",
      "CREATE TABLE cases ("
      " id {ID},"
      " url_id INTEGER NOT NULL REFERENCES urls(id),"
      " provider_id INTEGER REFERENCES providers(id),"
      " first_detection_id INTEGER REFERENCES detections(id),"
      " reupload_of INTEGER REFERENCES cases(id),"
      " opened_at INTEGER NOT NULL,"
      " first_notice_at INTEGER,"
      " removed_at INTEGER,"
      " status TEXT NOT NULL DEFAULT 'open',"
      " notices_sent INTEGER NOT NULL DEFAULT 0,"
      " escalated INTEGER NOT NULL DEFAULT 0)",
      "CREATE TABLE notices ("
      " id {ID},"
      " provider_id INTEGER NOT NULL REFERENCES providers(id),"
      " cycle INTEGER NOT NULL,"
      " message_id TEXT NOT NULL UNIQUE,"
      " language TEXT NOT NULL,"
      " created_at INTEGER NOT NULL,"
      " sent_at INTEGER,"
      " attempts INTEGER NOT NULL DEFAULT 0,"
      " result TEXT,"
      " UNIQUE (provider_id, cycle))",
      "CREATE TABLE notice_cases ("
      " notice_id INTEGER NOT NULL REFERENCES notices(id),"
      " case_id INTEGER NOT NULL REFERENCES cases(id),"
      " PRIMARY KEY (notice_id, case_id))",
      "CREATE TABLE rechecks ("
      " id {ID},"
      " case_id INTEGER NOT NULL REFERENCES cases(id),"
      " checked_at INTEGER NOT NULL,"
      " http_status INTEGER,"
      " result TEXT NOT NULL)",
      /* people and keys, and what they did */
      "CREATE TABLE users ("
      " id {ID},"
      " username TEXT NOT NULL UNIQUE,"
      " password_hash TEXT NOT NULL,"
      " role TEXT NOT NULL CHECK (role IN ('analyst', 'admin')),"
      " disabled INTEGER NOT NULL DEFAULT 0,"
      " failed_logins INTEGER NOT NULL DEFAULT 0,"
      " locked_until INTEGER NOT NULL DEFAULT 0,"
      " created_at INTEGER NOT NULL)",
      "CREATE TABLE sessions ("
      " token_hash {BLOB} PRIMARY KEY,"
      " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      " csrf TEXT NOT NULL,"
      " created_at INTEGER NOT NULL,"
      " expires_at INTEGER NOT NULL)",
      "CREATE TABLE api_keys ("
      " id {ID},"
      " name TEXT NOT NULL,"
      " key_hash {BLOB} NOT NULL UNIQUE,"
      " scopes TEXT NOT NULL DEFAULT '',"
      " created_at INTEGER NOT NULL,"
      " revoked_at INTEGER)",
      "CREATE TABLE audit_log ("
      " id {ID},"
      " at INTEGER NOT NULL,"
      " user_id INTEGER,"
      " action TEXT NOT NULL,"
      " object_type TEXT,"
      " object_id INTEGER,"
      " detail TEXT NOT NULL DEFAULT '',"
      " prev_hash {BLOB},"
      " hash {BLOB} NOT NULL)",
      NULL}},

    {"the crawler: URL kinds, fetch outcomes, sightings by crawl",
     {"ALTER TABLE frontier ADD COLUMN kind TEXT NOT NULL DEFAULT 'page'"
      " CHECK (kind IN ('page', 'media'))",
      "ALTER TABLE frontier ADD COLUMN offsite INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE frontier ADD COLUMN host_seq INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE frontier ADD COLUMN http_status INTEGER",
      "ALTER TABLE frontier ADD COLUMN error TEXT",
      "ALTER TABLE frontier ADD COLUMN finished_at INTEGER",
      /* leases in order; counts by state and kind from the index alone;
         no index nothing reads (each costs every insert) */
      "DROP INDEX frontier_next", "DROP INDEX frontier_host",
      "DROP INDEX urls_host",
      "CREATE INDEX frontier_lease ON frontier(crawl_id, state, priority,"
      " depth, host_seq, url_id)",
      "CREATE INDEX frontier_state ON frontier(crawl_id, state, kind)",
      "ALTER TABLE sightings ADD COLUMN crawl_id INTEGER REFERENCES"
      " crawls(id)",
      "CREATE INDEX sightings_crawl ON sightings(crawl_id)",
      "CREATE INDEX detections_sighting ON detections(sighting_id)", NULL}},

    {"media review: state, decision, the queue",
     {"ALTER TABLE media ADD COLUMN review TEXT"
      " CHECK (review IN ('pending', 'done'))",
      "ALTER TABLE media ADD COLUMN review_queued_at INTEGER",
      "ALTER TABLE media ADD COLUMN reviewed_at INTEGER",
      "ALTER TABLE media ADD COLUMN classification TEXT",
      /* the queue, oldest first; partial: only what awaits review */
      "CREATE INDEX media_review_queue ON media(review_queued_at, id)"
      " WHERE review = 'pending'",
      /* which reports led to a URL (the queue's provenance) */
      "CREATE INDEX report_urls_url ON report_urls(url_id)", NULL}},

    {"the console: media seen on a reported page",
     {"CREATE INDEX sightings_page ON sightings(page_url_id)", NULL}},

    {"notices: cases' evidence and schedule, notices' intent and retries",
     {"ALTER TABLE cases ADD COLUMN media_id INTEGER REFERENCES media(id)",
      "ALTER TABLE cases ADD COLUMN category TEXT",
      "ALTER TABLE cases ADD COLUMN detected_at INTEGER",
      "ALTER TABLE cases ADD COLUMN next_check_at INTEGER",
      "ALTER TABLE cases ADD COLUMN checks INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE cases ADD COLUMN last_notice_at INTEGER",
      "ALTER TABLE cases ADD COLUMN removal TEXT",
      /* one open case per URL; the re-check queue; cases by media */
      "CREATE UNIQUE INDEX cases_url_open ON cases(url_id)"
      " WHERE status = 'open'",
      "CREATE INDEX cases_check ON cases(next_check_at)"
      " WHERE status = 'open'",
      "CREATE INDEX cases_media ON cases(media_id)",
      "CREATE INDEX cases_provider ON cases(provider_id, status)",
      "CREATE INDEX detections_media ON detections(media_id)",
      "ALTER TABLE notices ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'"
      " CHECK (state IN ('pending', 'sent', 'failed'))",
      "ALTER TABLE notices ADD COLUMN next_attempt_at INTEGER",
      "ALTER TABLE notices ADD COLUMN recipients TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE notices ADD COLUMN subject TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE notices ADD COLUMN body TEXT NOT NULL DEFAULT ''",
      "CREATE INDEX notices_due ON notices(state, next_attempt_at)",
      "CREATE INDEX rechecks_case ON rechecks(case_id)", NULL}},

    {"providers: suggested or confirmed, networks as ranges, RDAP cache",
     {"ALTER TABLE providers ADD COLUMN source TEXT NOT NULL DEFAULT"
      " 'manual' CHECK (source IN ('manual', 'rdap'))",
      "ALTER TABLE providers ADD COLUMN confirmed INTEGER NOT NULL"
      " DEFAULT 1",
      "ALTER TABLE providers ADD COLUMN updated_at INTEGER NOT NULL"
      " DEFAULT 0",
      /* a CIDR as its family, prefix and first and last address (4 or 16
         bytes, big-endian: bytewise order is numeric order) */
      "ALTER TABLE provider_networks ADD COLUMN family INTEGER",
      "ALTER TABLE provider_networks ADD COLUMN prefix_len INTEGER",
      "ALTER TABLE provider_networks ADD COLUMN first_addr {BLOB}",
      "ALTER TABLE provider_networks ADD COLUMN last_addr {BLOB}",
      "CREATE INDEX provider_networks_range ON provider_networks(family,"
      " first_addr)",
      "CREATE UNIQUE INDEX provider_networks_cidr ON"
      " provider_networks(cidr)",
      "CREATE UNIQUE INDEX provider_networks_asn ON provider_networks(asn)",
      "CREATE INDEX provider_networks_provider ON"
      " provider_networks(provider_id)",
      "CREATE INDEX provider_domains_provider ON"
      " provider_domains(provider_id)",
      "CREATE TABLE rdap_cache ("
      " id {ID},"
      " family INTEGER NOT NULL,"
      " first_addr {BLOB} NOT NULL,"
      " last_addr {BLOB} NOT NULL,"
      " status TEXT NOT NULL"
      "  CHECK (status IN ('ok', 'no-contact', 'not-found', 'error')),"
      " handle TEXT,"
      " name TEXT,"
      " org TEXT,"
      " country TEXT,"
      " abuse_emails TEXT NOT NULL DEFAULT '',"
      " cidrs TEXT NOT NULL DEFAULT '',"
      " asns TEXT NOT NULL DEFAULT '',"
      " server TEXT,"
      " error TEXT,"
      " fetched_at INTEGER NOT NULL,"
      " expires_at INTEGER NOT NULL,"
      " UNIQUE (family, first_addr, last_addr))",
      "CREATE INDEX rdap_cache_expiry ON rdap_cache(expires_at)", NULL}},

    {"hash algorithms from the registry: media_hashes, no algo CHECK",
     /* SQLite: a CHECK cannot be dropped by ALTER, and rebuilding
        list_entries would fire detections' ON DELETE SET NULL; SQLite's
        documented way for a change that leaves the stored rows as they
        are is to edit the table's SQL.  PostgreSQL drops the CHECK by
        the name it gave it. */
     {"{SQLITE}PRAGMA writable_schema=ON",
      "{SQLITE}UPDATE sqlite_schema SET sql = replace(sql,"
      " ' CHECK (algo IN (''pdq'', ''md5'', ''sha1'', ''sha256''))', '')"
      " WHERE type = 'table' AND name = 'list_entries'",
      "{SQLITE}PRAGMA writable_schema=OFF",
      "{PG}ALTER TABLE list_entries DROP CONSTRAINT list_entries_algo_check",
      /* creating a table moves the schema cookie: every connection,
         this one included, reads the edited SQL again */
      "CREATE TABLE media_hashes ("
      " media_id INTEGER NOT NULL REFERENCES media(id),"
      " algo TEXT NOT NULL,"
      " value {BLOB} NOT NULL,"
      " quality INTEGER,"
      " PRIMARY KEY (media_id, algo))",
      "CREATE INDEX media_hashes_value ON media_hashes(algo, value)",
      "INSERT INTO media_hashes (media_id, algo, value)"
      " SELECT id, 'sha256', sha256 FROM media",
      "INSERT INTO media_hashes (media_id, algo, value)"
      " SELECT id, 'md5', md5 FROM media",
      "INSERT INTO media_hashes (media_id, algo, value)"
      " SELECT id, 'sha1', sha1 FROM media",
      "INSERT INTO media_hashes (media_id, algo, value, quality)"
      " SELECT id, 'pdq', pdq, pdq_quality FROM media WHERE pdq IS NOT NULL",
      "ALTER TABLE media DROP COLUMN md5",
      "ALTER TABLE media DROP COLUMN sha1",
      "ALTER TABLE media DROP COLUMN pdq",
      "ALTER TABLE media DROP COLUMN pdq_quality", NULL}},

    {"users: admin unlocks of failed sign-ins",
     {"ALTER TABLE users ADD COLUMN unlocks INTEGER NOT NULL DEFAULT 0",
      NULL}},

    {"the audit log: keyed chain start, append-only triggers",
     /* the triggers, in each backend's spelling */
     {"CREATE TABLE audit_keyed (from_id INTEGER NOT NULL)",
      "{SQLITE}CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
      " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
      "{SQLITE}CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
      " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
      "{SQLITE}CREATE TRIGGER audit_keyed_no_update BEFORE UPDATE ON"
      " audit_keyed BEGIN SELECT RAISE(ABORT, 'audit_keyed is append-only');"
      " END",
      "{SQLITE}CREATE TRIGGER audit_keyed_no_delete BEFORE DELETE ON"
      " audit_keyed BEGIN SELECT RAISE(ABORT, 'audit_keyed is append-only');"
      " END",
      "{PG}CREATE FUNCTION vg_append_only() RETURNS trigger LANGUAGE plpgsql"
      " AS 'BEGIN RAISE EXCEPTION ''% is append-only'', TG_TABLE_NAME; END'",
      "{PG}CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON"
      " audit_log FOR EACH ROW EXECUTE FUNCTION vg_append_only()",
      "{PG}CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
      " FOR EACH STATEMENT EXECUTE FUNCTION vg_append_only()",
      "{PG}CREATE TRIGGER audit_keyed_append_only BEFORE UPDATE OR DELETE ON"
      " audit_keyed FOR EACH ROW EXECUTE FUNCTION vg_append_only()",
      "{PG}CREATE TRIGGER audit_keyed_no_truncate BEFORE TRUNCATE ON"
      " audit_keyed FOR EACH STATEMENT EXECUTE FUNCTION vg_append_only()",
      NULL}},

    {"the frontier's lease order: media first within a depth",
     /* leases read (priority, depth, kind, host_seq, url_id) in index
        order: 'media' sorts before 'page' */
     {"DROP INDEX frontier_lease",
      "CREATE INDEX frontier_lease ON frontier(crawl_id, state, priority,"
      " depth, kind, host_seq, url_id)",
      NULL}},

    {"crawl workers: expiring leases, hosts and robots.txt per crawl",
     {"CREATE INDEX frontier_expiry ON frontier(crawl_id, state,"
      " lease_until)",
      /* the earliest next request start to a host (ms since the epoch) */
      "CREATE TABLE crawl_hosts ("
      " crawl_id INTEGER NOT NULL REFERENCES crawls(id),"
      " host TEXT NOT NULL,"
      " next_start_ms INTEGER NOT NULL DEFAULT 0,"
      " PRIMARY KEY (crawl_id, host))",
      /* a transfer in flight: a worker's (owner) n-th (seq); it counts
         against its host until it ends or until_at (Unix seconds) passes */
      "CREATE TABLE crawl_fetches ("
      " crawl_id INTEGER NOT NULL REFERENCES crawls(id),"
      " owner TEXT NOT NULL,"
      " seq INTEGER NOT NULL,"
      " host TEXT NOT NULL,"
      " until_at INTEGER NOT NULL,"
      " PRIMARY KEY (crawl_id, owner, seq))",
      "CREATE INDEX crawl_fetches_host ON crawl_fetches(crawl_id, host)",
      /* an origin's robots.txt as fetched (status 0: unreachable, error
         says why), or claimed by the worker fetching it */
      "CREATE TABLE crawl_robots ("
      " crawl_id INTEGER NOT NULL REFERENCES crawls(id),"
      " origin TEXT NOT NULL,"
      " fetched_at INTEGER NOT NULL DEFAULT 0,"
      " status INTEGER NOT NULL DEFAULT 0,"
      " body {BLOB},"
      " error TEXT,"
      " claim_owner TEXT,"
      " claim_until INTEGER NOT NULL DEFAULT 0,"
      " PRIMARY KEY (crawl_id, origin))",
      NULL}},

    {"the fleet: nodes and their heartbeats, leased jobs and their runs",
     /* times in milliseconds since the epoch, computed in C */
     {"CREATE TABLE nodes (id TEXT PRIMARY KEY, hostname TEXT NOT NULL,"
      " pid INTEGER NOT NULL, roles TEXT NOT NULL, version TEXT NOT NULL,"
      " started_ms INTEGER NOT NULL, heartbeat_ms INTEGER NOT NULL,"
      " beat_ms INTEGER NOT NULL, status TEXT NOT NULL)",
      "CREATE TABLE job_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL,"
      " until_ms INTEGER NOT NULL)",
      "CREATE TABLE job_runs (id {ID}, name TEXT NOT NULL,"
      " holder TEXT NOT NULL, started_ms INTEGER NOT NULL,"
      " ended_ms INTEGER, outcome TEXT)",
      "CREATE INDEX job_runs_name ON job_runs(name, started_ms)", NULL}},
    {"the list change log",
     /* kind: 'list' (re-read the list), 'entry' (re-read entry_id),
        'import' (import_id's entries with ids first_id..last_id); no
        foreign keys: a deleted list's rows stay, they are its history */
     {"CREATE TABLE list_changes ("
      " id {ID},"
      " at_ms INTEGER NOT NULL,"
      " list_id INTEGER NOT NULL,"
      " entry_id INTEGER,"
      " kind TEXT NOT NULL CHECK (kind IN ('list', 'entry', 'import')),"
      " import_id INTEGER,"
      " first_id INTEGER,"
      " last_id INTEGER)",
      NULL}},
    {"the sign-in throttle's counts, shared by every serving node",
     /* slot: 16 bits of the count's keyed hash id (direct-mapped, as the
        table in memory was); last_ms: milliseconds */
     {"CREATE TABLE signin_throttle (slot INTEGER PRIMARY KEY,"
      " id INTEGER NOT NULL, epoch INTEGER NOT NULL,"
      " last_ms INTEGER NOT NULL, failures INTEGER NOT NULL)",
      NULL}},
    {"the hash-check API's partners, list sharing and daily usage",
     /* partner '' = the key's name; rate 0 and quota 0: no limit */
     {"ALTER TABLE api_keys ADD COLUMN partner TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE api_keys ADD COLUMN rate_per_minute INTEGER NOT NULL"
      " DEFAULT 0",
      "ALTER TABLE api_keys ADD COLUMN daily_quota INTEGER NOT NULL"
      " DEFAULT 0",
      /* partner '*': every partner */
      "CREATE TABLE list_shares ("
      " list_id INTEGER NOT NULL REFERENCES hash_lists(id) ON DELETE CASCADE,"
      " partner TEXT NOT NULL,"
      " metadata INTEGER NOT NULL DEFAULT 0,"
      " PRIMARY KEY (list_id, partner))",
      /* day: Unix days (UTC) */
      "CREATE TABLE api_usage ("
      " key_id INTEGER NOT NULL,"
      " day INTEGER NOT NULL,"
      " requests INTEGER NOT NULL,"
      " PRIMARY KEY (key_id, day))",
      NULL}},
    {"partners' feedback on matches",
     {"CREATE TABLE partner_feedback ("
      " id {ID},"
      " at INTEGER NOT NULL,"
      " key_id INTEGER NOT NULL,"
      " partner TEXT NOT NULL,"
      " entry_id INTEGER NOT NULL,"
      " verdict TEXT NOT NULL"
      "  CHECK (verdict IN ('false_positive', 'confirmed')),"
      " sha256 TEXT,"
      " pdq TEXT,"
      " note TEXT,"
      " resolved_at INTEGER,"
      " resolved_by INTEGER,"
      " resolution TEXT)",
      "CREATE INDEX partner_feedback_open ON partner_feedback(resolved_at, id)",
      NULL}},
    {"flood quarantine: entries' hourly counts and their quarantines",
     /* hour: Unix seconds / 3600; no foreign key on the counts (they age
        out); reason 'rate' or 'media'; released_at NULL while in force */
     {"CREATE TABLE flood_counts (entry_id INTEGER NOT NULL,"
      " hour INTEGER NOT NULL, matches INTEGER NOT NULL,"
      " media INTEGER NOT NULL, PRIMARY KEY (entry_id, hour))",
      "CREATE INDEX flood_counts_hour ON flood_counts(hour)",
      "CREATE TABLE flood_quarantines ("
      " id {ID},"
      " entry_id INTEGER NOT NULL"
      "  REFERENCES list_entries(id) ON DELETE CASCADE,"
      " list_id INTEGER NOT NULL,"
      " at INTEGER NOT NULL,"
      " reason TEXT NOT NULL CHECK (reason IN ('rate', 'media')),"
      " hour INTEGER NOT NULL,"
      " matches INTEGER NOT NULL,"
      " media INTEGER NOT NULL,"
      " baseline INTEGER NOT NULL,"
      " baseline_hours INTEGER NOT NULL,"
      " released_at INTEGER,"
      " released_by INTEGER)",
      "CREATE UNIQUE INDEX flood_quarantines_active"
      " ON flood_quarantines(entry_id) WHERE released_at IS NULL",
      NULL}},
    {"the disabled entries of each list indexed",
     {"CREATE INDEX list_entries_disabled ON list_entries(list_id)"
      " WHERE enabled = 0",
      NULL}},
    {"legal holds on reports and cases",
     /* set_by, released_by: actors (vigil/core_audit.h) */
     {"CREATE TABLE legal_holds ("
      " id {ID},"
      " object_type TEXT NOT NULL CHECK (object_type IN ('report', 'case')),"
      " object_id INTEGER NOT NULL,"
      " reason TEXT NOT NULL,"
      " set_at INTEGER NOT NULL,"
      " set_by INTEGER NOT NULL,"
      " released_at INTEGER,"
      " released_by INTEGER)",
      "CREATE UNIQUE INDEX legal_holds_active ON legal_holds(object_type,"
      " object_id) WHERE released_at IS NULL",
      NULL}},
    {"cases also hosted and re-uploaded, told apart",
     /* the old reupload_of linked any later case of the same material;
        each case is classified again from its times (same material: the
        same media, or the same list entry as the earlier case's first
        detection; a case appeared at its first detection) */
     {"ALTER TABLE cases ADD COLUMN also_hosted_with INTEGER"
      " REFERENCES cases(id)",
      "ALTER TABLE cases ADD COLUMN reappeared_after INTEGER",
      "UPDATE cases SET also_hosted_with = (SELECT min(e.id) FROM cases e"
      " WHERE e.id < cases.id AND e.url_id <> cases.url_id AND"
      " (e.media_id = cases.media_id OR EXISTS (SELECT 1 FROM detections d1"
      " JOIN detections d2 ON d2.entry_id = d1.entry_id WHERE d1.id ="
      " e.first_detection_id AND d2.id = cases.first_detection_id)) AND"
      " (e.status <> 'removed' OR e.removed_at > coalesce(cases.detected_at,"
      " cases.opened_at))) WHERE reupload_of IS NOT NULL",
      "UPDATE cases SET reupload_of = (SELECT e.id FROM cases e WHERE e.id <"
      " cases.id AND (e.media_id = cases.media_id OR EXISTS (SELECT 1 FROM"
      " detections d1 JOIN detections d2 ON d2.entry_id = d1.entry_id WHERE"
      " d1.id = e.first_detection_id AND d2.id = cases.first_detection_id))"
      " AND e.status = 'removed' AND e.removed_at <="
      " coalesce(cases.detected_at, cases.opened_at) ORDER BY e.removed_at"
      " DESC, e.id DESC LIMIT 1)",
      "UPDATE cases SET reappeared_after = coalesce(detected_at, opened_at)"
      " - (SELECT e.removed_at FROM cases e WHERE e.id = cases.reupload_of)"
      " WHERE reupload_of IS NOT NULL",
      NULL}},
    {"re-checks: the validators of the copy last seen up",
     {"ALTER TABLE cases ADD COLUMN etag TEXT",
      "ALTER TABLE cases ADD COLUMN last_modified TEXT", NULL}},
};

int vg__schema_count(void)
{
    return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *vg__schema_sql(int v, int i)
{
    if (v < 1 || v > vg__schema_count() || i < 0 || i >= MAX_STATEMENTS)
        return NULL;
    return migrations[v - 1].sql[i];
}

const char *vg__schema_desc(int v)
{
    return v >= 1 && v <= vg__schema_count() ? migrations[v - 1].desc : NULL;
}

/* Every table, in dependency order (vg__schema_table): a new table is
 * added here too (tests/unit/test_dbcopy.c compares the list with the
 * database's). */
static const struct {
    const char *name;
    int since, has_id;
} tables[] = {
    {"hash_lists", 1, 1},
    {"list_imports", 1, 1},
    {"list_entries", 1, 1},
    {"reports", 2, 1},
    {"incidents", 2, 1},
    {"urls", 2, 1},
    {"report_urls", 2, 0},
    {"crawls", 2, 1},
    {"frontier", 2, 0},
    {"media", 2, 1},
    {"sightings", 2, 1},
    {"detections", 2, 1},
    {"reviews", 2, 1},
    {"providers", 2, 1},
    {"provider_domains", 2, 0},
    {"provider_networks", 2, 0},
    {"cases", 2, 1},
    {"notices", 2, 1},
    {"notice_cases", 2, 0},
    {"rechecks", 2, 1},
    {"users", 2, 1},
    {"sessions", 2, 0},
    {"api_keys", 2, 1},
    {"audit_log", 2, 1},
    {"rdap_cache", 7, 1},
    {"media_hashes", 8, 0},
    {"audit_keyed", 10, 0},
    {"crawl_hosts", 12, 0},
    {"crawl_fetches", 12, 0},
    {"crawl_robots", 12, 0},
    {"nodes", 13, 0},
    {"job_leases", 13, 0},
    {"job_runs", 13, 1},
    {"list_changes", 14, 1},
    {"signin_throttle", 15, 0},
    {"list_shares", 16, 0},
    {"api_usage", 16, 0},
    {"partner_feedback", 17, 1},
    {"flood_counts", 18, 0},
    {"flood_quarantines", 18, 1},
    {"legal_holds", 20, 1},
};

const char *vg__schema_table(int i, int *since, int *has_id)
{
    if (i < 0 || i >= (int)(sizeof(tables) / sizeof(tables[0])))
        return NULL;
    *since = tables[i].since;
    *has_id = tables[i].has_id;
    return tables[i].name;
}
