// AVX-VNNI level of the int8 block product: one VEX vpdpbusd (u8·s8, four products summed into int32) replaces
// AVX2's vpmaddubsw + vpmaddwd pair.
#include "CKernels.h"

#define Q8_TARGET __attribute__((target("avx2,fma,avxvnni")))
#define Q8_NAME mg_q8_gemm_avxvnni
#define Q8_BLOCK_DOT(aw, sx) _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), (aw), (sx))
#include "q8_gemm_ymm.inc"
