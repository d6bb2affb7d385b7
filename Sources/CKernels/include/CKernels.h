// C kernels for Quant: the int8 block dot products need instructions Swift's SIMD types cannot emit
// (vpmaddubsw, vpdpbusd), and CPU feature detection needs cpuid. Swift sees only this header.
#ifndef MERGEGUARD_CKERNELS_H
#define MERGEGUARD_CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Values per int8 block; one f32 scale and one f32 offset per weight block.
#define MG_Q8_BLOCK 32

/// Bits returned by mg_cpu_features: an instruction set counts only when the OS also saves its registers.
enum {
    MG_CPU_AVX2 = 1 << 0,        // AVX2 + FMA
    MG_CPU_AVXVNNI = 1 << 1,     // AVX-VNNI (VEX vpdpbusd on ymm), plus AVX2 + FMA
    MG_CPU_AVX512VNNI = 1 << 2,  // AVX-512 F + BW + VNNI (EVEX vpdpbusd on zmm)
    MG_CPU_F16C = 1 << 3,        // vcvtph2ps / vcvtps2ph (f16 KV caches)
};

int32_t mg_cpu_features(void);

/// A spin-wait hint (x86 `pause`): lets the sibling hyper-thread run and saves power while a pool thread polls.
static inline void mg_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// Weight quantization, per block of MG_Q8_BLOCK values: w ≈ scale · q + offset with q in [-127, 127].
/// When a block's values lie on an evenly spaced grid of at most 255 points (every block dequantized from Q4_0/1,
/// Q5_0/1, Q8_0 and the 32-value sub-blocks of Q4_K/Q5_K does), the grid's step and a grid point are taken as
/// scale and offset and the block is stored exactly; otherwise it is rounded to a grid of 253 steps over its range,
/// shifted per block (q8_quantize.c), at most half a step off. A constant block gets scale 0.
/// Scales and offsets are written at mg_q8_param_index; their tables must hold rows rounded up to MG_Q8_ROW_GROUP.
void mg_q8_quantize_weights(const float *w, int64_t rows, int64_t cols, int8_t *q, float *scales, float *offsets);

/// Activation quantization, per block: scale = max|x| / 32767, q = round-half-even(x / scale) in int16, and the
/// block's f32 sum (which the weights' offset multiplies). int16 because int8 activations were half of the
/// int8 model's logit error on SmolLM2 (BENCHMARKS.md, quality section); int8 · int16 products cost the same
/// instruction count as int8 · int8 ones on AVX2 (vpmaddwd instead of vpmaddubsw + vpmaddwd).
void mg_q8_quantize_activations(const float *x, int64_t rows, int64_t cols, int16_t *q, float *scales, float *sums);

/// Rows per group of the weights' values and of their scale and offset tables (see mg_q8_weights).
#define MG_Q8_ROW_GROUP 8

/// Activation rows from which the ymm int8 levels put activation rows in vector lanes (compute-bound batches and
/// prefill); below it they put weight rows there, one activation row at a time (memory-bound single-stream decode).
/// Fewer rows leave too many lanes empty (one core, 1536×576: 4 rows cost 1.37 ns per pair there against 1.13-1.18
/// row by row, 2 rows ~3 against ~1.2; at 5 rows the two are equal).
#define MG_Q8_LANE_MIN_ROWS 5

/// Where row `row`'s value for block `block` sits in a weight scale or offset table with `blocks` blocks per row:
/// rows in groups of MG_Q8_ROW_GROUP, each group block-major, so one block's values of a group's rows are one
/// contiguous vector (the kernels that put weight rows in vector lanes load it directly instead of transposing).
/// Tables hold whole groups (rows rounded up to a multiple of MG_Q8_ROW_GROUP, padding zero), so a view that
/// starts at a group boundary `first` starts at first · blocks, as a row-major table would.
static inline int64_t mg_q8_param_index(int64_t row, int64_t block, int64_t blocks) {
    return (row / MG_Q8_ROW_GROUP) * MG_Q8_ROW_GROUP * blocks + block * MG_Q8_ROW_GROUP + row % MG_Q8_ROW_GROUP;
}

