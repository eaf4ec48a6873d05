/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A main() for a fuzz target built without libFuzzer: it feeds every file
 * named on the command line, and every file under every directory named
 * (recursively, in byte order of names), to LLVMFuzzerTestOneInput once,
 * then prints how many inputs it ran.  ctest runs each target over its
 * checked-in corpus (fuzz/corpus/<input>/) in the release and sanitizer
 * builds, so an input that once crashed a target stays a test with gcc alone.
 * Like libFuzzer, it runs the empty input first, calls LLVMFuzzerInitialize
 * when a target defines one, and gives the target a heap copy of exactly the
 * input's size so a sanitizer sees a read past its end.  A target's crash
 * (abort, sanitizer report) is the test's failure; an unreadable file or an
 * empty corpus fails it too, so a misspelled path cannot pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/error.h"
#include "vigil/walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* libFuzzer's optional hook; weak, so a target need not define it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* The largest input replayed: scripts/fuzz gives libFuzzer -max_len=262144. */
#define REPLAY_MAX (1u << 18)

/* Reads the file at path into a fresh buffer of exactly its size. */
static int slurp(const char *path, uint8_t **out, size_t *len)
{
    uint8_t *buf = NULL, chunk[4096];
    size_t n, have = 0;
    FILE *f = NULL;
    int rc = VG_EIO;

    *out = NULL;
    if (!(f = fopen(path, "rb")))
        goto fail;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        uint8_t *grown;

        if (have + n > REPLAY_MAX) {
            rc = VG_ETOOBIG;
            goto fail;
        }
        /* one byte more than the data so an empty file is not malloc(0) */
        if (!(grown = vg_realloc(buf, have + n + 1))) {
            rc = VG_ENOMEM;
            goto fail;
        }
        buf = grown;
        memcpy(buf + have, chunk, n);
        have += n;
    }
    if (ferror(f))
        goto fail;
    fclose(f);
    *out = buf;
    *len = have;
    return VG_OK;
fail:
    if (f)
        fclose(f);
    vg_free(buf);
    return rc;
}

/* Runs one input from an exact-size heap copy (buf may hold one spare byte). */
static int run_one(const uint8_t *data, size_t size)
{
    uint8_t *copy = vg_malloc(size ? size : 1);

    if (!copy)
        return VG_ENOMEM;
    if (size)
        memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    vg_free(copy);
    return VG_OK;
}

static int replay(char **roots, int nroots, unsigned long *ran)
{
    struct vg_walk *w = NULL;
    struct vg_walk_entry e;
    uint8_t *data = NULL;
    size_t size = 0;
    int rc;

    if ((rc = vg_walk_new(roots, nroots, &w)))
        goto fail;
    while ((rc = vg_walk_next(w, &e)) == VG_OK) {
        if ((rc = e.error) || (rc = slurp(e.path, &data, &size))) {
            fprintf(stderr, "replay: %s: %s\n", e.path,
                    e.error_msg ? e.error_msg : vg_strerror(rc));
            goto fail;
        }
        rc = run_one(data, size);
        vg_free(data);
        data = NULL;
        if (rc)
            goto fail;
        (*ran)++;
    }
    if (rc == VG_ENOENT)
        rc = VG_OK;
fail:
    vg_walk_free(w);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long ran = 0;
    int rc = VG_EUSAGE;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
        goto fail;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if ((rc = run_one(NULL, 0)) || (rc = replay(argv + 1, argc - 1, &ran)))
        goto fail;
    if (!ran) {
        rc = VG_ENOENT;
        fprintf(stderr, "replay: no inputs under the paths given\n");
        goto fail;
    }
    printf("replay: %lu inputs ran\n", ran);
    return 0;
fail:
    fprintf(stderr, "replay: %s\n", vg_strerror(rc));
    return 1;
}
