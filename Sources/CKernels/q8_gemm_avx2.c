// AVX2 level of the int8 block product: vpmaddwd (int16 pairs → int32) on sign-extended weights and int16 activations.
#include "CKernels.h"

#define Q8_TARGET __attribute__((target("avx2,fma")))
#define Q8_NAME mg_q8_gemm_avx2
#define Q8_BLOCK_DOT(wlo, whi, xlo, xhi) \
    _mm256_add_epi32(_mm256_madd_epi16((wlo), (xlo)), _mm256_madd_epi16((whi), (xhi)))
#include "q8_gemm_ymm.inc"
