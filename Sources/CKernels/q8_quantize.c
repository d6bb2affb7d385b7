// The quantizers of the int8 path: weights at load (exact when a block is already on a grid), activations per call.
#include "CKernels.h"
#include <math.h>
#include <string.h>

// Adding and subtracting 1.5·2^23 rounds a float of magnitude < 2^22 to the nearest integer, ties to even, in the
// default rounding mode; unlike nearbyintf it vectorizes on baseline x86-64. Callers keep |v| ≤ 32767.
static inline float round_half_even(float v) {
    const float magic = 12582912.0f;
    return (v + magic) - magic;
}

// A grid counts as exact when no value is further than this fraction of a step from its grid point: the values
// came from f16 scales and minima through f32 arithmetic, so they sit on the grid up to f32 rounding only.
static const float grid_tolerance_in_steps = 1e-3f;
// The step is found as the smallest positive distance between a block value and one of a few reference values
// (the minimum, the maximum and the first grid_references values). That distance is a multiple of the true step
// when the neighbouring levels are absent (measured on SmolLM2: the minimum of a Q4_1 block is often an outlier
// 6 steps below the rest, and Q8_0 blocks use few of their 255 levels), so it is also tried divided by
// 2..max_grid_divisor. With 6 references and divisors up to 8 every block of SmolLM2's Q4_1 matrices and Q8_0
// embedding measured exact (up to 4 divisors from the minimum alone: 93% of Q4_1 and 12% of Q8_0 blocks).
enum { grid_references = 6, max_grid_divisor = 8 };

// The loops below are branch-free with plain comparisons instead of fminf/fmaxf (whose NaN rules keep the compiler
// from vectorizing): load-time quantization was several times slower before.

// Fills q (levels around `center`, clamped to ±127) for step `d` and minimum `lo`, sets offset = lo + center·d, and
// returns the largest distance from a value to its representation offset + q·d.
static float fill_grid(const float *v, float lo, float d, float center, int8_t *q, float *offset) {
    const float inverse = 1.0f / d;
    const float off = lo + center * d;
    *offset = off;
    float worst = 0;
    for (int k = 0; k < MG_Q8_BLOCK; k++) {
        float n = round_half_even((v[k] - off) * inverse);
        n = n > 127.0f ? 127.0f : (n < -127.0f ? -127.0f : n);
        q[k] = (int8_t)n;
        const float e = fabsf(off + n * d - v[k]);
        worst = e > worst ? e : worst;
    }
    return worst;
}

// Eight independent partial minima: one running minimum is a serial chain the compiler may not reorder (float min is
// not associative under its NaN rules), while eight lanes become one vector minimum per step.
static float smallest_gap(const float *v, float reference, float gap) {
    float lane[8];
    for (int l = 0; l < 8; l++) lane[l] = gap;
    for (int k = 0; k < MG_Q8_BLOCK; k += 8) {
        for (int l = 0; l < 8; l++) {
            const float distance = fabsf(v[k + l] - reference);
            const float positive = distance > 0 ? distance : INFINITY;
            lane[l] = positive < lane[l] ? positive : lane[l];
        }
    }
    for (int l = 0; l < 8; l++) gap = lane[l] < gap ? lane[l] : gap;
    return gap;
}

