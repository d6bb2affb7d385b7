// f32 → f16 rows for the KV cache, with F16C (which needs only AVX, not AVX2): Swift's Float16(x) is a software conversion on the baseline x86-64
// target (~20 ns a value), which made storing keys and values ~10% of a short prefill and ~3% of a decode step.
#include "CKernels.h"
#include <immintrin.h>

__attribute__((target("avx,f16c"))) void mg_f32_to_f16_f16c(const float *src, uint16_t *dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++)
        dst[i] = (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(src[i]), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), 0);
}
