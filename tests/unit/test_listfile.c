/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/lists (vg_listfile_*): every format's good path, format
 * detection, each error message with its line number, line caps, UTF-8,
 * BOM and CRLF handling, the 64-hex ambiguity, the quality filter, writer
 * round trips with awkward metadata, callback stop codes, read errors,
 * allocation failures and a 100k-line generated file.  Inputs go through
 * tmpfile() so that the reader sees a real stdio stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/listfile.h"
#include "vigil/store_lists.h"

#define MAXREC 64
#define MAXERR 64

struct grec {
    struct vg_listfile_record r; /* strings point into the buffers below */
    char cat[256], id[256], meta[512];
};

struct got {
    int nrec, nerr; /* counted even past MAXREC/MAXERR */
    struct grec rec[MAXREC];
    unsigned long eline[MAXERR];
    char emsg[MAXERR][320];
};

static const char *keep(char *dst, size_t cap, const char *s)
{
    if (!s)
        return NULL;
    snprintf(dst, cap, "%s", s);
    return dst;
}

static int on_rec(void *ctx, const struct vg_listfile_record *r)
{
    struct got *g = ctx;

    if (g->nrec < MAXREC) {
        struct grec *x = &g->rec[g->nrec];
        x->r = *r;
        x->r.category = keep(x->cat, sizeof(x->cat), r->category);
        x->r.external_id = keep(x->id, sizeof(x->id), r->external_id);
        x->r.metadata = keep(x->meta, sizeof(x->meta), r->metadata);
    }
    g->nrec++;
    return VG_OK;
}

static int on_err(void *ctx, unsigned long line, const char *msg)
{
    struct got *g = ctx;

    if (g->nerr < MAXERR) {
        g->eline[g->nerr] = line;
        snprintf(g->emsg[g->nerr], sizeof(g->emsg[0]), "%s", msg);
    }
    g->nerr++;
    return VG_OK;
}

static FILE *file_of(const char *data, size_t n)
{
    FILE *f = tmpfile();

    if (!f)
        return NULL;
    if (n && fwrite(data, 1, n, f) != n) {
        fclose(f);
        return NULL;
    }
    rewind(f);
    return f;
}

/* Read n bytes of data with opts (NULL: defaults); the return code. */
static int readn(const char *data, size_t n, const struct vg_listfile_opts *o,
                 struct got *g, enum vg_listfile_format *det,
                 struct vg_err *err)
{
    FILE *f = file_of(data, n);
    int rc;

    memset(g, 0, sizeof(*g));
    if (!f)
        return -12345;
    rc = vg_listfile_read(f, o, on_rec, on_err, g, det, err);
    fclose(f);
    return rc;
}

static int reads(const char *data, const struct vg_listfile_opts *o,
                 struct got *g, enum vg_listfile_format *det)
{
    return readn(data, strlen(data), o, g, det, NULL);
}

static struct vg_listfile_opts opts_of(enum vg_listfile_format fmt, int algo)
{
    struct vg_listfile_opts o = {fmt, algo, 0, 0};
    return o;
}

static int hex_is(const struct vg_listfile_record *r, const char *hex)
{
    uint8_t v[VG_ALGO_MAXSIZE] = {0};
    size_t n = strlen(hex) / 2;

    return n == vg_algo_size(r->algo) && !vg_hex_decode(hex, 2 * n, v, n) &&
           !memcmp(v, r->value, n);
}

#define MD5 "d41d8cd98f00b204e9800998ecf8427e"
#define SHA1 "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define SHA256                                                                \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PDQ "b305e8f7bd1c5ee1c25a0c1e46f1d8cf1c9f45f4a1d36f3bd2e3a01e64f7c90b"

static void test_format_names(void)
{
    enum vg_listfile_format f;

    TH_EQ_STR(vg_listfile_format_name(VG_LISTFILE_HASHCSV), "hashcsv");
    TH_CHECK(vg_listfile_format_name((enum vg_listfile_format)9) == NULL);
    TH_EQ_INT(vg_listfile_format_from_name("jsonl", &f), VG_OK);
    TH_EQ_INT(f, VG_LISTFILE_JSONL);
    TH_EQ_INT(vg_listfile_format_from_name("auto", &f), VG_OK);
    TH_EQ_INT(f, VG_LISTFILE_AUTO);
    TH_EQ_INT(vg_listfile_format_from_name("CSV", &f), VG_EINVAL);
    TH_EQ_INT(vg_listfile_format_from_name(NULL, &f), VG_EINVAL);
}