static void quantize_weight_block(const float *v, int8_t *q, float *scale, float *offset) {
    float los[8], his[8];
    for (int l = 0; l < 8; l++) los[l] = his[l] = v[l];
    for (int k = 8; k < MG_Q8_BLOCK; k += 8) {
        for (int l = 0; l < 8; l++) {
            los[l] = v[k + l] < los[l] ? v[k + l] : los[l];
            his[l] = v[k + l] > his[l] ? v[k + l] : his[l];
        }
    }
    float lo = los[0], hi = his[0];
    for (int l = 1; l < 8; l++) {
        lo = los[l] < lo ? los[l] : lo;
        hi = his[l] > hi ? his[l] : hi;
    }
    if (!(hi > lo)) {
        *scale = 0;
        *offset = lo;
        for (int k = 0; k < MG_Q8_BLOCK; k++) q[k] = 0;
        return;
    }
    float gap = smallest_gap(v, hi, smallest_gap(v, lo, hi - lo));
    for (int r = 0; r < grid_references; r++) gap = smallest_gap(v, v[r], gap);
    for (int j = 1; j <= max_grid_divisor; j++) {
        const float d = gap / (float)j;
        const float points = round_half_even((hi - lo) / d);
        if (points > 254.0f) break;
        if (fill_grid(v, lo, d, (float)((int)points / 2), q, offset) <= grid_tolerance_in_steps * d) {
            *scale = d;
            return;
        }
    }
    // No grid: 254 steps over the range, the grid shifted by a per-block fraction u of a step so that the minimum
    // sits at level -126 - u and the maximum at 127 - u; the error is at most half a step. Why the shift: an
    // off-grid block is usually a merge, base + a task vector about a tenth of a step, and the base sits on its own
    // Q4_1 grid of 16 levels. A grid anchored at the block's minimum and maximum lines up with that base grid, and
    // rounding then follows the task vector coherently: on SmolLM2 merges it amplified the task vector by 1.2-1.5×
    // (projection of the quantized delta on the true one), which moved merged models' eval figures 4-18 points
    // away from fp32. With the shift varying between blocks the rounding error averages out to zero over a tensor
    // (measured: 0.99-1.01×, and 8% less RMS error than the anchored grid). u comes from the block's own extremes,
    // so the result depends only on the values, not on where or in which chunk a block is quantized.
    uint32_t lo_bits, hi_bits;
    memcpy(&lo_bits, &lo, sizeof lo_bits);
    memcpy(&hi_bits, &hi, sizeof hi_bits);
    const uint32_t mixed = (lo_bits ^ (hi_bits * 0x9E3779B9u)) * 0x85EBCA6Bu;
    const float u = (float)(mixed >> 8) * (1.0f / 16777216.0f);
    const float d = (hi - lo) / 253.0f;
    fill_grid(v, lo, d, 126.0f + u, q, offset);
    *scale = d;
}

void mg_q8_quantize_weights(const float *w, int64_t rows, int64_t cols, int8_t *q, float *scales, float *offsets) {
    const int64_t blocks = cols / MG_Q8_BLOCK;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t b = 0; b < blocks; b++)
            quantize_weight_block(w + r * cols + b * MG_Q8_BLOCK, q + mg_q8_value_offset(r, b, blocks),
                                  scales + mg_q8_param_index(r, b, blocks), offsets + mg_q8_param_index(r, b, blocks));
}

void mg_q8_quantize_activations(const float *x, int64_t rows, int64_t cols, int16_t *q, float *scales, float *sums) {
    const int64_t blocks = cols / MG_Q8_BLOCK;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t b = 0; b < blocks; b++) {
            const float *src = x + r * cols + b * MG_Q8_BLOCK;
            int16_t *dst = q + r * cols + b * MG_Q8_BLOCK;
            // Eight lanes of maxima and sums, then a fixed tree: one in-order sum is a chain of 32 dependent adds and
            // fmaxf's NaN rules keep a running maximum scalar; this way the block vectorizes (1.85 → 0.95 ns per
            // value, 512×1536 on one core).
            float top[8] = {0}, part[8] = {0};
            for (int k = 0; k < MG_Q8_BLOCK; k += 8)
                for (int l = 0; l < 8; l++) {
                    const float a = fabsf(src[k + l]);
                    top[l] = a > top[l] ? a : top[l];
                    part[l] += src[k + l];
                }
            float amax = 0;
            for (int l = 0; l < 8; l++) amax = top[l] > amax ? top[l] : amax;
            const float scale = amax / 32767.0f;
            const float inverse = scale > 0 ? 1.0f / scale : 0.0f;
            scales[r * blocks + b] = scale;
            sums[r * blocks + b] = ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
            for (int k = 0; k < MG_Q8_BLOCK; k++) {
                float v = round_half_even(src[k] * inverse);
                // x·(1/scale) can land a hair above 32767 by rounding.
                v = v > 32767.0f ? 32767.0f : (v < -32767.0f ? -32767.0f : v);
                dst[k] = (int16_t)v;
            }
        }
    }
}
