// AVX2 level of the int8 block product: vpmaddwd (int16 pairs → int32) and vpaddd accumulate each block's sum.
#include "CKernels.h"

#define Q8_TARGET __attribute__((target("avx2,fma")))
#define Q8_NAME mg_q8_gemm_avx2
#define Q8_MADD_ACC(acc, w, x) _mm256_add_epi32((acc), _mm256_madd_epi16((w), (x)))
#include "q8_gemm_ymm.inc"
