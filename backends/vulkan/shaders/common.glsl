// common.glsl - what every Backplane Vulkan compute shader shares.
//
// Descriptor set 0: binding 0 (and 9, see below) is the per-dispatch parameter words (shapes,
// strides, offsets in ELEMENTS; see src/bp_vk_params.h), bindings 1..8 the
// tensors (whole suballocator blocks; the element offset comes in the
// parameters, so minStorageBufferOffsetAlignment never matters). The push
// constant says where this dispatch's parameter words start.
//
// Dtype codes are the ABI's: 1 bool, 2 u8, 3 i8, 4 i32, 5 i64, 6 f16,
// 7 bf16, 8 f32, 9 f64. A shader is compiled once per dtype (-DDT_O=8 ...);
// it declares only the SPIR-V capabilities its dtypes need, and the plugin
// uses it only on devices that have them.
#extension GL_EXT_shader_explicit_arithmetic_types : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_8bit_storage : require

layout(push_constant) uniform PushConstants { uint poff; } pc;
// Parameter reads go through binding 9, a uniform buffer over this
// dispatch's words (dynamic offset = pc.poff words, BPVK_PARAM_VIEW words):
// CPU drivers load uniform-buffer words at uniform indices once per SIMD
// group, where lavapipe reads a storage buffer lane by lane. Check words
// are written through binding 0 (storage): P_SET in shaders that define
// BP_PARAMS_CHECKED. BP_PARAMS_WRITABLE (older shaders: P as an lvalue)
// keeps every parameter access on the storage buffer.
#ifdef BP_PARAMS_WRITABLE
layout(std430, set = 0, binding = 0) buffer Params { uint prm[]; };
#define P(i) prm[pc.poff + uint(i)]
#else
#ifdef BP_PARAMS_CHECKED
layout(std430, set = 0, binding = 0) buffer Params { uint prm[]; };
#define P_SET(i, v) prm[pc.poff + uint(i)] = (v)
#endif
layout(std140, set = 0, binding = 9) uniform ParamsU { uvec4 prmu[256]; };
#define P(i) prmu[uint(i) >> 2][uint(i) & 3u]
#endif

// Linear invocation index over a 2D grid of 256-wide work groups.
uint bp_linear_id() {
  return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 256u + gl_LocalInvocationID.x;
}

// f32 -> f16 / bf16 bits, round to nearest even, as reference/src/ref_dtype.c.
uint bp_shift_round_even(uint v, uint shift) {
  uint kept = v >> shift;
  uint rest = v & ((1u << shift) - 1u);
  uint half_ = 1u << (shift - 1u);
  if (rest > half_ || (rest == half_ && (kept & 1u) != 0u)) ++kept;
  return kept;
}
uint bp_f32_to_f16(float value) {
  uint x = floatBitsToUint(value);
  uint sign = (x >> 16) & 0x8000u;
  uint a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u | ((a >> 13) & 0x3ffu);
  if (a >= 0x477ff000u) return sign | 0x7c00u;
  if (a >= 0x38800000u) return sign | (bp_shift_round_even(a, 13u) - ((127u - 15u) << 10));
  if (a < 0x33000000u) return sign;
  uint mant = (a & 0x7fffffu) | 0x800000u;
  return sign | bp_shift_round_even(mant, 126u - (a >> 23));
}
uint bp_f32_to_bf16(float value) {
  uint x = floatBitsToUint(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (x >> 16) | 0x40u;
  return (x + 0x7fffu + ((x >> 16) & 1u)) >> 16;
}
float bp_f16_to_f32(uint h) {
  uint sign = (h & 0x8000u) << 16;
  uint e = (h >> 10) & 0x1fu;
  uint m = h & 0x3ffu;
  if (e == 0x1fu) return uintBitsToFloat(sign | 0x7f800000u | (m << 13));
  if (e != 0u) return uintBitsToFloat(sign | ((e + 112u) << 23) | (m << 13));
  return uintBitsToFloat(sign | floatBitsToUint(float(m) * (1.0 / 16777216.0)));
}
