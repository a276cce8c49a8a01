// fmath64.glsl - f64 log, sin and cos for normal's Box-Muller (GLSL has no
// double transcendentals). log is FreeBSD's/musl's e_log.c (< 1 ulp); sin
// and cos are fdlibm's __kernel_sin/__kernel_cos after reducing by pi/2
// with a three-part pi/2 (fdlibm's medium case, exact for the |x| <= 2 pi
// normal uses; larger |x| is not supported by these functions).
double bp_log64(double x) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01;
  const double Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01;
  const double Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01;
  const double Lg7 = 1.479819860511658591e-01;
  if (isnan(x) || x < 0.0LF) return packDouble2x32(uvec2(0u, 0x7ff80000u));
  if (x == 0.0LF) return packDouble2x32(uvec2(0u, 0xfff00000u));
  if (isinf(x)) return x;
  int k = 0;
  uvec2 u = unpackDouble2x32(x);
  if (u.y < 0x00100000u) {  // subnormal: scale up by 2^54
    precise double xs = x * 18014398509481984.0LF;
    u = unpackDouble2x32(xs);
    k = -54;
  }
  uint hx = u.y + (0x3ff00000u - 0x3fe6a09eu);
  k += int(hx >> 20) - 0x3ff;
  hx = (hx & 0x000fffffu) + 0x3fe6a09eu;
  precise double f = packDouble2x32(uvec2(u.x, hx)) - 1.0LF;
  precise double hfsq = 0.5LF * f * f;
  precise double s = f / (2.0LF + f);
  precise double z = s * s;
  precise double w = z * z;
  precise double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  precise double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  precise double R = t2 + t1;
  double dk = double(k);
  precise double r = s * (hfsq + R) + dk * ln2_lo - hfsq + f + dk * ln2_hi;
  return r;
}
// fdlibm's kernels on [-pi/4, pi/4]: x + y is the reduced argument.
double bp_ksin64(double x, double y) {
  const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03;
  const double S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06;
  const double S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  precise double z = x * x;
  precise double w = z * z;
  precise double r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
  precise double v = z * x;
  precise double res = x - ((z * (0.5LF * y - v * r) - y) - v * S1);
  return res;
}
double bp_kcos64(double x, double y) {
  const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03;
  const double C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07;
  const double C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  precise double z = x * x;
  precise double w = z * z;
  precise double r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
  precise double hz = 0.5LF * z;
  precise double w1 = 1.0LF - hz;
  precise double res = w1 + (((1.0LF - w1) - hz) + (z * r - x * y));
  return res;
}
// x - n pi/2 as y0 + y1 (fdlibm's __rem_pio2 for |x| < 2^20 pi/2, first
// and second iterations), n returned.
int bp_rem_pio2_64(double x, out double y0, out double y1) {
  const double invpio2 = 6.36619772367581382433e-01;
  const double pio2_1 = 1.57079632673412561417e+00, pio2_1t = 6.07710050650619224932e-11;
  const double pio2_2 = 6.07710050630396597660e-11, pio2_2t = 2.02226624879595063154e-21;
  precise double fn = roundEven(x * invpio2);
  precise double r = x - fn * pio2_1;
  precise double w = fn * pio2_1t;
  precise double y = r - w;
  // second iteration where cancellation lost bits (fdlibm: exponent test)
  int ex = int((unpackDouble2x32(x).y >> 20) & 0x7ffu);
  int ey = int((unpackDouble2x32(y).y >> 20) & 0x7ffu);
  if (ex - ey > 16) {
    precise double t = r;
    w = fn * pio2_2;
    r = t - w;
    w = fn * pio2_2t - ((t - r) - w);
    y = r - w;
  }
  y0 = y;
  precise double lo = (r - y) - w;
  y1 = lo;
  return int(fn);
}
double bp_sin64(double x) {
  if (abs(x) < 7.450580596923828125e-9LF) return x;  // |x| < 2^-27
  double y0, y1;
  int n = bp_rem_pio2_64(x, y0, y1) & 3;
  double v = (n & 1) == 0 ? bp_ksin64(y0, y1) : bp_kcos64(y0, y1);
  return n >= 2 ? -v : v;
}
double bp_cos64(double x) {
  if (abs(x) < 7.450580596923828125e-9LF) return 1.0LF;
  double y0, y1;
  int n = (bp_rem_pio2_64(x, y0, y1) + 1) & 3;
  double v = (n & 1) == 0 ? bp_ksin64(y0, y1) : bp_kcos64(y0, y1);
  return n >= 2 ? -v : v;
}