static void test_lines(void)
{
    struct got g;
    enum vg_listfile_format det;
    struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, VG_ALGO_PDQ);

    TH_EQ_INT(reads("# a list\n\n" MD5 "\n  " SHA1 "\t\n"
                    "D41D8CD98F00B204E9800998ECF8427E\n",
                    NULL, &g, &det),
              VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_LINES);
    TH_EQ_INT(g.nerr, 0);
    TH_EQ_INT(g.nrec, 3);
    TH_EQ_INT(g.rec[0].r.algo, VG_ALGO_MD5);
    TH_CHECK(hex_is(&g.rec[0].r, MD5));
    TH_EQ_INT(g.rec[0].r.line, 3);
    TH_EQ_INT(g.rec[0].r.quality, -1);
    TH_CHECK(g.rec[0].r.metadata == NULL && g.rec[0].r.category == NULL &&
             g.rec[0].r.external_id == NULL);
    TH_EQ_INT(g.rec[1].r.algo, VG_ALGO_SHA1);
    TH_CHECK(hex_is(&g.rec[1].r, SHA1));
    TH_EQ_INT(g.rec[1].r.line, 4);
    /* upper case is the same canonical value */
    TH_CHECK(!memcmp(g.rec[2].r.value, g.rec[0].r.value, 16));

    /* 64 hex: PDQ by opts.algo */
    TH_EQ_INT(reads(PDQ "\n" PDQ, &o, &g, &det), VG_OK);
    TH_EQ_INT(g.nrec, 2);
    TH_EQ_INT(g.nerr, 0);
    TH_EQ_INT(g.rec[1].r.algo, VG_ALGO_PDQ);
    TH_EQ_INT(g.rec[1].r.line, 2); /* no newline at the end */
    TH_CHECK(hex_is(&g.rec[1].r, PDQ));
    o.algo = VG_ALGO_SHA256;
    TH_EQ_INT(reads(SHA256 "\n", &o, &g, &det), VG_OK);
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_INT(g.rec[0].r.algo, VG_ALGO_SHA256);
    TH_CHECK(hex_is(&g.rec[0].r, SHA256));

    /* explicit format, CRLF */
    o = opts_of(VG_LISTFILE_LINES, -1);
    TH_EQ_INT(reads(MD5 "\r\n" SHA1 "\r\n", &o, &g, &det), VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_LINES);
    TH_EQ_INT(g.nrec, 2);
    TH_EQ_INT(g.nerr, 0);
}

static void test_lines_errors(void)
{
    struct got g;
    struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, -1);

    TH_EQ_INT(reads(MD5
                    "\n"
                    "d41d8cd98f00b204e9800998ecf8427e0123456789abcdef0123456"
                    "789abcde\n"
                    "d41d8cd98fgab204e9800998ecf8427e\n" PDQ "\n"
                    "abc\n",
                    &o, &g, NULL),
              VG_OK);
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_INT(g.nerr, 4);
    TH_EQ_INT(g.eline[0], 2);
    TH_EQ_STR(g.emsg[0], "expected 32, 40 or 64 hex digits, found 63");
    TH_EQ_INT(g.eline[1], 3);
    TH_EQ_STR(g.emsg[1], "non-hex character 'g' at column 11");
    TH_EQ_INT(g.eline[2], 4);
    TH_EQ_STR(g.emsg[2], "64 hex digits could be PDQ or SHA-256: pass "
                         "--algo pdq or --algo sha256");
    TH_EQ_INT(g.eline[3], 5);
    TH_EQ_STR(g.emsg[3], "expected 32, 40 or 64 hex digits, found 3");

    /* an explicit algorithm fixes the length */
    o.algo = VG_ALGO_MD5;
    TH_EQ_INT(reads(PDQ "\n" SHA1 "\n  xyz\n", &o, &g, NULL), VG_OK);
    TH_EQ_INT(g.nrec, 0);
    TH_EQ_INT(g.nerr, 3);
    TH_EQ_STR(g.emsg[0], "algorithm md5 needs 32 hex digits, found 64");
    TH_EQ_STR(g.emsg[1], "algorithm md5 needs 32 hex digits, found 40");
    TH_EQ_STR(g.emsg[2], "non-hex character 'x' at column 3");
    TH_EQ_INT(g.eline[2], 3);

    /* a mistyped first hash still makes a lines file with a precise error */
    o.algo = -1;
    TH_EQ_INT(reads("d41d8cd98f00b204e9800998ecf8427\xc3\xa9\n" MD5 "\n", &o,
                    &g, NULL),
              VG_OK);
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_INT(g.nerr, 1);
    TH_EQ_STR(g.emsg[0], "non-hex character '\xc3\xa9' (U+00E9) at column 32");
}

