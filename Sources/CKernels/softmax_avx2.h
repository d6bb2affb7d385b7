// The AVX2 softmax both attention kernels use: eight exponentials at a time from a polynomial (about 2 ulp) instead
// of one expf call each (a fifth of the prefill kernel's time; in decode the in-order scalar loop of expf calls and
// adds was ~15% of the attention). Results differ from the scalar reference (softmax_reference.h) in the last bits.
// Include after <immintrin.h> with AVX2 defined as the target attribute.
#ifndef MG_SOFTMAX_AVX2_H
#define MG_SOFTMAX_AVX2_H
#include <math.h>
#include <stdint.h>

/// Where exp_nonpositive_avx2 stops: e^-87 (≈1e-38) is still a normal float, so 2^n fits the exponent bits.
#define MG_EXP_AVX2_FLOOR (-87.0f)

/// e^x for x ≤ 0 (softmax arguments after subtracting the maximum), about 2 ulp: x = n·ln2 + r with |r| ≤ ln2/2,
/// e^r from Cephes' degree-6 polynomial for expf, 2^n put into the exponent bits. Below MG_EXP_AVX2_FLOOR the result
/// is clamped to e^-87, which a softmax sum of at least one 1 cannot tell from zero.
static inline __attribute__((always_inline)) AVX2 __m256 exp_nonpositive_avx2(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(MG_EXP_AVX2_FLOOR));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(scale));
}

static inline __attribute__((always_inline)) AVX2 float lane_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// s[i] ← exp(s[i] - max) over s[0 ..< n] in place, the maximum and the sum eight at a time (the last partial group
/// through expf); returns the sum and stores the maximum in *max_out: softmax without its final normalization, for
/// attention split into parts that are combined afterwards.
static inline __attribute__((always_inline)) AVX2 float softmax_numerators_avx2(float *s, int64_t n, float *max_out) {
    int64_t p = 0;
    __m256 vmax = _mm256_set1_ps(s[0]);
    for (; p + 8 <= n; p += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(s + p));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float max_value = _mm_cvtss_f32(m);
    for (; p < n; p++)
        if (s[p] > max_value) max_value = s[p];
    const __m256 top = _mm256_set1_ps(max_value);
    __m256 vsum = _mm256_setzero_ps();
    for (p = 0; p + 8 <= n; p += 8) {
        const __m256 e = exp_nonpositive_avx2(_mm256_sub_ps(_mm256_loadu_ps(s + p), top));
        _mm256_storeu_ps(s + p, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = lane_sum(vsum);
    for (; p < n; p++) {
        const float e = expf(s[p] - max_value);
        s[p] = e;
        sum += e;
    }
    *max_out = max_value;
    return sum;
}

/// softmax over s[0 ..< n] in place: the numerators above, then one multiply by the inverse sum.
static inline __attribute__((always_inline)) AVX2 void softmax_avx2(float *s, int64_t n) {
    float max_value;
    const float sum = softmax_numerators_avx2(s, n, &max_value);
    int64_t p;
    const __m256 inverse = _mm256_set1_ps(1 / sum);
    for (p = 0; p + 8 <= n; p += 8) _mm256_storeu_ps(s + p, _mm256_mul_ps(_mm256_loadu_ps(s + p), inverse));
    for (; p < n; p++) s[p] *= 1 / sum;
}

#endif
