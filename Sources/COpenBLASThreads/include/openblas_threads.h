#ifndef MG_OPENBLAS_THREADS_H
#define MG_OPENBLAS_THREADS_H

/// The number of threads OpenBLAS uses for one call: 1 once this library's constructor has run.
int mg_openblas_thread_count(void);

#endif