static void test_hashcsv(void)
{
    struct got g;
    enum vg_listfile_format det;
    struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, -1);

    TH_EQ_INT(reads(PDQ ",100,samples/fish.gif\n" PDQ ",0,a,b,,c.jpg\n" PDQ
                        ",7,\n",
                    &o, &g, &det),
              VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_HASHCSV);
    TH_EQ_INT(g.nerr, 0);
    TH_EQ_INT(g.nrec, 3);
    TH_EQ_INT(g.rec[0].r.algo, VG_ALGO_PDQ);
    TH_CHECK(hex_is(&g.rec[0].r, PDQ));
    TH_EQ_INT(g.rec[0].r.quality, 100);
    TH_EQ_STR(g.rec[0].r.metadata, "samples/fish.gif");
    TH_EQ_STR(g.rec[1].r.metadata, "a,b,,c.jpg");
    TH_EQ_INT(g.rec[1].r.quality, 0);
    TH_CHECK(g.rec[2].r.metadata == NULL);

    o.min_quality = 50;
    TH_EQ_INT(reads(PDQ
                    ",12,x.jpg\n" PDQ ",50,y.jpg\n" PDQ ",101,z\n" PDQ
                    ",9x,z\n" PDQ "\n" PDQ "," PDQ ",\n"
                    "b305e8f7bd1c5ee1c25a0c1e46f1d8cf1c9f45f4a1d36f3bd2e3a01e"
                    "64f7c90,80,p\n",
                    &o, &g, &det),
              VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_HASHCSV);
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_STR(g.rec[0].r.metadata, "y.jpg");
    TH_EQ_INT(g.rec[0].r.line, 2);
    TH_EQ_INT(g.nerr, 6);
    TH_EQ_INT(g.eline[0], 1);
    TH_EQ_STR(g.emsg[0], "PDQ quality 12 is below the minimum 50");
    TH_EQ_INT(g.eline[1], 3);
    TH_EQ_STR(g.emsg[1], "quality \"101\" is not a number from 0 to 100");
    TH_EQ_STR(g.emsg[2], "quality \"9x\" is not a number from 0 to 100");
    TH_EQ_STR(g.emsg[3], "expected hash,quality,path");
    TH_CHECK(strstr(g.emsg[4], "--dihedral") != NULL);
    TH_EQ_INT(g.eline[5], 7);
    TH_EQ_STR(g.emsg[5], "algorithm pdq needs 64 hex digits, found 63");

    /* --dihedral output is detected as hashcsv and explained */
    TH_EQ_INT(reads(PDQ "," PDQ "," PDQ ",100,x\n", NULL, &g, &det), VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_HASHCSV);
    TH_EQ_INT(g.nerr, 1);

    /* hashcsv is PDQ: another opts.algo keeps nothing */
    o = opts_of(VG_LISTFILE_HASHCSV, VG_ALGO_MD5);
    TH_EQ_INT(reads(PDQ ",100,x\n", &o, &g, &det), VG_OK);
    TH_EQ_INT(g.nrec, 0);
    TH_EQ_INT(g.nerr, 0);
}

#define HASHJSON                                                              \
    "{\"path\":\"samples/fish.gif\",\"pdq\":\"" PDQ "\",\"quality\":100,"     \
    "\"md5\":\"" MD5 "\",\"sha1\":\"" SHA1 "\",\"sha256\":\"" SHA256          \
    "\",\"width\":320,\"height\":135,\"format\":\"gif\"}\n"

static void test_jsonl_hash_output(void)
{
    struct got g;
    enum vg_listfile_format det;
    struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, -1);

    TH_EQ_INT(reads(HASHJSON "{\"path\":\"bad.jpg\",\"error\":\"corrupt "
                             "data: truncated\"}\n" HASHJSON,
                    &o, &g, &det),
              VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_JSONL);
    TH_EQ_INT(g.nrec, 8);
    TH_EQ_INT(g.nerr, 1);
    TH_EQ_INT(g.eline[0], 2);
    TH_EQ_STR(g.emsg[0],
              "vigil hash failed on \"bad.jpg\": corrupt data: truncated");
    TH_EQ_INT(g.rec[0].r.algo, VG_ALGO_PDQ);
    TH_CHECK(hex_is(&g.rec[0].r, PDQ));
    TH_EQ_INT(g.rec[0].r.quality, 100);
    TH_EQ_STR(g.rec[0].r.metadata, "samples/fish.gif");
    TH_EQ_INT(g.rec[1].r.algo, VG_ALGO_MD5);
    TH_CHECK(hex_is(&g.rec[1].r, MD5));
    TH_EQ_INT(g.rec[1].r.quality, -1);
    TH_EQ_INT(g.rec[2].r.algo, VG_ALGO_SHA1);
    TH_EQ_INT(g.rec[3].r.algo, VG_ALGO_SHA256);
    TH_CHECK(hex_is(&g.rec[3].r, SHA256));
    TH_EQ_STR(g.rec[3].r.metadata, "samples/fish.gif");
    TH_EQ_INT(g.rec[7].r.line, 3);

    /* opts.algo keeps one algorithm */
    o.algo = VG_ALGO_SHA1;
    TH_EQ_INT(reads(HASHJSON HASHJSON, &o, &g, &det), VG_OK);
    TH_EQ_INT(g.nrec, 2);
    TH_EQ_INT(g.rec[0].r.algo, VG_ALGO_SHA1);
    TH_EQ_INT(g.rec[1].r.line, 2);

    /* the quality filter applies to the PDQ; the line is bad as a whole */
    o = opts_of(VG_LISTFILE_JSONL, -1);
    o.min_quality = 101;
    TH_EQ_INT(reads(HASHJSON, &o, &g, &det), VG_OK);
    TH_EQ_INT(g.nrec, 0);
    TH_EQ_INT(g.nerr, 1);
    TH_EQ_STR(g.emsg[0], "PDQ quality 100 is below the minimum 101");
    o.algo = VG_ALGO_MD5; /* ... and not to what is filtered out */
    TH_EQ_INT(reads(HASHJSON, &o, &g, &det), VG_OK);
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_INT(g.nerr, 0);
}

