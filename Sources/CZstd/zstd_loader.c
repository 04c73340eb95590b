// Binds the few zstd functions Sluice needs from the system's libzstd.so.1 at run time.
// Debian ships the runtime library on every system but its headers only in libzstd-dev; loading it
// with dlopen keeps `swift build` working on a fresh machine with no extra packages.
#include "CZstd.h"

#include <dlfcn.h>
#include <pthread.h>

typedef struct { const void *src; size_t size; size_t pos; } in_buffer;
typedef struct { void *dst; size_t size; size_t pos; } out_buffer;

static void *(*p_create_dstream)(void);
static size_t (*p_free_dstream)(void *);
static size_t (*p_init_dstream)(void *);
static size_t (*p_decompress_stream)(void *, out_buffer *, in_buffer *);
static unsigned (*p_is_error)(size_t);
static size_t (*p_compress_bound)(size_t);
static size_t (*p_compress)(void *, size_t, const void *, size_t, int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded = 0;

static void load(void) {
    void *lib = dlopen("libzstd.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libzstd.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return;
    p_create_dstream = (void *(*)(void))dlsym(lib, "ZSTD_createDStream");
    p_free_dstream = (size_t(*)(void *))dlsym(lib, "ZSTD_freeDStream");
    p_init_dstream = (size_t(*)(void *))dlsym(lib, "ZSTD_initDStream");
    p_decompress_stream = (size_t(*)(void *, out_buffer *, in_buffer *))dlsym(lib, "ZSTD_decompressStream");
    p_is_error = (unsigned (*)(size_t))dlsym(lib, "ZSTD_isError");
    p_compress_bound = (size_t(*)(size_t))dlsym(lib, "ZSTD_compressBound");
    p_compress = (size_t(*)(void *, size_t, const void *, size_t, int))dlsym(lib, "ZSTD_compress");
    loaded = p_create_dstream && p_free_dstream && p_init_dstream && p_decompress_stream && p_is_error &&
             p_compress_bound && p_compress;
}

int sluice_zstd_available(void) {
    pthread_once(&once, load);
    return loaded;
}

void *sluice_zstd_dctx_create(void) {
    if (!sluice_zstd_available()) return NULL;
    void *ctx = p_create_dstream();
    if (ctx && p_is_error(p_init_dstream(ctx))) {
        p_free_dstream(ctx);
        return NULL;
    }
    return ctx;
}

void sluice_zstd_dctx_free(void *ctx) {
    if (ctx && sluice_zstd_available()) p_free_dstream(ctx);
}

long sluice_zstd_decompress_stream(void *ctx, const void *src, size_t src_len, size_t *src_pos,
                                   void *dst, size_t dst_cap, size_t *dst_pos) {
    if (!ctx || !sluice_zstd_available()) return -1;
    in_buffer in = {src, src_len, *src_pos};
    out_buffer out = {dst, dst_cap, *dst_pos};
    size_t r = p_decompress_stream(ctx, &out, &in);
    *src_pos = in.pos;
    *dst_pos = out.pos;
    if (p_is_error(r)) return -1;
    return (long)r;
}

size_t sluice_zstd_compress_bound(size_t src_len) {
    return sluice_zstd_available() ? p_compress_bound(src_len) : 0;
}

size_t sluice_zstd_compress(void *dst, size_t dst_cap, const void *src, size_t src_len, int level) {
    if (!sluice_zstd_available()) return 0;
    size_t r = p_compress(dst, dst_cap, src, src_len, level);
    return p_is_error(r) ? 0 : r;
}