/// Where row `row`'s 32 values of block `block` start in a weight value array: the same grouping as the tables, so
/// a group's block b is 8 · 32 contiguous bytes (row 0's block, row 1's, …) and a whole matrix is one sequential
/// stream. With rows kept apart, the decode kernels read 8 streams at a time and one core streamed ~12 GB/s from
/// DRAM against ~19 GB/s for the grouped layout (single-core harness, AMD EPYC Zen 3; BENCHMARKS.md). Values hold
/// whole groups too (padding rows zero), so a view starting at group boundary `first` starts at first · blocks · 32.
static inline int64_t mg_q8_value_offset(int64_t row, int64_t block, int64_t blocks) {
    return mg_q8_param_index(row, block, blocks) * MG_Q8_BLOCK;
}

/// Quantized weights: row `row`'s block `block` of values at q + mg_q8_value_offset(row, block, blocks), its scale
/// and offset at mg_q8_param_index(row, block, blocks).
/// A view of rows [first, …) must start at a multiple of MG_Q8_ROW_GROUP.
typedef struct {
    const int8_t *q;
    const float *scales;
    const float *offsets;
} mg_q8_weights;

/// Quantized activations: q (rows, blocks·32), scales and sums (rows, blocks).
typedef struct {
    const int16_t *q;
    const float *scales;
    const float *sums;
} mg_q8_activations;

/// y[i * ldy + j] = Σ_b ( ws[j,b] · xs[i,b] · Σ_k wq[j,b,k] · xq[i,b,k]  +  wo[j,b] · xsum[i,b] )
/// for i < xrows (activation rows) and j < wrows (weight rows), both with `blocks` blocks per row; that is
/// Σ_k (ws·wq + wo) · (xs·xq) with the offset term taken on the exact activation sums.
/// The per-block integer dot is exact in int32 (|Σ| ≤ 32 · 127 · 32767 < 2³¹). The scalar, AVX2 and AVX-VNNI levels
/// all sum in the same order (per block: acc = fma(f32(dot), ws·xs, acc), then acc = fma(wo, xsum, acc)), so they
/// give the same bits, and a row's result never depends on which other rows share the call.
/// Every level has the same signature so Swift dispatches through one function pointer. `scratch` (64-byte aligned)
/// needs mg_q8_gemm_scratch(blocks, xrows) floats; the ymm levels interleave activation rows there, the others
/// ignore it.
typedef void (*mg_q8_gemm_fn)(mg_q8_weights w, mg_q8_activations x, int64_t blocks, int64_t xrows, int64_t wrows,
                              float *y, int64_t ldy, float *scratch);

int64_t mg_q8_gemm_scratch(int64_t blocks, int64_t xrows);

void mg_q8_gemm_scalar(mg_q8_weights w, mg_q8_activations x, int64_t blocks, int64_t xrows, int64_t wrows,
                       float *y, int64_t ldy, float *scratch);
void mg_q8_gemm_avx2(mg_q8_weights w, mg_q8_activations x, int64_t blocks, int64_t xrows, int64_t wrows,
                     float *y, int64_t ldy, float *scratch);
void mg_q8_gemm_avxvnni(mg_q8_weights w, mg_q8_activations x, int64_t blocks, int64_t xrows, int64_t wrows,
                        float *y, int64_t ldy, float *scratch);
void mg_q8_gemm_avx512vnni(mg_q8_weights w, mg_q8_activations x, int64_t blocks, int64_t xrows, int64_t wrows,
                           float *y, int64_t ldy, float *scratch);

