// ftypes.glsl - one float dtype DT (6 f16, 7 bf16, 8 f32, 9 f64) for the
// new op shaders that bind their own tensors: STYPE (storage), FT (compute
// type: f32 for f16/bf16/f32, f64 for f64), LD/ST (load/store through FT,
// rounded once on store), and BUF/IBUF to declare tensor bindings. Include
// after common.glsl. Declares IEEE zero/inf/NaN preservation like types.glsl.
#if DT == 6
#define STYPE uint16_t
#define FT float
#define LD(b, i) bp_f16_to_f32(uint(b[i]))
#define ST(b, i, v) b[i] = uint16_t(bp_f32_to_f16(v))
#elif DT == 7
#define STYPE uint16_t
#define FT float
#define LD(b, i) uintBitsToFloat(uint(b[i]) << 16)
#define ST(b, i, v) b[i] = uint16_t(bp_f32_to_bf16(v))
#elif DT == 8
#define STYPE float
#define FT float
#define LD(b, i) b[i]
#define ST(b, i, v) b[i] = float(v)
#else
#define STYPE double
#define FT double
#define LD(b, i) b[i]
#define ST(b, i, v) b[i] = double(v)
#endif
#define BUF(n, name) layout(std430, set = 0, binding = n) buffer Buf##n { STYPE name[]; }
#define IBUF(n, name) layout(std430, set = 0, binding = n) buffer Buf##n { int64_t name[]; }
#extension GL_EXT_spirv_intrinsics : require
spirv_execution_mode(extensions = ["SPV_KHR_float_controls"], capabilities = [4466], 4461, 32);
#if DT == 9
spirv_execution_mode(extensions = ["SPV_KHR_float_controls"], capabilities = [4466], 4461, 64);
#endif
