// Which int8 kernels this CPU can run, from cpuid and xgetbv (an ISA only counts if the OS saves its registers).
#include "CKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

int32_t mg_cpu_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = read_xcr0();
    const int ymm_saved = (xcr0 & 0x6) == 0x6;           // SSE + AVX state
    const int zmm_saved = (xcr0 & 0xE6) == 0xE6;         // + opmask, ZMM_Hi256, Hi16_ZMM
    if (!ymm_saved) return 0;

    unsigned max_leaf = __get_cpuid_max(0, 0);
    if (max_leaf < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = (b >> 5) & 1;
    const int avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1;
    const int avx512vnni = (c >> 11) & 1;
    // Leaf 7's subleaf 0 reports in EAX how many subleaves exist; AVX-VNNI lives in subleaf 1.
    unsigned a1 = 0, b1, c1, d1;
    if (a >= 1) __cpuid_count(7, 1, a1, b1, c1, d1);
    const int avxvnni = (a1 >> 4) & 1;

    int32_t features = 0;
    if (avx2 && fma) features |= MG_CPU_AVX2;
    if (f16c) features |= MG_CPU_F16C;
    if (avx2 && fma && avxvnni) features |= MG_CPU_AVXVNNI;
    if (zmm_saved && avx512f && avx512bw && avx512vnni) features |= MG_CPU_AVX512VNNI;
    return features;
}
#else
int32_t mg_cpu_features(void) { return 0; }
#endif