/// Decode attention of `heads` query heads that share one key/value head (query head g at q + g·head_dim) over
/// `positions` cached key and value rows (row i at keys/values + i·stride elements; f16 elements when kv_f16, else
/// f32): scores_g = softmax(q_g·kᵢ · scale) into scores + g·positions, out_g = Σ scores_gᵢ·vᵢ into out + g·head_dim.
/// The baseline kernel is bit-identical per head to the Swift reference (F32.dot / softmax / axpy) on the cache
/// widened to f32; the avx2 twin (needs MG_CPU_AVX2, which includes FMA, and MG_CPU_F16C) reads each cached row
/// once for up to three heads and differs from it in the last bits (fused multiply-adds, a vectorized exp).
void mg_attention_decode_heads(const float *q, int64_t heads, const void *keys, const void *values, int32_t kv_f16,
                               int64_t positions, int64_t stride, int64_t head_dim, float scale, float *scores,
                               float *out);
void mg_attention_decode_heads_avx2(const float *q, int64_t heads, const void *keys, const void *values,
                                    int32_t kv_f16, int64_t positions, int64_t stride, int64_t head_dim, float scale,
                                    float *scores, float *out);

/// One part of a decode attention split by position, for the heads above over `positions` rows (the part's): scores
/// and m_g = max_i s_gi into maxima[g], sums[g] = Σ_i exp(s_gi - m_g), and out_g = Σ_i exp(s_gi - m_g)·vᵢ (not
/// divided by the sum). Parts combine as out = Σ_c out_c·exp(m_c - M) / Σ_c sums_c·exp(m_c - M), M = max_c m_c.
/// Same requirements and arithmetic as mg_attention_decode_heads_avx2 but for the division.
void mg_attention_decode_part_avx2(const float *q, int64_t heads, const void *keys, const void *values,
                                   int32_t kv_f16, int64_t positions, int64_t stride, int64_t head_dim, float scale,
                                   float *scores, float *out, float *maxima, float *sums);

/// gate[i] = gate[i] / (1 + exp(-gate[i])) · up[i] for i < n, as F32.swiGLU computes it, with the exponential
/// evaluated in double and rounded to f32 (equal to expf but for rare one-ulp differences). Needs MG_CPU_AVX2.
void mg_swiglu_avx2(float *gate, const float *up, int64_t n);

/// dst[i] = f16 of src[i], rounding to nearest even (the bits of Swift's Float16(x) for every non-NaN value). Needs
/// MG_CPU_F16C.
void mg_f32_to_f16_f16c(const float *src, uint16_t *dst, int64_t n);

/// Causal attention of `rows` consecutive query rows of one head (row i at q + i·q_stride) over cached keys and
/// values (position p of the head at keys/values + p·kv_stride elements; f16 elements when kv_f16, else f32): row i
/// sees positions 0 ..< first_visible + i. out row i (at out + i·out_stride, head_dim values) =
/// softmax(q_i·Kᵀ · scale) · V. Blocked products with fused multiply-adds, so results differ from the decode kernel
/// in the last bits (prefill has no bit-exact reference). `scratch` needs mg_attention_prefill_scratch(...) floats.
/// The avx2 twin needs MG_CPU_AVX2 and MG_CPU_F16C.
int64_t mg_attention_prefill_scratch(int64_t rows, int64_t first_visible, int64_t head_dim);
void mg_attention_prefill_head(const float *q, int64_t q_stride, const void *keys, const void *values, int32_t kv_f16,
                               int64_t kv_stride, int64_t head_dim, int64_t rows, int64_t first_visible, float scale,
                               float *scratch, float *out, int64_t out_stride);
void mg_attention_prefill_head_avx2(const float *q, int64_t q_stride, const void *keys, const void *values,
                                    int32_t kv_f16, int64_t kv_stride, int64_t head_dim, int64_t rows,
                                    int64_t first_visible, float scale, float *scratch, float *out,
                                    int64_t out_stride);

/// The sampling softmax's numerators: probabilities[i·stride] = e^(logits[i·stride] − max_logit) for i < n (about
/// 2 ulp; exactly 0 below e^-87), returning their sum in double. Logits at most max_logit. Needs MG_CPU_AVX2.
double mg_candidate_exponentials_avx2(const float *logits, float *probabilities, int64_t stride, int64_t n,
                                      float max_logit);

#ifdef __cplusplus
}
#endif

#endif
