/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recursive, sorted, loop-free path walking (include/vigil/walk.h).  Memory
 * is one frame per directory level: the sorted names of that directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/walk.h"

struct frame {
    char *dir;
    char **names;
    size_t n, i;
};

struct vg_walk {
    char *const *roots;
    int nroots, next_root;
    struct frame *stack;
    size_t depth, alloc;
    char *cur;
    char msg[256];
};

static void frame_fini(struct frame *f)
{
    for (size_t i = 0; i < f->n; i++)
        vg_free(f->names[i]);
    vg_free(f->names);
    vg_free(f->dir);
}

void vg_walk_free(struct vg_walk *w)
{
    if (!w)
        return;
    while (w->depth)
        frame_fini(&w->stack[--w->depth]);
    vg_free(w->stack);
    vg_free(w->cur);
    vg_free(w);
}

int vg_walk_new(char *const *roots, int nroots, struct vg_walk **out)
{
    struct vg_walk *w = vg_calloc(1, sizeof(*w));

    *out = NULL;
    if (!w)
        return VG_ENOMEM;
    w->roots = roots;
    w->nroots = nroots;
    *out = w;
    return VG_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read and sort dir's names into a new frame. errno-style failure in *e. */
static int push_dir(struct vg_walk *w, const char *dir, int *sys_errno)
{
    struct frame f = {0};
    size_t alloc = 0;
    struct dirent *de;
    DIR *d;
    int rc = VG_ENOMEM;

    *sys_errno = 0;
    if (!(d = opendir(dir))) {
        *sys_errno = errno;
        return VG_EIO;
    }
    if (!(f.dir = vg_strdup(dir)))
        goto fail;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (f.n == alloc) {
            size_t na = alloc ? alloc * 2 : 32;
            char **nn = vg_realloc(f.names, na * sizeof(char *));
            if (!nn)
                goto fail;
            f.names = nn;
            alloc = na;
        }
        if (!(f.names[f.n] = vg_strdup(de->d_name)))
            goto fail;
        f.n++;
    }
    if (f.n)
        qsort(f.names, f.n, sizeof(char *), cmp_names);
    if (w->depth == w->alloc) {
        size_t na = w->alloc ? w->alloc * 2 : 8;
        struct frame *ns = vg_realloc(w->stack, na * sizeof(*ns));
        if (!ns)
            goto fail;
        w->stack = ns;
        w->alloc = na;
    }
    closedir(d);
    w->stack[w->depth++] = f;
    return VG_OK;
fail:
    closedir(d);
    frame_fini(&f);
    return rc;
}

static int set_cur(struct vg_walk *w, const char *a, const char *b)
{
    struct vg_buf buf;
    int rc;

    vg_buf_init(&buf, 1 << 20);
    if (b) {
        size_t la = strlen(a);
        rc = vg_buf_append(&buf, a, la);
        if (!rc && (la == 0 || a[la - 1] != '/'))
            rc = vg_buf_append(&buf, "/", 1);
        if (!rc)
            rc = vg_buf_puts(&buf, b);
    } else {
        rc = vg_buf_puts(&buf, a);
    }
    if (rc) {
        vg_buf_fini(&buf);
        return rc;
    }
    vg_free(w->cur);
    w->cur = buf.data;
    return VG_OK;
}

static void entry(struct vg_walk *w, struct vg_walk_entry *e, int from_dir,
                  int error)
{
    e->path = w->cur;
    e->from_dir = from_dir;
    e->error = error;
    e->error_msg = error ? w->msg : NULL;
}

int vg_walk_next(struct vg_walk *w, struct vg_walk_entry *e)
{
    struct stat st;
    int rc, eno;

    for (;;) {
        if (w->depth) {
            struct frame *f = &w->stack[w->depth - 1];
            if (f->i == f->n) {
                frame_fini(f);
                w->depth--;
                continue;
            }
            if ((rc = set_cur(w, f->dir, f->names[f->i++])))
                return rc;
            if (lstat(w->cur, &st) != 0)
                continue; /* vanished since readdir */
            if (S_ISDIR(st.st_mode)) {
                if ((rc = push_dir(w, w->cur, &eno)) == VG_ENOMEM)
                    return rc;
                if (rc) {
                    snprintf(w->msg, sizeof(w->msg),
                             "cannot read directory: %s", strerror(eno));
                    entry(w, e, 1, eno == EACCES ? VG_EACCES : VG_EIO);
                    return VG_OK;
                }
                continue;
            }
            if (S_ISLNK(st.st_mode) &&
                (stat(w->cur, &st) != 0 || !S_ISREG(st.st_mode)))
                continue;
            if (!S_ISREG(st.st_mode))
                continue; /* fifos, sockets, devices */
            entry(w, e, 1, VG_OK);
            return VG_OK;
        }
        if (w->next_root >= w->nroots)
            return VG_ENOENT;
        const char *root = w->roots[w->next_root++];
        if ((rc = set_cur(w, root, NULL)))
            return rc;
        if (strcmp(root, "-") != 0 && stat(root, &st) == 0 &&
            S_ISDIR(st.st_mode)) {
            if ((rc = push_dir(w, root, &eno)) == VG_ENOMEM)
                return rc;
            if (rc) {
                snprintf(w->msg, sizeof(w->msg), "cannot read directory: %s",
                         strerror(eno));
                entry(w, e, 0, eno == EACCES ? VG_EACCES : VG_EIO);
                return VG_OK;
            }
            continue;
        }
        entry(w, e, 0, VG_OK);
        return VG_OK;
    }
}
