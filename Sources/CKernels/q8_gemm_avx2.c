// AVX2 level of the int8 block product: vpmaddubsw (u8·s8 → pairs in int16) then vpmaddwd by ones (→ int32).
#include "CKernels.h"

#define Q8_TARGET __attribute__((target("avx2,fma")))
#define Q8_NAME mg_q8_gemm_avx2
#define Q8_BLOCK_DOT(aw, sx) _mm256_madd_epi16(_mm256_maddubs_epi16((aw), (sx)), _mm256_set1_epi16(1))
#include "q8_gemm_ymm.inc"
