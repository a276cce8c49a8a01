#version 450
// normbw.comp - the backward of layer_norm, group_norm and batch_norm
// (reference/src/ref_nn_backward_norm.c), two dispatches of one work group
// of 256 per group. With xhat = (x - mean) * rstd and dxhat = g * w:
// pass A (groups: the statistics) gx = rstd * (dxhat - mean(dxhat) -
// xhat * mean(dxhat * xhat)) (training) or dxhat * rstd; pass B (flag 4;
// groups: the weight's elements) gw = sum(g * xhat), gb = sum(g).
// Tensors (bindings 1..8): g, x, mean, rstd, w, gx, gw, gb. Every element
// has its offsets in all eight: group base + element part.
// Words: [0] groups, [1] elements per group, [2] group ndim, [3..10] group
// shape, [11] element ndim, [12..19] element shape, [20 + 8t + d] group dim
// strides, [84 + 8t + d] element dim strides, [148 + t] offsets,
// [156] flags (1 weight, 2 training, 4 pass B).
#include "common.glsl"
#include "ftypes.glsl"
layout(local_size_x = 256) in;
BUF(1, tg);
BUF(2, tx);
BUF(3, tm);
BUF(4, tr);
BUF(5, tw);
BUF(6, tgx);
BUF(7, tgw);
BUF(8, tgb);
shared FT red[2][256];
uint lid;
uint base[8];

void elem(uint e, out uint o[8]) {
  for (uint t = 0u; t < 8u; ++t) o[t] = base[t];
  for (int d = int(P(11)) - 1; d >= 0; --d) {
    uint s = P(12 + d), c = e % s;
    e /= s;
    for (uint t = 0u; t < 8u; ++t) o[t] += c * P(84u + 8u * t + uint(d));
  }
}

void tree2(inout FT a, inout FT b) {
  red[0][lid] = a;
  red[1][lid] = b;
  barrier();
  for (uint s = 128u; s > 0u; s >>= 1) {
    if (lid < s) {
      red[0][lid] += red[0][lid + s];
      red[1][lid] += red[1][lid + s];
    }
    barrier();
  }
  a = red[0][0];
  b = red[1][0];
  barrier();
}

void main() {
  uint grp = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (grp >= P(0)) return;  // uniform per work group
  lid = gl_LocalInvocationID.x;
  for (uint t = 0u; t < 8u; ++t) base[t] = P(148u + t);
  uint rest = grp;
  for (int d = int(P(2)) - 1; d >= 0; --d) {
    uint s = P(3 + d), c = rest % s;
    rest /= s;
    for (uint t = 0u; t < 8u; ++t) base[t] += c * P(20u + 8u * t + uint(d));
  }
  uint M = P(1), flags = P(156);
  bool has_w = (flags & 1u) != 0u;
  uint o[8];
  FT a = FT(0), b = FT(0);
  for (uint e = lid; e < M; e += 256u) {
    elem(e, o);
    FT g = LD(tg, o[0]);
    precise FT xhat = (LD(tx, o[1]) - LD(tm, o[2])) * LD(tr, o[3]);
    if ((flags & 4u) != 0u) {
      a += g * xhat;
      b += g;
    } else {
      precise FT dxhat = has_w ? g * LD(tw, o[4]) : g;
      a += dxhat;
      b += dxhat * xhat;
    }
  }
  tree2(a, b);
  if ((flags & 4u) != 0u) {
    if (lid == 0u) {
      ST(tgw, base[6], a);
      ST(tgb, base[7], b);
    }
    return;
  }
  FT md = M > 0u ? a / FT(M) : FT(0), mdx = M > 0u ? b / FT(M) : FT(0);
  for (uint e = lid; e < M; e += 256u) {
    elem(e, o);
    FT g = LD(tg, o[0]), rstd = LD(tr, o[3]);
    precise FT xhat = (LD(tx, o[1]) - LD(tm, o[2])) * rstd;
    precise FT dxhat = has_w ? g * LD(tw, o[4]) : g;
    precise FT r = (flags & 2u) != 0u ? rstd * (dxhat - md - xhat * mdx) : dxhat * rstd;
    ST(tgx, o[5], r);
  }
}
