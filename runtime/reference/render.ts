// Rendering a target with Θ-valued weights (ops `render`, `render_vjp`), in float64: each batch
// element's θ is an MLP evaluated at that element's coordinates (runtime/targets/mlp.ts does the
// forward and backward passes).
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { mlpOutputModel } from '../targets/mlp.js';
import type { OutputModel } from '../targets/fisher.js';
import { broadcastDims, expand, type Dims4, type Value4 } from './tensor.js';

/** y[b, k, :] = f_θb(coords[b, k]); θ is [B|1, 1, P, 1], coords [B|1, 1, n, d_0]. */
export function render(theta: Value4, coords: Value4, layout: TargetLayout): Value4 {
  const { batch, points, width, models } = perElement(theta, coords, layout);
  const out = new Float64Array(batch * points * width);
  models.forEach((model, b) => out.set(model.outputs, b * points * width));
  return { data: out, dims: [batch, 1, points, width] };
}

/** dθ[b] = Σ_k (∂f_θb(coords[b, k])/∂θ)ᵀ dy[b, k]; the result has θ's dims with dy's batch. */
export function renderVjp(theta: Value4, coords: Value4, dy: Value4, layout: TargetLayout): Value4 {
  const { batch, points, width, models } = perElement(theta, coords, layout, dy.dims[0]);
  const P = layout.paramCount;
  const seeds = expand(dy, [batch, 1, points, width]);
  const out = new Float64Array(batch * P);
  models.forEach((model, b) => {
    const grad = out.subarray(b * P, (b + 1) * P);
    for (let k = 0; k < points; k++) model.vjp(k, seeds.subarray((b * points + k) * width, (b * points + k + 1) * width), grad);
  });
  return { data: out, dims: [batch, 1, P, 1] };
}

/** One MLP forward pass per batch element (θ and coordinates broadcast along the batch). */
function perElement(theta: Value4, coords: Value4, layout: TargetLayout, dyBatch = 1): { batch: number; points: number; width: number; models: OutputModel[] } {
  if (layout.spec.kind !== 'mlp') throw new Error(`internal: render needs an mlp target, got ${layout.name}`);
  const widths = layout.spec.widths;
  const d0 = widths[0]!;
  const points = coords.dims[2];
  const batch = Math.max(theta.dims[0], coords.dims[0], dyBatch);
  const thetas = expand(theta, broadcastDims(theta.dims, [batch, 1, 1, 1]));
  const xs = expand(coords, broadcastDims(coords.dims, [batch, 1, 1, 1]) as Dims4);
  const P = layout.paramCount;
  const models = Array.from({ length: batch }, (_, b) => mlpOutputModel(layout, {
    count: points,
    inputs: xs.subarray(b * points * d0, (b + 1) * points * d0),
    theta: thetas.subarray(b * P, (b + 1) * P),
  }));
  return { batch, points, width: widths.at(-1)!, models };
}