static void test_jsonl_errors(void)
{
    struct got g;
    char deep[200];
    size_t k = 0;

    deep[k++] = '{';
    deep[k++] = '"';
    deep[k++] = 'a';
    deep[k++] = '"';
    deep[k++] = ':';
    for (int i = 0; i < 40; i++)
        deep[k++] = '[';
    for (int i = 0; i < 40; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    deep[k++] = '\n';
    deep[k] = '\0';

    TH_EQ_INT(reads("{\"hash\":\"" MD5 "\",}\n"
                    "{\"path\":\"x\",\"width\":3}\n"
                    "[1,2]\n"
                    "{\"hash\":\"" MD5 "\",\"hash\":\"" MD5 "\"}\n"
                    "{\"hash\":\"" MD5 "\",\"algorithm\":\"sha512\"}\n"
                    "{\"hash\":\"" SHA256 "\",\"algorithm\":\"md5\"}\n"
                    "{\"hash\":17}\n"
                    "{\"hash\":\"" MD5 "\",\"quality\":\"high\"}\n"
                    "{\"hash\":\"" MD5 "\",\"value\":\"" MD5 "\"}\n"
                    "{\"md5\":\"" MD5 "x\"}\n"
                    "{\"hash\":\"\"}\n"
                    "{\"hash\":\"" MD5 "\"} x\n",
                    NULL, &g, NULL),
              VG_OK);
    TH_EQ_INT(g.nrec, 0);
    TH_EQ_INT(g.nerr, 12);
    TH_EQ_INT(g.eline[0], 1);
    TH_CHECK(!strncmp(g.emsg[0], "invalid JSON: ", 14));
    TH_EQ_STR(g.emsg[0],
              "invalid JSON: string or '}' expected near '}' at column 44");
    TH_EQ_STR(g.emsg[1], "no hash in this object");
    TH_EQ_STR(g.emsg[2], "expected a JSON object");
    TH_CHECK(strstr(g.emsg[3], "duplicate object key") != NULL);
    TH_EQ_STR(g.emsg[4], "unknown algorithm \"sha512\"");
    TH_EQ_STR(g.emsg[5], "algorithm md5 needs 32 hex digits, found 64");
    TH_EQ_STR(g.emsg[6], "\"hash\" must be a string");
    TH_EQ_STR(g.emsg[7], "\"quality\" must be an integer from 0 to 100");
    TH_EQ_STR(g.emsg[8], "both \"hash\" and \"value\" given");
    TH_EQ_STR(g.emsg[9], "non-hex character 'x' in \"md5\"");
    TH_EQ_STR(g.emsg[10], "\"hash\" is empty");
    TH_CHECK(!strncmp(g.emsg[11], "invalid JSON: ", 14));
    TH_EQ_INT(g.eline[11], 12);

    TH_EQ_INT(reads(deep, NULL, &g, NULL), VG_OK);
    TH_EQ_INT(g.nerr, 1);
    TH_EQ_STR(g.emsg[0], "JSON nested deeper than 32 levels");
}

static void test_jsonl_generic(void)
{
    struct got g;
    struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, -1);

    TH_EQ_INT(reads("{\"value\":\"" PDQ "\",\"algo\":\"PDQ\",\"quality\":77,"
                    "\"category\":\"A1\",\"external_id\":1234,"
                    "\"metadata\":\"caf\\u00e9\",\"extra\":[1,{}]}\n"
                    "{\"hash\":\"" SHA256 "\",\"algorithm\":\"sha-256\","
                    "\"id\":\"x-9\",\"category\":null}\n"
                    "{\"hash\":\"" MD5 "\",\"category\":\"\"}\n",
                    &o, &g, NULL),
              VG_OK);
    TH_EQ_INT(g.nerr, 0);
    TH_EQ_INT(g.nrec, 3);
    TH_EQ_INT(g.rec[0].r.algo, VG_ALGO_PDQ);
    TH_CHECK(hex_is(&g.rec[0].r, PDQ));
    TH_EQ_INT(g.rec[0].r.quality, 77);
    TH_EQ_STR(g.rec[0].r.category, "A1");
    TH_EQ_STR(g.rec[0].r.external_id, "1234");
    TH_EQ_STR(g.rec[0].r.metadata, "caf\xc3\xa9");
    TH_EQ_INT(g.rec[1].r.algo, VG_ALGO_SHA256);
    TH_EQ_STR(g.rec[1].r.external_id, "x-9");
    TH_CHECK(g.rec[1].r.category == NULL);
    TH_EQ_INT(g.rec[2].r.algo, VG_ALGO_MD5);
    TH_CHECK(g.rec[2].r.category == NULL);

    /* without an algorithm key, 64 hex needs opts.algo */
    TH_EQ_INT(reads("{\"hash\":\"" PDQ "\"}\n", &o, &g, NULL), VG_OK);
    TH_EQ_INT(g.nerr, 1);
    TH_EQ_STR(g.emsg[0], "64 hex digits could be PDQ or SHA-256: pass "
                         "--algo pdq or --algo sha256");
    o.algo = VG_ALGO_PDQ;
    TH_EQ_INT(reads("{\"hash\":\"" PDQ "\"}\n"
                    "{\"hash\":\"" MD5 "\",\"algorithm\":\"md5\"}\n",
                    &o, &g, NULL),
              VG_OK);
    TH_EQ_INT(g.nerr, 0);
    TH_EQ_INT(g.nrec, 1); /* the md5 is filtered out */
    TH_EQ_INT(g.rec[0].r.algo, VG_ALGO_PDQ);
}

