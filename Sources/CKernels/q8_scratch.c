// Per-thread scratch for the int8 kernels (interleaved activation rows): grown when a call needs more, kept for the
// thread's next calls, freed when the thread exits.
#include "CKernels.h"
#include <pthread.h>
#include <stdlib.h>

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static __thread void *scratch;
static __thread int64_t scratch_bytes;

static void make_key(void) { pthread_key_create(&scratch_key, free); }

void *mg_q8_thread_scratch(int64_t bytes) {
    if (bytes <= scratch_bytes) return scratch;
    pthread_once(&scratch_once, make_key);
    free(scratch);
    // Rounded up to whole 64-byte lines (aligned_alloc needs a multiple of the alignment), with room to spare so a
    // slightly larger call does not reallocate again.
    const int64_t size = (bytes + bytes / 4 + 63) / 64 * 64;
    scratch = aligned_alloc(64, (size_t)size);
    if (!scratch) abort();
    scratch_bytes = size;
    pthread_setspecific(scratch_key, scratch);
    return scratch;
}
