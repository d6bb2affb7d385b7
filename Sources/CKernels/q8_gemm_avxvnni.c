// AVX-VNNI level of the int8 block product: VEX vpdpwssd (int16 pairs summed into int32) fuses AVX2's vpmaddwd and
// the add; the int32 lanes hold the same exact sums, so the outputs are AVX2's bits.
#include "CKernels.h"

#define Q8_TARGET __attribute__((target("avx2,fma,avxvnni")))
#define Q8_NAME mg_q8_gemm_avxvnni
#define Q8_MADD_ACC(acc, w, x) _mm256_dpwssd_avx_epi32((acc), (w), (x))
#include "q8_gemm_ymm.inc"
