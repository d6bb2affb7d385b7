// AVX2 level of the int8 block product: vpmaddwd (int16 pairs → int32) and vpaddd accumulate each block's sum.
#include "CKernels.h"

#define Q8_TARGET __attribute__((target("avx2,fma")))
#define Q8_NAME mg_q8_gemm_avx2
#define Q8_MADD_ACC(acc, w, x) _mm256_add_epi32((acc), _mm256_madd_epi16((w), (x)))
#include "q8_gemm_ymm.inc"

// The interleaved activation groups of one panel; the AVX-VNNI level includes the same code, so one size serves both.
int64_t mg_q8_gemm_scratch(int64_t blocks, int64_t xrows) {
    if (xrows < MG_Q8_LANE_MIN_ROWS) return 0;
    const int64_t groups = (xrows + 7) / 8 < q8_panel_groups ? (xrows + 7) / 8 : q8_panel_groups;
    return groups * q8_lanes_bytes(blocks) / (int64_t)sizeof(float);
}
