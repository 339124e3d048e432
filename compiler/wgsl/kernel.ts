// A generated compute kernel: WGSL text plus what a runtime needs to bind and dispatch it.
//
// Conventions shared by every generator in this folder:
//   @group(0) @binding(0)      var<uniform> u: Params   — sizes, strides and scalars (never baked in,
//                                                        so one pipeline serves every shape)
//   @group(0) @binding(1..)    storage buffers, in `bindings` order (read-only first, outputs last)
//   entry point `main`; 1-D kernels use `linearIndex()`, which spans a 2-D grid of workgroups so a
//   dispatch can cover more than 65535 × 64 invocations.

export type ScalarType = 'u32' | 'i32' | 'f32';

export interface UniformField {
  name: string;
  type: ScalarType;
}

export interface Binding {
  name: string;
  /** Element type as written in WGSL (`f32`, `vec4f`, `u32`, `i32`). */
  element: string;
  access: 'read' | 'read_write';
}

export interface Kernel {
  /** Stable name, also the file name in `gmn compile` output (`<name>.wgsl`). */
  name: string;
  source: string;
  uniforms: UniformField[];
  bindings: Binding[];
  /** Invocations per workgroup along x, y (and z, for kernels that split work over z within a workgroup). */
  workgroup: [number, number] | [number, number, number];
}

export const LINEAR_WORKGROUP = 64;

/** Packs uniform values in field order (WGSL scalars in a uniform struct are 4-byte aligned). */
export function packUniforms(kernel: Kernel, values: Readonly<Record<string, number>>): Uint32Array {
  const words = new Uint32Array(Math.max(4, Math.ceil(kernel.uniforms.length / 4) * 4));
  const floats = new Float32Array(words.buffer);
  const ints = new Int32Array(words.buffer);
  kernel.uniforms.forEach((field, i) => {
    const v = values[field.name];
    if (v === undefined) throw new Error(`internal: kernel ${kernel.name} needs uniform ${field.name}`);
    if (field.type === 'f32') floats[i] = v;
    else if (field.type === 'i32') ints[i] = v;
    else {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`internal: uniform ${field.name}=${v} is not a u32`);
      words[i] = v;
    }
  });
  return words;
}

/** The shared header: uniform struct, storage bindings, and the 2-D-grid linear index helper. */
export function header(uniforms: UniformField[], bindings: Binding[]): string {
  const fields = uniforms.map((f) => `  ${f.name}: ${f.type},`).join('\n');
  const decls = bindings
    .map((b, i) => `@group(0) @binding(${i + 1}) var<storage, ${b.access}> ${b.name}: array<${b.element}>;`)
    .join('\n');
  return `struct Params {
${fields}
}
@group(0) @binding(0) var<uniform> u: Params;
${decls}
`;
}

export const LINEAR_INDEX = `fn linearIndex(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * ${LINEAR_WORKGROUP}u;
}
`;

/** Workgroup counts for `count` invocations of a 1-D kernel (2-D grid past the per-dimension limit). */
export function linearGrid(count: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.ceil(count / LINEAR_WORKGROUP);
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}

/**
 * The standard 1-D entry point: `body` runs once per index `i < limit`. With `lanes` > 1 each
 * invocation owns `lanes` consecutive indices starting at i (a multiple of `lanes`).
 */
export function linearMain(limit: string, body: string, lanes = 1): string {
  return `${LINEAR_INDEX}
@compute @workgroup_size(${LINEAR_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = linearIndex(gid, groups)${lanes > 1 ? ` * ${lanes}u` : ''};
  if (i >= ${limit}) { return; }
${body}
}
`;
}
