// jemalloc's compiled-in options for the mergeguard executable (read once, at jemalloc's start-up; the MALLOC_CONF
// environment variable still overrides them).
//
// thp:always — jemalloc asks for transparent huge pages on its memory. This kernel's THP mode is "madvise", so
// without it the int8 weights (~280 MB, allocated as many 0.3-0.9 MB matrices) sit on 4 KB pages and decode, which
// streams every weight byte per token, pays a TLB miss every 4 KB. Measured with `mergeguard bench --prompt 512
// --tokens 128`, alternated 4 times on an idle AMD EPYC: decode 65-75 → 75-89 tokens/s (median +16%), prefill
// unchanged, peak RSS 366 → 390 MB.
#include "malloc_options.h"

const char *malloc_conf = "thp:always";
