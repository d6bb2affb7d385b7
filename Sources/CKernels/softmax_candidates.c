// The sampling softmax's exponentials over a whole vocabulary, eight at a time. In an 8-client server profile the
// scalar loop (one glibc expf per token of the 49,152-token vocabulary, per sequence, per step) was ~4% of the
// server's time. The candidates are the sampler's (id, logit, probability) records, so logits are gathered and
// probabilities stored back one by one; the exponentials themselves are the attention kernels' polynomial.
#include "CKernels.h"
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#include "softmax_avx2.h"

AVX2 double mg_candidate_exponentials_avx2(const float *logits, float *probabilities, int64_t stride, int64_t n,
                                           float max_logit) {
    const __m256i index = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)stride));
    const __m256 top = _mm256_set1_ps(max_logit);
    const __m256 cutoff = _mm256_set1_ps(MG_EXP_AVX2_FLOOR);
    __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
    float e[8];
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 d = _mm256_sub_ps(_mm256_i32gather_ps(logits + i * stride, index, 4), top);
        // exp_nonpositive_avx2 clamps at its floor; past it the probability is exactly 0, as expf's would be.
        const __m256 v = _mm256_and_ps(exp_nonpositive_avx2(d), _mm256_cmp_ps(d, cutoff, _CMP_GE_OQ));
        _mm256_storeu_ps(e, v);
        for (int k = 0; k < 8; k++) probabilities[(i + k) * stride] = e[k];
        sum_lo = _mm256_add_pd(sum_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        sum_hi = _mm256_add_pd(sum_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(sum_lo, sum_hi));
    double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; i++) {
        const float d = logits[i * stride] - max_logit;
        const float x = d < MG_EXP_AVX2_FLOOR ? 0.0f : expf(d);
        probabilities[i * stride] = x;
        sum += x;
    }
    return sum;
}
