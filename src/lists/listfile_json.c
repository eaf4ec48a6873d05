/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON Lines list reader (https://jsonlines.org/, RFC 8259 objects) for
 * vg_listfile_read.  Each line is one object, parsed by jansson with
 * duplicate keys rejected and nothing allowed after the object; nesting is
 * capped at VG__LF_JSON_DEPTH before jansson sees the line.  Two shapes:
 *  - generic (what the writer produces): hash (or value), algorithm (or
 *    algo), category, id (or external_id; a string or an integer),
 *    metadata, quality (0..100); one record.
 *  - `vigil hash --json`: a key for each registered algorithm (pdq, md5,
 *    sha1, sha256, ...), quality (of the PDQ), path; one record per hash
 *    key, path as metadata.  An object with an
 *    "error" key is a file vigil could not hash: an error for the line.
 * Other keys are ignored; null counts as absent.  Strings from jansson are
 * valid UTF-8 without NUL (JSON_ALLOW_NUL is not set).
 */
#include <stdio.h>
#include <string.h>

#include "lists/listfile_int.h"

static int depth_ok(const char *s, size_t n)
{
    int depth = 0, in_str = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > VG__LF_JSON_DEPTH)
                return 0;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

/* One of two synonymous keys; both present is an error. */
static int pick(struct vg__listfile_reader *rd, json_t *o, const char *k1,
                const char *k2, json_t **out)
{
    json_t *a = json_object_get(o, k1), *b = json_object_get(o, k2);

    *out = NULL;
    if (json_is_null(a))
        a = NULL;
    if (json_is_null(b))
        b = NULL;
    if (a && b)
        return vg__listfile_bad(rd, "both \"%s\" and \"%s\" given", k1, k2);
    *out = a ? a : b;
    return VG_OK;
}

/* A string value or absent; *key names the key for messages. */
static int str(struct vg__listfile_reader *rd, json_t *v, const char *key,
               const char **out)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return VG_OK;
    if (!json_is_string(v))
        return vg__listfile_bad(rd, "\"%s\" must be a string", key);
    *out = json_string_value(v);
    return VG_OK;
}

static int quality(struct vg__listfile_reader *rd, json_t *o, int *out)
{
    json_t *v = json_object_get(o, "quality");
    json_int_t q;

    *out = -1;
    if (!v || json_is_null(v))
        return VG_OK;
    if (!json_is_integer(v) || (q = json_integer_value(v)) < 0 || q > 100)
        return vg__listfile_bad(rd, "\"quality\" must be an integer from 0 "
                                    "to 100");
    *out = (int)q;
    return VG_OK;
}

static int generic(struct vg__listfile_reader *rd, json_t *o, json_t *h)
{
    const char *hash, *algo, *cat, *id, *meta;
    json_t *av, *iv;
    int rc, q, a = -1;
    enum vg_algo ga;
    char ex[48];

    if ((rc = str(rd, h, json_object_get(o, "hash") ? "hash" : "value",
                  &hash)) ||
        (rc = pick(rd, o, "algorithm", "algo", &av)) ||
        (rc = str(rd, av, "algorithm", &algo)) ||
        (rc = str(rd, json_object_get(o, "category"), "category", &cat)) ||
        (rc = pick(rd, o, "id", "external_id", &iv)) ||
        (rc = str(rd, json_object_get(o, "metadata"), "metadata", &meta)) ||
        (rc = quality(rd, o, &q)))
        return rc;
    if (json_is_integer(iv)) {
        snprintf(rd->idbuf, sizeof(rd->idbuf), "%lld",
                 (long long)json_integer_value(iv));
        id = rd->idbuf;
    } else if ((rc = str(rd, iv, "id", &id))) {
        return rc;
    }
    if (algo && *algo) {
        if (vg_algo_from_name(algo, strlen(algo), &ga)) {
            vg__listfile_excerpt(ex, algo, strlen(algo));
            return vg__listfile_bad(rd, "unknown algorithm \"%s\"", ex);
        }
        a = (int)ga;
    }
    return vg__listfile_add(rd, hash, strlen(hash), 0, "hash", a, q, cat, id,
                            meta);
}

static int hash_output(struct vg__listfile_reader *rd, json_t *o)
{
    const char *path, *e, *hex;
    json_t *ev;
    int rc, q, found = 0;
    char ex1[48], ex2[48];

    if ((rc = str(rd, json_object_get(o, "path"), "path", &path)))
        return rc;
    if ((ev = json_object_get(o, "error")) && !json_is_null(ev)) {
        e = json_string_value(ev);
        vg__listfile_excerpt(ex1, path ? path : "", path ? strlen(path) : 0);
        vg__listfile_excerpt(ex2, e ? e : "", e ? strlen(e) : 0);
        return vg__listfile_bad(rd, "vigil hash failed on \"%s\": %s", ex1,
                                ex2);
    }
    if ((rc = quality(rd, o, &q)))
        return rc;
    for (unsigned a = 0; a < vg_algo_count(); a++) {
        const char *key = vg_algo_name((enum vg_algo)a);
        json_t *v = json_object_get(o, key);
        if (!v || json_is_null(v))
            continue;
        found = 1;
        if ((rc = str(rd, v, key, &hex)) ||
            (rc = vg__listfile_add(rd, hex, strlen(hex), 0, key, (int)a,
                                   a == VG_ALGO_PDQ ? q : -1, NULL, NULL,
                                   path)))
            return rc;
    }
    return found ? VG_OK : vg__listfile_bad(rd, "no hash in this object");
}

int vg__listfile_json_line(struct vg__listfile_reader *rd, const char *s,
                           size_t n)
{
    json_error_t je;
    json_t *h;
    int rc;

    if (!depth_ok(s, n))
        return vg__listfile_bad(rd, "JSON nested deeper than %d levels",
                                VG__LF_JSON_DEPTH);
    if (!(rd->json = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je))) {
        if (json_error_code(&je) == json_error_out_of_memory)
            return VG_ENOMEM;
        vg__listfile_bad(rd, "invalid JSON: %s at column %d", je.text,
                         je.column > 0 ? je.column : 1);
        /* jansson quotes the offending token, which may hold controls */
        for (char *p = rd->msg; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        return VG__LF_BAD;
    }
    if (!json_is_object(rd->json))
        return vg__listfile_bad(rd, "expected a JSON object");
    if ((rc = pick(rd, rd->json, "hash", "value", &h)))
        return rc;
    return h ? generic(rd, rd->json, h) : hash_output(rd, rd->json);
}
