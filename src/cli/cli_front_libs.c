/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The front binary's (cli_front.c) PNG, WebP and GIF decoders, loaded on
 * first use.  Most files people hash are JPEGs; loading libspng (with
 * zlib), libwebp and libgif at every start cost about a quarter of a
 * millisecond, a quarter of djpeg's whole run on a small file.  These
 * stubs carry the names src/media calls; the first call into a library
 * opens it (pthread_once per library, so any thread may be first) and
 * every call goes through the function it found.  A library that cannot be
 * loaded ends the process with status 127 and a message, as the dynamic
 * loader does for a missing library at start.  vigil-core and the tests
 * link the libraries themselves and do not use this file.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gif_lib.h>
#include <spng.h>
#include <webp/decode.h>

struct lazylib {
    const char *soname;
    const char *const *names;
    void **fns;
    unsigned n;
};

static void lazy_load(struct lazylib *l)
{
    void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);

    for (unsigned i = 0; h && i < l->n; i++)
        if (!(l->fns[i] = dlsym(h, l->names[i]))) {
            fprintf(stderr, "vigil: %s: no symbol %s\n", l->soname,
                    l->names[i]);
            _exit(127);
        }
    if (!h) {
        fprintf(stderr, "vigil: cannot load %s: %s\n", l->soname, dlerror());
        _exit(127);
    }
}

/* A library's table: its names, pointers, once and loader. */
#define LAZYLIB(lib, soname, ...)                                             \
    static const char *const lib##_names[] = {__VA_ARGS__};                   \
    static void *lib##_fns[sizeof(lib##_names) / sizeof(lib##_names[0])];     \
    static struct lazylib lib##_lib = {soname, lib##_names, lib##_fns,        \
                                       sizeof(lib##_names) /                  \
                                           sizeof(lib##_names[0])};           \
    static pthread_once_t lib##_once = PTHREAD_ONCE_INIT;                     \
    static void lib##_load(void)                                              \
    {                                                                         \
        lazy_load(&lib##_lib);                                                \
    }

/* f = the library's i-th function (its bytes: ISO C has no cast from a
   data pointer to a function pointer). */
#define LAZYFN(lib, i, f)                                                     \
    do {                                                                      \
        pthread_once(&lib##_once, lib##_load);                                \
        memcpy(&(f), &lib##_fns[i], sizeof(f));                               \
    } while (0)

#define STUB(lib, i, ret, name, params, args)                                 \
    ret name params                                                           \
    {                                                                         \
        ret(*f_) params;                                                      \
        LAZYFN(lib, i, f_);                                                   \
        return f_ args;                                                       \
    }
#define VSTUB(lib, i, name, params, args)                                     \
    void name params                                                          \
    {                                                                         \
        void(*f_) params;                                                     \
        LAZYFN(lib, i, f_);                                                   \
        f_ args;                                                              \
    }

/* ---- libspng ---- */
LAZYLIB(spng, VG_SONAME_SPNG, "spng_ctx_new2", "spng_ctx_free",
        "spng_decode_image", "spng_decode_row", "spng_decoded_image_size",
        "spng_get_ihdr", "spng_get_row_info", "spng_set_chunk_limits",
        "spng_set_image_limits", "spng_set_png_stream", "spng_strerror")
STUB(spng, 0, spng_ctx *, spng_ctx_new2, (struct spng_alloc * a, int fl),
     (a, fl))
VSTUB(spng, 1, spng_ctx_free, (spng_ctx * c), (c))
STUB(spng, 2, int, spng_decode_image,
     (spng_ctx * c, void *out, size_t len, int fmt, int fl),
     (c, out, len, fmt, fl))
STUB(spng, 3, int, spng_decode_row, (spng_ctx * c, void *out, size_t len),
     (c, out, len))
STUB(spng, 4, int, spng_decoded_image_size,
     (spng_ctx * c, int fmt, size_t *len), (c, fmt, len))
STUB(spng, 5, int, spng_get_ihdr, (spng_ctx * c, struct spng_ihdr *h), (c, h))
STUB(spng, 6, int, spng_get_row_info, (spng_ctx * c, struct spng_row_info *r),
     (c, r))
STUB(spng, 7, int, spng_set_chunk_limits,
     (spng_ctx * c, size_t chunk, size_t cache), (c, chunk, cache))
STUB(spng, 8, int, spng_set_image_limits,
     (spng_ctx * c, uint32_t w, uint32_t h), (c, w, h))
STUB(spng, 9, int, spng_set_png_stream,
     (spng_ctx * c, spng_rw_fn *fn, void *user), (c, fn, user))
STUB(spng, 10, const char *, spng_strerror, (int e), (e))

/* ---- libwebp ---- */
LAZYLIB(webp, VG_SONAME_WEBP, "WebPFreeDecBuffer", "WebPGetFeaturesInternal",
        "WebPIDecGetRGB", "WebPIDecode", "WebPIDelete", "WebPIUpdate",
        "WebPInitDecoderConfigInternal")
VSTUB(webp, 0, WebPFreeDecBuffer, (WebPDecBuffer * b), (b))
STUB(webp, 1, VP8StatusCode, WebPGetFeaturesInternal,
     (const uint8_t *d, size_t n, WebPBitstreamFeatures *f, int v),
     (d, n, f, v))
STUB(webp, 2, uint8_t *, WebPIDecGetRGB,
     (const WebPIDecoder *i, int *last_y, int *w, int *h, int *stride),
     (i, last_y, w, h, stride))
STUB(webp, 3, WebPIDecoder *, WebPIDecode,
     (const uint8_t *d, size_t n, WebPDecoderConfig *c), (d, n, c))
VSTUB(webp, 4, WebPIDelete, (WebPIDecoder * i), (i))
STUB(webp, 5, VP8StatusCode, WebPIUpdate,
     (WebPIDecoder * i, const uint8_t *d, size_t n), (i, d, n))
STUB(webp, 6, int, WebPInitDecoderConfigInternal,
     (WebPDecoderConfig * c, int v), (c, v))

/* ---- libgif ---- */
LAZYLIB(gif, VG_SONAME_GIF, "DGifOpen", "DGifCloseFile", "DGifGetExtension",
        "DGifGetExtensionNext", "DGifGetImageDesc", "DGifGetLine",
        "DGifGetRecordType", "GifErrorString")
STUB(gif, 0, GifFileType *, DGifOpen, (void *user, InputFunc fn, int *err),
     (user, fn, err))
STUB(gif, 1, int, DGifCloseFile, (GifFileType * g, int *err), (g, err))
STUB(gif, 2, int, DGifGetExtension,
     (GifFileType * g, int *code, GifByteType **ext), (g, code, ext))
STUB(gif, 3, int, DGifGetExtensionNext, (GifFileType * g, GifByteType **ext),
     (g, ext))
STUB(gif, 4, int, DGifGetImageDesc, (GifFileType * g), (g))
STUB(gif, 5, int, DGifGetLine, (GifFileType * g, GifPixelType *line, int n),
     (g, line, n))
STUB(gif, 6, int, DGifGetRecordType, (GifFileType * g, GifRecordType *t),
     (g, t))
STUB(gif, 7, const char *, GifErrorString, (int e), (e))