static void test_csv(void)
{
    struct got g;
    enum vg_listfile_format det;
    struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, -1);

    TH_EQ_INT(reads("# exported\n"
                    "ID,Metadata,Value,Algo,Category,Quality\r\n"
                    "17,\"a, \"\"quoted\"\" note\"," PDQ ",pdq,A1,90\r\n"
                    ",,  " MD5 " ,,,\r\n"
                    "\r\n"
                    "x,\"two\r\nlines\"," SHA1 ",SHA-1,B,\r\n"
                    "y,\xc3\xa9t\xc3\xa9," SHA256 ",sha256,,\r\n",
                    &o, &g, &det),
              VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_CSV);
    TH_EQ_INT(g.nerr, 0);
    TH_EQ_INT(g.nrec, 4);
    TH_EQ_INT(g.rec[0].r.algo, VG_ALGO_PDQ);
    TH_CHECK(hex_is(&g.rec[0].r, PDQ));
    TH_EQ_STR(g.rec[0].r.external_id, "17");
    TH_EQ_STR(g.rec[0].r.metadata, "a, \"quoted\" note");
    TH_EQ_STR(g.rec[0].r.category, "A1");
    TH_EQ_INT(g.rec[0].r.quality, 90);
    TH_EQ_INT(g.rec[0].r.line, 3);
    TH_EQ_INT(g.rec[1].r.algo, VG_ALGO_MD5);
    TH_CHECK(g.rec[1].r.external_id == NULL && g.rec[1].r.metadata == NULL);
    TH_EQ_INT(g.rec[1].r.quality, -1);
    TH_EQ_INT(g.rec[2].r.algo, VG_ALGO_SHA1);
    TH_EQ_STR(g.rec[2].r.metadata, "two\r\nlines");
    TH_EQ_INT(g.rec[2].r.line, 6);
    TH_EQ_INT(g.rec[3].r.line, 8);
    TH_EQ_STR(g.rec[3].r.metadata, "\xc3\xa9t\xc3\xa9");

    /* errors, each on its line */
    TH_EQ_INT(reads("hash,algorithm,metadata\n" MD5 ",sha512,x\n" MD5
                    ",md5\n" PDQ ",md5,x\n" MD5 ",md5,a\"b\n" MD5
                    ",md5,\"a\"b\n" PDQ ",,x\n"
                    "zz,,x\n" MD5 ",md5,\"never\nclosed\n",
                    &o, &g, &det),
              VG_OK);
    TH_EQ_INT(g.nrec, 0);
    TH_EQ_INT(g.nerr, 8);
    TH_EQ_INT(g.eline[0], 2);
    TH_EQ_STR(g.emsg[0], "unknown algorithm \"sha512\"");
    TH_EQ_INT(g.eline[1], 3);
    TH_EQ_STR(g.emsg[1], "expected 3 fields as in the header, found 2");
    TH_EQ_STR(g.emsg[2], "algorithm md5 needs 32 hex digits, found 64");
    TH_EQ_STR(g.emsg[3], "quote inside an unquoted field at column 39");
    TH_EQ_STR(g.emsg[4], "character after a closing quote at column 41");
    TH_EQ_STR(g.emsg[5], "64 hex digits could be PDQ or SHA-256: pass "
                         "--algo pdq or --algo sha256");
    TH_EQ_STR(g.emsg[6], "non-hex character 'z' at column 1");
    TH_EQ_INT(g.eline[7], 9);
    TH_EQ_STR(g.emsg[7], "unterminated quoted field");

    /* header problems are format errors */
    {
        struct vg_err e = {0, ""};
        const char *t = "hash,value\n" MD5 ",x\n";
        TH_EQ_INT(readn(t, strlen(t), NULL, &g, NULL, &e), VG_EFORMAT);
        TH_CHECK(strstr(e.msg, "twice") != NULL);
        o = opts_of(VG_LISTFILE_CSV, -1);
        TH_EQ_INT(readn("md5,path\n", 9, &o, &g, &det, &e), VG_EFORMAT);
        TH_EQ_STR(e.msg, "line 1: the CSV header has no hash or value column");
        TH_EQ_INT(det, VG_LISTFILE_CSV);
    }
    /* a one-column CSV, and a trailing quoted empty field */
    TH_EQ_INT(reads("Hash\n" MD5 "\n\"" SHA1 "\"\n", NULL, &g, &det), VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_CSV);
    TH_EQ_INT(g.nrec, 2);
    TH_EQ_INT(g.rec[1].r.algo, VG_ALGO_SHA1);
    TH_EQ_INT(reads("hash,metadata\n" MD5 ",\"\"\n", NULL, &g, &det), VG_OK);
    TH_EQ_INT(g.nrec, 1);
    TH_CHECK(g.rec[0].r.metadata == NULL);
}

