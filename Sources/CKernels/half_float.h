// f16 → f32 for C kernels on CPUs without F16C, exact and with the same bits as vcvtph2ps (Quant's f16ToFloat): the
// f16 exponent and mantissa placed in an f32 and scaled by 2^112 rebase the exponent bias (15 → 127) and turn f16
// subnormals into the right f32 normals; exponent 31 (infinity, NaN) maps to f32's 255.
#ifndef MG_HALF_FLOAT_H
#define MG_HALF_FLOAT_H
#include <stdint.h>
#include <string.h>

static inline __attribute__((always_inline)) float mg_f16_to_f32(uint16_t h) {
    const uint32_t magnitude = (uint32_t)(h & 0x7FFF) << 13, sign = (uint32_t)(h & 0x8000) << 16;
    float scaled;
    memcpy(&scaled, &magnitude, 4);
    scaled *= 0x1p112f;
    uint32_t bits;
    memcpy(&bits, &scaled, 4);
    const uint32_t special = magnitude | (magnitude > 0x0F800000u ? 0x7FC00000u : 0x7F800000u);
    bits = sign | (magnitude >= 0x0F800000u ? special : bits);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

#endif
