/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Walk command-line paths: a file is yielded as given; a directory is walked
 * recursively, entries in byte order of their names, yielding regular files
 * (and symbolic links to regular files; links to directories are not
 * followed, so there are no loops).  An unreadable directory is yielded with
 * its error so the caller can report it and go on.
 * Thread safety: one walker per thread.
 */
#ifndef VIGIL_WALK_H
#define VIGIL_WALK_H

#include "vigil/error.h"

struct vg_walk;

/* roots (borrowed for the walker's life), nroots of them. */
int vg_walk_new(char *const *roots, int nroots, struct vg_walk **out);
void vg_walk_free(struct vg_walk *w);

struct vg_walk_entry {
    const char *path; /* borrowed until the next call */
    int from_dir;     /* found by walking a directory (not named) */
    int error;        /* VG_OK, or why this path could not be walked */
    const char *error_msg;
};

/* Next entry: VG_OK, or VG_ENOENT when the walk is over, or VG_ENOMEM. */
int vg_walk_next(struct vg_walk *w, struct vg_walk_entry *e);

#endif