static void test_detect(void)
{
    struct got g;
    struct vg_err e = {0, ""};
    enum vg_listfile_format det = VG_LISTFILE_CSV;

    TH_EQ_INT(readn("", 0, NULL, &g, &det, &e), VG_OK);
    TH_EQ_INT(g.nrec + g.nerr, 0);
    TH_EQ_INT(det, VG_LISTFILE_AUTO);
    TH_EQ_INT(readn("\n# only comments\n  \n", 20, NULL, &g, &det, &e), VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_AUTO);
    TH_EQ_INT(readn("\n\nname,path\n" MD5 ",x\n", 12 + 35, NULL, &g, &det, &e),
              VG_EFORMAT);
    TH_CHECK(!strncmp(e.msg, "line 3: cannot tell the list format", 35));
    TH_EQ_INT(reads("  {\"md5\":\"" MD5 "\"}\n", NULL, &g, &det), VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_JSONL);
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_INT(reads("category,\"VALUE\"\nx," MD5 "\n", NULL, &g, &det), VG_OK);
    TH_EQ_INT(det, VG_LISTFILE_CSV);
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_STR(g.rec[0].r.category, "x");
    /* bad options */
    {
        struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, 7);
        TH_EQ_INT(readn("x\n", 2, &o, &g, NULL, NULL), VG_EINVAL);
        o = opts_of((enum vg_listfile_format)9, -1);
        TH_EQ_INT(readn("x\n", 2, &o, &g, NULL, NULL), VG_EINVAL);
    }
}

static void test_line_limits(void)
{
    struct got g;
    size_t n = 70000 + 1 + 33;
    char *big = malloc(n + 1);
    struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, -1);

    if (!big) {
        TH_CHECK(big != NULL);
        return;
    }
    memset(big, 'a', 70000);
    big[70000] = '\n';
    memcpy(big + 70001, MD5 "\n", 34);
    TH_EQ_INT(readn(big, n, NULL, &g, NULL, NULL), VG_OK);
    TH_EQ_INT(g.nerr, 1);
    TH_EQ_INT(g.eline[0], 1);
    TH_EQ_STR(g.emsg[0], "line longer than 65536 bytes");
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_INT(g.rec[0].r.line, 2);
    free(big);

    /* exactly max_line is fine, one more is not; a CR does not count */
    o.max_line = 32;
    TH_EQ_INT(reads(MD5 "\r\n" MD5 "0\n" MD5 "\n", &o, &g, NULL), VG_OK);
    TH_EQ_INT(g.nrec, 2);
    TH_EQ_INT(g.nerr, 1);
    TH_EQ_INT(g.eline[0], 2);
    TH_EQ_STR(g.emsg[0], "line longer than 32 bytes");
    /* a CSV record over several lines is capped as a whole */
    o.max_line = 40;
    TH_EQ_INT(reads("hash,metadata\n" MD5 ",\"a\nbbbbbbbbbb\n" MD5 ",ok\n", &o,
                    &g, NULL),
              VG_OK);
    TH_EQ_INT(g.nerr, 1);
    TH_EQ_INT(g.eline[0], 2);
    TH_EQ_STR(g.emsg[0],
              "record longer than 40 bytes (unterminated quoted field?)");
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_INT(g.rec[0].r.line, 4);
}

static void test_encoding(void)
{
    struct got g;
    static const char nul[] = MD5 "\n"
                                  "d41d\0"
                                  "\n" MD5 "\n";

    TH_EQ_INT(reads("\xef\xbb\xbf" MD5 "\n" MD5 "\xff\n"
                    "\xc0\xaf\n\xed\xa0\x80\n\xef\xbb\xbf" MD5 "\n" MD5 "\n",
                    NULL, &g, NULL),
              VG_OK);
    TH_EQ_INT(g.nrec, 2);
    TH_EQ_INT(g.rec[0].r.line, 1);
    TH_EQ_INT(g.rec[1].r.line, 6);
    TH_EQ_INT(g.nerr, 4);
    TH_EQ_INT(g.eline[0], 2);
    TH_EQ_STR(g.emsg[0], "not valid UTF-8 at column 33");
    TH_EQ_STR(g.emsg[1], "not valid UTF-8 at column 1"); /* overlong */
    TH_EQ_STR(g.emsg[2], "not valid UTF-8 at column 1"); /* surrogate */
    TH_EQ_INT(g.eline[3], 5);
    TH_EQ_STR(g.emsg[3],
              "non-hex character '\xef\xbb\xbf' (U+FEFF) at column 1");

    TH_EQ_INT(readn(nul, sizeof(nul) - 1, NULL, &g, NULL, NULL), VG_OK);
    TH_EQ_INT(g.nrec, 2);
    TH_EQ_INT(g.nerr, 1);
    TH_EQ_INT(g.eline[0], 2);
    TH_EQ_STR(g.emsg[0], "NUL byte at column 5");

    /* a BOM before a CSV header */
    TH_EQ_INT(reads("\xef\xbb\xbfhash\n" MD5 "\n", NULL, &g, NULL), VG_OK);
    TH_EQ_INT(g.nrec, 1);
    TH_EQ_INT(g.nerr, 0);
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_rec(const struct vg_listfile_record *a,
                    const struct vg_listfile_record *b)
{
    return a->algo == b->algo && a->quality == b->quality &&
           !memcmp(a->value, b->value, vg_algo_size(a->algo)) &&
           same_str(a->category, b->category) &&
           same_str(a->external_id, b->external_id) &&
           same_str(a->metadata, b->metadata);
}

static void make_recs(struct vg_listfile_record *r, int n)
{
    static const char *const meta[] = {"a,b",
                                       "say \"hi\"",
                                       "two\nlines",
                                       "crlf\r\nend",
                                       "\xc3\xa9\xe2\x82\xac"
                                       "\xf0\x9f\x90\x9f",
                                       "  padded  ",
                                       "#hash-like",
                                       "tab\there",
                                       "\"",
                                       "back\\slash",
                                       "trailing cr\r",
                                       "",
                                       NULL};
    static const enum vg_algo algos[] = {VG_ALGO_PDQ, VG_ALGO_MD5,
                                         VG_ALGO_SHA1, VG_ALGO_SHA256};

    for (int i = 0; i < n; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].algo = algos[i % 4];
        for (size_t k = 0; k < vg_algo_size(r[i].algo); k++)
            r[i].value[k] = (uint8_t)(i * 31 + k * 7);
        r[i].quality = r[i].algo == VG_ALGO_PDQ ? (i * 13) % 101 : -1;
        if (i == 5)
            r[i].quality = 3; /* a quality on a non-PDQ survives too */
        r[i].metadata = meta[i % 13];
        r[i].category = i % 3 ? "cat,1" : NULL;
        r[i].external_id = i % 2 ? "id \"7\"" : NULL;
    }
}

