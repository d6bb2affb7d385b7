// C kernels for Quant: the int8 block dot products need instructions Swift's SIMD types cannot emit
// (vpmaddubsw, vpdpbusd), and CPU feature detection needs cpuid. Swift sees only this header.
#ifndef MERGEGUARD_CKERNELS_H
#define MERGEGUARD_CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Values per int8 block; one f32 scale per block.
#define MG_Q8_BLOCK 32

/// Bits returned by mg_cpu_features: an instruction set counts only when the OS also saves its registers.
enum {
    MG_CPU_AVX2 = 1 << 0,        // AVX2 + FMA
    MG_CPU_AVXVNNI = 1 << 1,     // AVX-VNNI (VEX vpdpbusd on ymm), plus AVX2 + FMA
    MG_CPU_AVX512VNNI = 1 << 2,  // AVX-512 F + BW + VNNI (EVEX vpdpbusd on zmm)
};

int32_t mg_cpu_features(void);

/// A spin-wait hint (x86 `pause`): lets the sibling hyper-thread run and saves power while a pool thread polls.
static inline void mg_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// Symmetric per-block quantization of `rows` rows of `cols` floats (cols a multiple of MG_Q8_BLOCK):
/// scale = max|x| / 127 per block, q = round-half-even(x / scale) in [-127, 127] (never -128, so |q| fits u8
/// and the sign trick cannot overflow). An all-zero block gets scale 0 and zero values.
void mg_q8_quantize(const float *x, int64_t rows, int64_t cols, int8_t *q, float *scales);

/// y[i * ldy + j] = Σ_b ws[j, b] · xs[i, b] · Σ_k w[j, b, k] · x[i, b, k]
/// for i < xrows (activation rows) and j < wrows (weight rows), both with `blocks` blocks per row:
/// w is (wrows, blocks·32) int8 with scales ws (wrows, blocks); x is (xrows, blocks·32) with scales xs (xrows, blocks).
/// Every level has the same signature so Swift dispatches through one function pointer.
typedef void (*mg_q8_gemm_fn)(const int8_t *w, const float *ws, const int8_t *x, const float *xs,
                              int64_t blocks, int64_t xrows, int64_t wrows, float *y, int64_t ldy);

void mg_q8_gemm_scalar(const int8_t *w, const float *ws, const int8_t *x, const float *xs,
                       int64_t blocks, int64_t xrows, int64_t wrows, float *y, int64_t ldy);
void mg_q8_gemm_avx2(const int8_t *w, const float *ws, const int8_t *x, const float *xs,
                     int64_t blocks, int64_t xrows, int64_t wrows, float *y, int64_t ldy);
void mg_q8_gemm_avxvnni(const int8_t *w, const float *ws, const int8_t *x, const float *xs,
                        int64_t blocks, int64_t xrows, int64_t wrows, float *y, int64_t ldy);
void mg_q8_gemm_avx512vnni(const int8_t *w, const float *ws, const int8_t *x, const float *xs,
                           int64_t blocks, int64_t xrows, int64_t wrows, float *y, int64_t ldy);

/// Decode attention of one query head q (head_dim) over `positions` cached key and value rows (row i of a head at
/// keys + i·stride): scores = softmax(q·kᵢ · scale) into `scores` (positions), out = Σ scoresᵢ·vᵢ (head_dim).
/// Bit-identical to the Swift reference (F32.dot / softmax / axpy); the avx2 twin needs MG_CPU_AVX2.
void mg_attention_decode_head(const float *q, const float *keys, const float *values, int64_t positions,
                              int64_t stride, int64_t head_dim, float scale, float *scores, float *out);
void mg_attention_decode_head_avx2(const float *q, const float *keys, const float *values, int64_t positions,
                                   int64_t stride, int64_t head_dim, float scale, float *scores, float *out);

#ifdef __cplusplus
}
#endif

#endif
