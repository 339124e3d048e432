// fused: select(x2,relu(add(scale(x0),x1)),neg(x0))
struct Params {
  count: u32,
  d1: u32,
  d2: u32,
  d3: u32,
  o_off: u32,
  o_s0: u32,
  o_s1: u32,
  o_s2: u32,
  o_s3: u32,
  x0_off: u32,
  x0_s0: u32,
  x0_s1: u32,
  x0_s2: u32,
  x0_s3: u32,
  x1_off: u32,
  x1_s0: u32,
  x1_s1: u32,
  x1_s2: u32,
  x1_s3: u32,
  x2_off: u32,
  x2_s0: u32,
  x2_s1: u32,
  x2_s2: u32,
  x2_s3: u32,
  f0: f32,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> x1: array<f32>;
@group(0) @binding(3) var<storage, read> x2: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
fn tanh_safe(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
// GELU, tanh approximation (as runtime/reference and compiler/resolve/builtins.ts):
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), and its exact derivative.
fn gelu(x: f32) -> f32 {
  let t = tanh_safe(0.7978845608028654 * (x + 0.044715 * x * x * x));
  return 0.5 * x * (1.0 + t);
}
fn gelu_grad(x: f32) -> f32 {
  let t = tanh_safe(0.7978845608028654 * (x + 0.044715 * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 0.134145 * x * x);
}
fn linearIndex(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = linearIndex(gid, groups);
  if (i >= u.count) { return; }
  let c = i % u.d3;
  let t = (i / u.d3) % u.d2;
  let s = (i / (u.d3 * u.d2)) % u.d1;
  let n = i / (u.d3 * u.d2 * u.d1);
  let x0v = x0[u.x0_off + n * u.x0_s0 + s * u.x0_s1 + t * u.x0_s2 + c * u.x0_s3];
  let x1v = x1[u.x1_off + n * u.x1_s0 + s * u.x1_s1 + t * u.x1_s2 + c * u.x1_s3];
  let x2v = x2[u.x2_off + n * u.x2_s0 + s * u.x2_s1 + t * u.x2_s2 + c * u.x2_s3];
  let v0 = x0v * u.f0;
  let v1 = v0 + x1v;
  let v2 = max(v1, 0.0);
  let v3 = (-x0v);
  let v4 = select(v3, v2, x2v != 0.0);
  out[u.o_off + n * u.o_s0 + s * u.o_s1 + t * u.o_s2 + c * u.o_s3] = v4;
}