static void test_round_trip(void)
{
    enum vg_listfile_format fmts[] = {VG_LISTFILE_CSV, VG_LISTFILE_JSONL};
    struct vg_listfile_record r[26];
    int n = 26;

    make_recs(r, n);
    for (int k = 0; k < 2; k++) {
        struct got g;
        FILE *f = tmpfile();
        struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, -1);
        enum vg_listfile_format det;
        int good = 1;
        if (!f) {
            TH_CHECK(f != NULL);
            return;
        }
        TH_EQ_INT(vg_listfile_write_header(f, fmts[k]), VG_OK);
        for (int i = 0; i < n; i++)
            TH_EQ_INT(vg_listfile_write_record(f, fmts[k], &r[i]), VG_OK);
        rewind(f);
        memset(&g, 0, sizeof(g));
        TH_EQ_INT(vg_listfile_read(f, &o, on_rec, on_err, &g, &det, NULL),
                  VG_OK);
        fclose(f);
        TH_EQ_INT(det, fmts[k]);
        TH_EQ_INT(g.nerr, 0);
        if (g.nerr)
            fprintf(stderr, "  line %lu: %s\n", g.eline[0], g.emsg[0]);
        TH_EQ_INT(g.nrec, n);
        for (int i = 0; i < n && i < g.nrec; i++) {
            /* "" is written as an empty field and reads back as absent */
            struct vg_listfile_record want = r[i];
            if (want.metadata && !*want.metadata)
                want.metadata = NULL;
            if (!same_rec(&want, &g.rec[i].r)) {
                fprintf(stderr, "  %s record %d differs\n",
                        vg_listfile_format_name(fmts[k]), i);
                good = 0;
            }
        }
        TH_CHECK(good);
    }
}

static void test_writers(void)
{
    char buf[1024];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    struct vg_listfile_record r[4];
    struct vg_listfile_record bad;

    if (!f) {
        TH_CHECK(f != NULL);
        return;
    }
    make_recs(r, 4);
    r[0].metadata = "a,b";
    r[0].quality = 42;
    TH_EQ_INT(vg_listfile_write_header(f, VG_LISTFILE_AUTO), VG_EINVAL);
    TH_EQ_INT(vg_listfile_write_header(f, VG_LISTFILE_HASHCSV), VG_OK);
    for (int i = 0; i < 4; i++)
        TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_HASHCSV, &r[i]),
                  VG_OK);
    r[0].quality = -1;
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_HASHCSV, &r[0]), VG_OK);
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_LINES, &r[1]), VG_OK);
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_JSONL, &r[1]), VG_OK);
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_CSV, &r[1]), VG_OK);
    fflush(f);
    TH_EQ_STR(buf,
              "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cb"
              "d2d9,42,a,b\n"
              "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cb"
              "d2d9,0,a,b\n"
              "1f262d343b424950575e656c737a8188\n"
              "{\"hash\":\"1f262d343b424950575e656c737a8188\",\"algorithm\":"
              "\"md5\",\"category\":\"cat,1\",\"id\":\"id \\\"7\\\"\","
              "\"metadata\":\"say \\\"hi\\\"\"}\n"
              "1f262d343b424950575e656c737a8188,md5,\"cat,1\",\"id \"\"7\"\""
              "\",\"say \"\"hi\"\"\",\n");
    fclose(f);

    f = fopen("/dev/null", "w");
    if (!f)
        return;
    bad = r[0];
    bad.metadata = "two\nlines";
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_HASHCSV, &bad),
              VG_EINVAL);
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_CSV, &bad), VG_OK);
    bad.metadata = "\xff";
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_JSONL, &bad), VG_EINVAL);
    bad = r[0];
    bad.quality = 101;
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_CSV, &bad), VG_EINVAL);
    bad = r[0];
    bad.algo = VG_ALGO_COUNT;
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_LINES, &bad), VG_EINVAL);
    TH_EQ_INT(vg_listfile_write_record(f, VG_LISTFILE_AUTO, &r[0]), VG_EINVAL);
    fclose(f);
}

