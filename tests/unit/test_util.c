/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/util: the error table, capped buffers, JSON string
 * escaping (UTF-8 validation, surrogateescape), the path walker, the
 * digests and the allocation fault hook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/digest.h"
#include "vigil/hashalgo.h"
#include "vigil/walk.h"

static void test_errors(void)
{
    struct vg_err e;

    TH_EQ_STR(vg_strerror(VG_OK), "success");
    TH_EQ_STR(vg_strerror(VG_EFORMAT), "unsupported format");
    TH_EQ_STR(vg_strerror(12345), "unknown error");
    TH_CHECK(VG_ENOMEM < 0 && VG_EINTERNAL < 0);
    TH_EQ_INT(vg_err_set(&e, VG_EIO, "x=%d", 42), VG_EIO);
    TH_EQ_STR(e.msg, "x=42");
    TH_EQ_INT(vg_err_set(NULL, VG_EIO, "ignored"), VG_EIO);
}

static const char *json(const char *s, size_t n)
{
    static struct vg_buf b;

    vg_buf_fini(&b);
    vg_buf_init(&b, 0);
    if (vg_buf_json_str(&b, s, n))
        return NULL;
    return b.data;
}

static void test_json(void)
{
    TH_EQ_STR(json("abc", 3), "\"abc\"");
    TH_EQ_STR(json("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    TH_EQ_STR(json("\n\t\x01", 3), "\"\\u000a\\u0009\\u0001\"");
    TH_EQ_STR(json("caf\xc3\xa9", 5), "\"caf\xc3\xa9\""); /* valid */
    TH_EQ_STR(json("a\xff"
                   "b",
                   3),
              "\"a\\udcffb\"");                           /* invalid */
    TH_EQ_STR(json("\xc0\xaf", 2), "\"\\udcc0\\udcaf\""); /* overlong */
    TH_EQ_STR(json("\xed\xa0\x80", 3),
              "\"\\udced\\udca0\\udc80\"");               /* surrogate */
    TH_EQ_STR(json("\xe2\x82", 2), "\"\\udce2\\udc82\""); /* short */
    TH_EQ_STR(json("a\0b", 3), "\"a\\u0000b\"");
    json("", 0);
}

static void test_utf8_cut(void)
{
    TH_EQ_INT(vg_utf8_cut("", 5), 0);
    TH_EQ_INT(vg_utf8_cut("abc", 5), 3);
    TH_EQ_INT(vg_utf8_cut("abcdef", 3), 3);
    /* "a\u00e9": cut at 2 would halve the 2-byte character */
    TH_EQ_INT(vg_utf8_cut("a\xc3\xa9", 2), 1);
    TH_EQ_INT(vg_utf8_cut("a\xc3\xa9", 3), 3);
    /* U+1F600 (4 bytes) after "ab": kept whole or not at all */
    for (size_t m = 2; m < 6; m++)
        TH_EQ_INT(vg_utf8_cut("ab\xf0\x9f\x98\x80z", m), 2);
    TH_EQ_INT(vg_utf8_cut("ab\xf0\x9f\x98\x80z", 6), 6);
    /* a stray byte counts alone */
    TH_EQ_INT(vg_utf8_cut("a\xff\x62", 2), 2); /* a, 0xff, b */
    TH_EQ_INT(vg_utf8_cut("abc", 0), 0);
}

static void test_utf8(void)
{
    TH_EQ_INT(vg_utf8_count("", 0), 0);
    TH_EQ_INT(vg_utf8_count("abc", 3), 3);
    TH_EQ_INT(vg_utf8_count("\xc3\xa9t\xc3\xa9", 5), 3); /* été */
    TH_EQ_INT(vg_utf8_count("\xf0\x9f\x98\x80", 4), 1);  /* U+1F600 */
    TH_EQ_INT(vg_utf8_count("\xc3", 1), -1);             /* cut */
    TH_EQ_INT(vg_utf8_count("\xc0\xaf", 2), -1);         /* overlong */
    TH_EQ_INT(vg_utf8_count("\xed\xa0\x80", 3), -1);     /* surrogate */
    TH_EQ_INT(vg_utf8_count("\xf4\x90\x80\x80", 4), -1); /* > U+10FFFF */
    TH_EQ_INT(vg_utf8_count("a\xff"
                            "b",
                            3),
              -1);
}

static void test_buf_cap(void)
{
    struct vg_buf b;

    vg_buf_init(&b, 8);
    TH_EQ_INT(vg_buf_puts(&b, "12345678"), VG_OK);
    TH_EQ_INT(vg_buf_puts(&b, "9"), VG_ETOOBIG);
    TH_EQ_STR(b.data, "12345678");
    vg_buf_reset(&b);
    TH_EQ_INT(vg_buf_printf(&b, "%d-%s", 7, "x"), VG_OK);
    TH_EQ_STR(b.data, "7-x");
    vg_buf_fini(&b);
}

static void touch(const char *p)
{
    FILE *f = fopen(p, "w");
    if (f)
        fclose(f);
}

static void test_walk(void)
{
    char dir[] = "/tmp/vg_walk_XXXXXX", p[512];
    struct vg_walk *w;
    struct vg_walk_entry e;
    const char *want[] = {"a", "b/c", "b/d/e", "z"};
    int i = 0;

    TH_CHECK(mkdtemp(dir) != NULL);
    snprintf(p, sizeof(p), "%s/z", dir);
    touch(p);
    snprintf(p, sizeof(p), "%s/a", dir);
    touch(p);
    snprintf(p, sizeof(p), "%s/b", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/b/d", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/b/c", dir);
    touch(p);
    snprintf(p, sizeof(p), "%s/b/d/e", dir);
    touch(p);
    snprintf(p, sizeof(p), "%s/b/loop", dir);
    TH_EQ_INT(symlink("..", p), 0); /* a loop: not followed */
    char *roots[] = {dir, "/nonexistent/file"};
    TH_EQ_INT(vg_walk_new(roots, 2, &w), VG_OK);
    while (vg_walk_next(w, &e) == VG_OK && i < 10) {
        if (i < 4) {
            snprintf(p, sizeof(p), "%s/%s", dir, want[i]);
            TH_EQ_STR(e.path, p);
            TH_EQ_INT(e.from_dir, 1);
        } else {
            TH_EQ_STR(e.path, "/nonexistent/file");
            TH_EQ_INT(e.from_dir, 0);
        }
        i++;
    }
    TH_EQ_INT(i, 5);
    vg_walk_free(w);
    snprintf(p, sizeof(p), "rm -rf '%s'", dir);
    TH_EQ_INT(system(p), 0);
}

static void test_digests(void)
{
    const uint8_t abc[] = {'a', 'b', 'c'};
    struct vg_digests d;
    char hex[65];

    TH_EQ_INT(vg_hashalgo_get(VG_ALGO_MD5)->hash_bytes(abc, 3, d.md5), VG_OK);
    TH_EQ_INT(vg_hashalgo_get(VG_ALGO_SHA1)->hash_bytes(abc, 3, d.sha1),
              VG_OK);
    TH_EQ_INT(vg_hashalgo_get(VG_ALGO_SHA256)->hash_bytes(abc, 3, d.sha256),
              VG_OK);
    vg_hex_encode(d.md5, 16, hex);
    TH_EQ_STR(hex, "900150983cd24fb0d6963f7d28e17f72");
    vg_hex_encode(d.sha1, 20, hex);
    TH_EQ_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    vg_hex_encode(d.sha256, 32, hex);
    TH_EQ_STR(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_alloc_fault(void)
{
    void *a, *b;

    vg_alloc_fail_after(1);
    a = vg_malloc(10);
    b = vg_malloc(10);
    TH_CHECK(a != NULL);
    TH_CHECK(b == NULL);
    TH_EQ_INT(vg_alloc_fail_after(-1), 2);
    vg_free(a);
    TH_CHECK(vg_calloc((size_t)-1, 16) == NULL);
    TH_CHECK(vg_mallocarray((size_t)-1 / 2, 4) == NULL);
    vg_free(NULL);
}

int main(void)
{
    TH_RUN(test_errors);
    TH_RUN(test_json);
    TH_RUN(test_utf8);
    TH_RUN(test_utf8_cut);
    TH_RUN(test_buf_cap);
    TH_RUN(test_walk);
    TH_RUN(test_digests);
    TH_RUN(test_alloc_fault);
    return th_done();
}
