// OpenBLAS runs on the thread that calls it; MergeGuard never lets it start worker threads of its own.
//
// Why: MergeGuard already spreads merges and the f32 reference forward pass over its own workers, so OpenBLAS's pool
// only oversubscribes the cores. Worse, the pool can hang the process at exit: Debian's OpenBLAS 0.3.21 joins its
// workers from a library destructor, and once (in the test suite, 2026-12-06) a worker sat in pthread_cond_wait while
// exit() waited on pthread_join forever. The pthread build starts its workers in its own constructor, before main, so
// the only way to be rid of them is to stop them here, microseconds after they start (long before any of them goes to
// sleep, which is where a wake-up can be missed), with the thread count set to one first so no BLAS call restarts them.
#include "openblas_threads.h"

// Exported by the pthread and OpenMP builds of libopenblas.so.0 (not all declared in its headers). Weak, so a
// single-threaded OpenBLAS chosen through Debian's alternatives, which may lack them, still loads.
extern void openblas_set_num_threads(int count) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));

__attribute__((constructor)) static void mg_openblas_on_calling_thread(void) {
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    if (blas_thread_shutdown_) blas_thread_shutdown_();
}

int mg_openblas_thread_count(void) { return openblas_get_num_threads ? openblas_get_num_threads() : 1; }