static int stop_after_two(void *ctx, const struct vg_listfile_record *r)
{
    int *n = ctx;

    (void)r;
    return ++*n == 2 ? 42 : VG_OK;
}

static int stop_on_error(void *ctx, unsigned long line, const char *msg)
{
    (void)ctx;
    (void)msg;
    return line == 2 ? -77 : VG_OK;
}

static void test_callbacks(void)
{
    const char *text = MD5 "\n" MD5 "\n" MD5 "\n";
    FILE *f = file_of(text, strlen(text));
    int n = 0;

    if (!f)
        return;
    TH_EQ_INT(vg_listfile_read(f, NULL, stop_after_two, NULL, &n, NULL, NULL),
              42);
    TH_EQ_INT(n, 2);
    fclose(f);
    text = MD5 "\nzz\n" MD5 "\n";
    f = file_of(text, strlen(text));
    n = 0;
    if (!f)
        return;
    TH_EQ_INT(vg_listfile_read(f, NULL, stop_after_two, stop_on_error, &n,
                               NULL, NULL),
              -77);
    TH_EQ_INT(n, 1);
    fclose(f);
    /* NULL callbacks are allowed */
    f = file_of(text, strlen(text));
    if (!f)
        return;
    TH_EQ_INT(vg_listfile_read(f, NULL, NULL, NULL, NULL, NULL, NULL), VG_OK);
    fclose(f);
}

static void test_read_error(void)
{
    FILE *f = fopen("/dev/null", "w"); /* reading it fails */
    struct vg_err e = {0, ""};
    struct got g;

    if (!f)
        return;
    memset(&g, 0, sizeof(g));
    TH_EQ_INT(vg_listfile_read(f, NULL, on_rec, on_err, &g, NULL, &e), VG_EIO);
    TH_CHECK(strstr(e.msg, "read error") != NULL);
    fclose(f);
}

/* Every allocation failure is VG_ENOMEM, never a crash or leak (ASan). */
static void test_alloc_failures(void)
{
    const char *inputs[] = {
        MD5 "\n",
        "hash,metadata\n" MD5 ",\"a\nb\"\n" MD5 ",c\n",
        HASHJSON,
    };

    for (int k = 0; k < 3; k++) {
        int ok = 0;
        for (long n = 0; n < 50 && !ok; n++) {
            struct got g;
            FILE *f = file_of(inputs[k], strlen(inputs[k]));
            int rc;
            if (!f)
                return;
            memset(&g, 0, sizeof(g));
            vg_alloc_fail_after(n);
            rc = vg_listfile_read(f, NULL, on_rec, on_err, &g, NULL, NULL);
            vg_alloc_fail_after(-1);
            fclose(f);
            TH_CHECK(rc == VG_OK || rc == VG_ENOMEM);
            ok = rc == VG_OK;
            if (ok)
                TH_CHECK(g.nrec >= 1 && g.nerr == 0);
        }
        TH_CHECK(ok);
    }
}

static int count_rec(void *ctx, const struct vg_listfile_record *r)
{
    unsigned long *n = ctx;

    if (r->line != *n + 1 || r->algo != VG_ALGO_PDQ ||
        r->value[0] != (uint8_t)(*n * 7))
        return -1;
    ++*n;
    return VG_OK;
}

static void test_large(void)
{
    FILE *f = tmpfile();
    struct vg_listfile_opts o = opts_of(VG_LISTFILE_AUTO, VG_ALGO_PDQ);
    enum vg_listfile_format det;
    unsigned long n = 0;

    if (!f) {
        TH_CHECK(f != NULL);
        return;
    }
    for (unsigned long i = 0; i < 100000; i++)
        fprintf(f, "%02x%062lx\n", (unsigned)(uint8_t)(i * 7), i);
    rewind(f);
    TH_EQ_INT(vg_listfile_read(f, &o, count_rec, NULL, &n, &det, NULL), VG_OK);
    TH_EQ_INT(n, 100000);
    TH_EQ_INT(det, VG_LISTFILE_LINES);
    fclose(f);
}

int main(void)
{
    TH_RUN(test_format_names);
    TH_RUN(test_lines);
    TH_RUN(test_lines_errors);
    TH_RUN(test_hashcsv);
    TH_RUN(test_jsonl_hash_output);
    TH_RUN(test_jsonl_errors);
    TH_RUN(test_jsonl_generic);
    TH_RUN(test_csv);
    TH_RUN(test_detect);
    TH_RUN(test_line_limits);
    TH_RUN(test_encoding);
    TH_RUN(test_round_trip);
    TH_RUN(test_writers);
    TH_RUN(test_callbacks);
    TH_RUN(test_read_error);
    TH_RUN(test_alloc_failures);
    TH_RUN(test_large);
    return th_done();
}
