// types.glsl - generated once by hand from a shell loop: storage and access macros per tensor slot (O = binding 1, A = 2, B = 3).
#ifdef DT_O
#if DT_O == 1 || DT_O == 2
#define STYPE_O uint8_t
#elif DT_O == 3
#define STYPE_O int8_t
#elif DT_O == 4
#define STYPE_O int
#elif DT_O == 5
#define STYPE_O int64_t
#elif DT_O == 6 || DT_O == 7
#define STYPE_O uint16_t
#elif DT_O == 8
#define STYPE_O float
#elif DT_O == 9
#define STYPE_O double
#endif
layout(std430, set = 0, binding = 1)  buffer BufO { STYPE_O dO[]; };
#if DT_O == 6
#define LOADF_O(i) bp_f16_to_f32(uint(dO[i]))
#define STOREF_O(i, v) dO[i] = uint16_t(bp_f32_to_f16(v))
#elif DT_O == 7
#define LOADF_O(i) uintBitsToFloat(uint(dO[i]) << 16)
#define STOREF_O(i, v) dO[i] = uint16_t(bp_f32_to_bf16(v))
#elif DT_O == 8 || DT_O == 9
#define LOADF_O(i) dO[i]
#define STOREF_O(i, v) dO[i] = STYPE_O(v)
#elif DT_O == 1
#define LOADI_O(i) int(uint(dO[i]) != 0u)
#define STOREI_O(i, v) dO[i] = uint8_t((v) != 0 ? 1u : 0u)
#elif DT_O == 2
#define LOADI_O(i) int(uint(dO[i]))
#define STOREI_O(i, v) dO[i] = uint8_t(uint(v))
#elif DT_O == 3
#define LOADI_O(i) int(dO[i])
#define STOREI_O(i, v) dO[i] = int8_t(int(v))
#else
#define LOADI_O(i) dO[i]
#define STOREI_O(i, v) dO[i] = STYPE_O(v)
#endif
#endif
#ifdef DT_A
#if DT_A == 1 || DT_A == 2
#define STYPE_A uint8_t
#elif DT_A == 3
#define STYPE_A int8_t
#elif DT_A == 4
#define STYPE_A int
#elif DT_A == 5
#define STYPE_A int64_t
#elif DT_A == 6 || DT_A == 7
#define STYPE_A uint16_t
#elif DT_A == 8
#define STYPE_A float
#elif DT_A == 9
#define STYPE_A double
#endif
layout(std430, set = 0, binding = 2) readonly buffer BufA { STYPE_A dA[]; };
#if DT_A == 6
#define LOADF_A(i) bp_f16_to_f32(uint(dA[i]))
#define STOREF_A(i, v) dA[i] = uint16_t(bp_f32_to_f16(v))
#elif DT_A == 7
#define LOADF_A(i) uintBitsToFloat(uint(dA[i]) << 16)
#define STOREF_A(i, v) dA[i] = uint16_t(bp_f32_to_bf16(v))
#elif DT_A == 8 || DT_A == 9
#define LOADF_A(i) dA[i]
#define STOREF_A(i, v) dA[i] = STYPE_A(v)
#elif DT_A == 1
#define LOADI_A(i) int(uint(dA[i]) != 0u)
#define STOREI_A(i, v) dA[i] = uint8_t((v) != 0 ? 1u : 0u)
#elif DT_A == 2
#define LOADI_A(i) int(uint(dA[i]))
#define STOREI_A(i, v) dA[i] = uint8_t(uint(v))
#elif DT_A == 3
#define LOADI_A(i) int(dA[i])
#define STOREI_A(i, v) dA[i] = int8_t(int(v))
#else
#define LOADI_A(i) dA[i]
#define STOREI_A(i, v) dA[i] = STYPE_A(v)
#endif
#endif
#ifdef DT_B
#if DT_B == 1 || DT_B == 2
#define STYPE_B uint8_t
#elif DT_B == 3
#define STYPE_B int8_t
#elif DT_B == 4
#define STYPE_B int
#elif DT_B == 5
#define STYPE_B int64_t
#elif DT_B == 6 || DT_B == 7
#define STYPE_B uint16_t
#elif DT_B == 8
#define STYPE_B float
#elif DT_B == 9
#define STYPE_B double
#endif
layout(std430, set = 0, binding = 3) readonly buffer BufB { STYPE_B dB[]; };
#if DT_B == 6
#define LOADF_B(i) bp_f16_to_f32(uint(dB[i]))
#define STOREF_B(i, v) dB[i] = uint16_t(bp_f32_to_f16(v))
#elif DT_B == 7
#define LOADF_B(i) uintBitsToFloat(uint(dB[i]) << 16)
#define STOREF_B(i, v) dB[i] = uint16_t(bp_f32_to_bf16(v))
#elif DT_B == 8 || DT_B == 9
#define LOADF_B(i) dB[i]
#define STOREF_B(i, v) dB[i] = STYPE_B(v)
#elif DT_B == 1
#define LOADI_B(i) int(uint(dB[i]) != 0u)
#define STOREI_B(i, v) dB[i] = uint8_t((v) != 0 ? 1u : 0u)
#elif DT_B == 2
#define LOADI_B(i) int(uint(dB[i]))
#define STOREI_B(i, v) dB[i] = uint8_t(uint(v))
#elif DT_B == 3
#define LOADI_B(i) int(dB[i])
#define STOREI_B(i, v) dB[i] = int8_t(int(v))
#else
#define LOADI_B(i) dB[i]
#define STOREI_B(i, v) dB[i] = STYPE_B(v)
#endif
#endif
// IEEE semantics for signed zeros, infinities and NaN (SPV_KHR_float_controls;
// without it drivers may fold x * 0 to 0 or sign(-0) to -0). The plugin uses
// these shaders only where shaderSignedZeroInfNanPreserveFloat32/64 hold.
#extension GL_EXT_spirv_intrinsics : require
spirv_execution_mode(extensions = ["SPV_KHR_float_controls"], capabilities = [4466], 4461, 32);
#if (defined(DT_O) && DT_O == 9) || (defined(DT_A) && DT_A == 9)
spirv_execution_mode(extensions = ["SPV_KHR_float_controls"], capabilities = [4466], 4461, 64);
#endif
