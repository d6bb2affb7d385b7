// AVX-VNNI level of the int8 block product: VEX vpdpwssd (int16 pairs summed into int32) fuses AVX2's vpmaddwd and
// the add; the int32 lanes hold the same exact sums.
#include "CKernels.h"

#define Q8_TARGET __attribute__((target("avx2,fma,avxvnni")))
#define Q8_NAME mg_q8_gemm_avxvnni
#define Q8_BLOCK_DOT(wlo, whi, xlo, xhi) \
    _mm256_dpwssd_avx_epi32(_mm256_dpwssd_avx_epi32(_mm256_setzero_si256(), (wlo), (xlo)), (whi), (xhi))
#include "q8_gemm_ymm.inc"
