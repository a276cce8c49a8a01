// fmath.glsl - f32 functions within ~1 ulp where GLSL lacks them (erf,
// expm1, log1p) or where drivers' builtins are looser than the conformance
// tolerance (lavapipe's log and atan are off by several ulp; NVIDIA's sin
// and cos by up to 4e-7 absolute): log and atan are musl's logf/atanf
// (FreeBSD), erf N. Juffa's minimax pair (with fma), expm1/log1p Kahan's
// corrections through exp and that log, sin/cos musl's __sindf/__cosdf
// polynomials after a Cody-Waite reduction by pi/2.
float bp_log(float x) {
  if (isnan(x) || x < 0.0) return uintBitsToFloat(0x7fc00000u);
  if (x == 0.0) return uintBitsToFloat(0xff800000u);
  if (isinf(x)) return x;
  uint ix = floatBitsToUint(x);
  int k = 0;
  if (ix < 0x00800000u) {  // subnormal: its integer significand, exactly
    ix = floatBitsToUint(float(ix));
    k = -149;
  }
  ix += 0x3f800000u - 0x3f3504f3u;
  k += int(ix >> 23) - 0x7f;
  ix = (ix & 0x007fffffu) + 0x3f3504f3u;
  precise float f = uintBitsToFloat(ix) - 1.0;
  precise float s = f / (2.0 + f), z = s * s, w = z * z;
  precise float t1 = w * (0.40000972152 + w * 0.24279078841);
  precise float t2 = z * (0.66666662693 + w * 0.28498786688);
  precise float R = t2 + t1, hfsq = 0.5 * f * f, dk = float(k);
  precise float r = s * (hfsq + R) + dk * 9.0580006145e-06 - hfsq + f + dk * 6.9313812256e-01;
  return r;
}
float bp_atan(float x) {
  const float hi[4] = float[4](4.6364760399e-01, 7.8539812565e-01, 9.8279368877e-01, 1.5707962513e+00);
  const float lo[4] = float[4](5.0121582440e-09, 3.7748947079e-08, 3.4473217170e-08, 7.5497894159e-08);
  if (isnan(x)) return x;
  precise float ax = abs(x), r;
  int id;
  if (ax >= 1.6777216e7) {
    r = hi[3] + lo[3];
  } else {
    if (ax < 0.4375) id = -1;
    else if (ax < 0.6875) { id = 0; ax = (2.0 * ax - 1.0) / (2.0 + ax); }
    else if (ax < 1.1875) { id = 1; ax = (ax - 1.0) / (ax + 1.0); }
    else if (ax < 2.4375) { id = 2; ax = (ax - 1.5) / (1.0 + 1.5 * ax); }
    else { id = 3; ax = -1.0 / ax; }
    precise float z = ax * ax, w = z * z;
    precise float s1 = z * (3.3333328366e-01 + w * (1.4253635705e-01 + w * 6.1687607318e-02));
    precise float s2 = w * (-1.9999158382e-01 + w * -1.0648017377e-01);
    if (id < 0) r = ax - ax * (s1 + s2);
    else r = hi[id] - ((ax * (s1 + s2) - lo[id]) - ax);
  }
  return x < 0.0 ? -r : r;
}
float bp_erf(float a) {
  float t = abs(a), s = a * a, r;
  if (t > 0.927734375) {
    r = fma(-1.72853470e-5, t, 3.83197126e-4);
    float u = fma(-3.88396438e-3, t, 2.42546219e-2);
    r = fma(r, s, u);
    r = fma(r, t, -1.06777877e-1);
    r = fma(r, t, -6.34846687e-1);
    r = fma(r, t, -1.28717512e-1);
    r = fma(r, t, -t);
    r = 1.0 - exp(r);
    r = a < 0.0 ? -r : r;
  } else {
    r = -5.96761703e-4;
    r = fma(r, s, 4.99119423e-3);
    r = fma(r, s, -2.67681349e-2);
    r = fma(r, s, 1.12819925e-1);
    r = fma(r, s, -3.76125336e-1);
    r = fma(r, s, 1.28379166e-1);
    r = fma(r, a, a);
  }
  return r;
}
float bp_expm1(float x) {
  if (isinf(x)) return x > 0.0 ? x : -1.0;
  precise float u = exp(x);
  if (u == 1.0) return x;
  precise float um1 = u - 1.0;
  if (um1 == -1.0) return -1.0;
  if (isinf(u)) return u;
  return um1 * (x / bp_log(u));
}
float bp_log1p(float x) {
  if (x < -1.0) return uintBitsToFloat(0x7fc00000u);
  precise float u = 1.0 + x;
  if (u == 1.0) return x;
  if (isinf(u)) return u;
  return bp_log(u) * (x / (u - 1.0));
}

// sin and cos within ~1.7 ulp (or 2.4e-7 absolute near their zeros) for
// |x| <= 6400: x - k pi/2 with pi/2 split in three 12-bit parts and a rest,
// so each k * part is exact for |k| < 2^12 with or without fused multiply-
// adds; then musl's minimax polynomials on [-pi/4, pi/4]. Larger |x| and
// inf/NaN use the driver's sin/cos (a full-range reduction is not written).
bool bp_sincos_reduce(float x, out float r, out int q) {
  if (!(abs(x) <= 6400.0)) return false;
  if (x == 0.0) {  // keeps sin(-0) = -0
    r = x;
    q = 0;
    return true;
  }
  float k = roundEven(x * 0.63661977236758134);
  precise float t = x - k * 1.5703125;
  t = t - k * 4.837512969970703125e-4;
  t = t - k * 7.549533620476722717e-8;
  r = t - k * 2.563344068257089611e-12;
  q = int(k) & 3;
  return true;
}
float bp_sin_kernel(float r) {
  precise float z = r * r;
  precise float p = -1.9839334836096632e-4 + z * 2.7183114939898219e-6;
  p = 8.3333293858894632e-3 + z * p;
  p = -0.16666666641626524 + z * p;
  precise float v = r + (r * z) * p;
  return v;
}
float bp_cos_kernel(float r) {
  precise float z = r * r;
  precise float p = -1.3886763774609929e-3 + z * 2.4390448796277409e-5;
  p = 4.1666623323739063e-2 + z * p;
  p = -0.49999999725103100 + z * p;
  precise float v = 1.0 + z * p;
  return v;
}
float bp_sin(float x) {
  float r;
  int q;
  if (!bp_sincos_reduce(x, r, q)) return sin(x);
  float v = (q & 1) == 0 ? bp_sin_kernel(r) : bp_cos_kernel(r);
  return q >= 2 ? -v : v;
}
float bp_cos(float x) {
  float r;
  int q;
  if (!bp_sincos_reduce(x, r, q)) return cos(x);
  q = (q + 1) & 3;
  float v = (q & 1) == 0 ? bp_sin_kernel(r) : bp_cos_kernel(r);
  return q >= 2 ? -v : v;
}
