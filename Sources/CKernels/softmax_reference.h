// The scalar softmax both attention kernels use where they follow the Swift reference (F32.softmax): maximum, exp
// and sum in position order, then one multiply by the inverse sum. Shared so the decode and prefill paths cannot
// drift apart in how they round.
#ifndef MG_SOFTMAX_REFERENCE_H
#define MG_SOFTMAX_REFERENCE_H
#include <math.h>
#include <stdint.h>

/// Below this, expf(x) rounds to +0 in every rounding of glibc's result.
#define MG_EXPF_UNDERFLOW (-104.0f)

static inline __attribute__((always_inline)) void softmax_like_reference(float *x, int64_t n) {
    if (n <= 0) return;
    float max_value = x[0];
    for (int64_t i = 1; i < n; i++)
        if (x[i] > max_value) max_value = x[i];
    float sum = 0;
    for (int64_t i = 0; i < n; i++) {
        // expf is exactly +0 below ln(2^-150) ≈ -103.97, but glibc reaches that 0 through its underflow path
        // (errno, a call out): 3.5% of a long decode when most scores sit far below the maximum. Same bits.
        const float d = x[i] - max_value;
        const float e = d < MG_EXPF_UNDERFLOW ? 0.0f : expf(d);
        x[i] = e;
        sum += e;
    }
    const float inverse = 1 / sum;
    for (int64_t i = 0; i < n; i++) x[i] *= inverse;
}

#endif
