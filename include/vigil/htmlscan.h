/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Link and media extraction from HTML (module `crawl`), without a tree: a
 * streaming scanner that follows the WHATWG HTML tokenizer (its states,
 * character references, attribute handling, the raw-text elements script,
 * style, textarea, title, xmp, iframe, noembed, noframes, plaintext) with
 * fixed caps, so hostile markup (deep nesting, huge attributes, NUL bytes,
 * junk) costs linear time and bounded memory and never loses a link that
 * a browser would see.
 *
 * Reported (raw URL text after character-reference decoding and HTML
 * whitespace trimming; not resolved; the caller resolves against the
 * document URL or the base):
 *   page links:  a[href], area[href], iframe[src], frame[src]
 *   media:       img[src], img[srcset] (each candidate URL),
 *                picture > source[srcset] and source[src] (any source),
 *                video[poster], video > source[src] (any source[src]),
 *                meta[property="og:image"][content] (also og:image:url,
 *                og:image:secure_url), link[rel~="image_src"][href],
 *                url(...) in any element's style attribute
 *   base:        the first base[href] (later ones are ignored, as browsers
 *                do)
 * Thread safety: a scanner belongs to one thread.
 */
#ifndef VIGIL_HTMLSCAN_H
#define VIGIL_HTMLSCAN_H

#include <stddef.h>

#include "vigil/error.h"

enum vg_html_link_kind {
    VG_HTML_PAGE = 0, /* a document to crawl */
    VG_HTML_MEDIA,    /* an image or video to hash */
    VG_HTML_BASE      /* the document's base URL */
};

struct vg_html_link {
    enum vg_html_link_kind kind;
    const char *url; /* NUL-terminated (url[len] == 0) */
    size_t len;
    const char *tag;  /* lowercase element name, e.g. "img" */
    const char *attr; /* lowercase attribute name, e.g. "srcset", or "style" */
};

struct vg_html_limits {
    size_t max_attr_value; /* longer values are dropped; 0 = 8192 */
    unsigned max_attrs;    /* attributes kept per tag; 0 = 256 */
    size_t max_links;      /* links reported per document; 0 = 100000 */
};

/* Called per link; strings valid during the call.  Non-VG_OK stops. */
typedef int (*vg_html_link_cb)(void *ctx, const struct vg_html_link *l);

struct vg_html_scanner;

/* lim may be NULL (defaults).  VG_OK or VG_ENOMEM. */
int vg_html_scanner_new(const struct vg_html_limits *lim, vg_html_link_cb cb,
                        void *ctx, struct vg_html_scanner **out);
/*
 * Feed the next len bytes of the document (any chunking gives the same
 * links).  Returns VG_OK, a callback's code, or VG_ENOMEM.
 */
int vg_html_scan(struct vg_html_scanner *s, const char *data, size_t len);
/* End of document.  A tag cut off by the end is dropped, as the WHATWG
 * tokenizer does, so this reports nothing more; it returns VG_OK. */
int vg_html_finish(struct vg_html_scanner *s);
/* Links reported so far, and whether max_links cut the document short. */
size_t vg_html_links_seen(const struct vg_html_scanner *s, int *truncated);
void vg_html_scanner_free(struct vg_html_scanner *s);

#endif
