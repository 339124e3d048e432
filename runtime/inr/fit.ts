// Fitting INRs (SIRENs) to images, many per dispatch: every image gets its own θ, initialised as
// the target declares (SIREN init), and all are trained together with Adam on the per-image MSE
// between the rendering on the pixel grid and the image (runtime/param-sets/fit.ts).
import { GraphBuilder } from '../../compiler/ir/graph-builder.js';
import { pixelGrid as pixelGridTable } from '../../compiler/spaces/tables.js';
import type { Graph } from '../../compiler/ir/ops.js';
import type { Instantiation } from '../../compiler/ir/types.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import type { GpuDevice } from '../device/index.js';
import { fitParamSets, type FitOptions, type ParamSetProblem } from '../param-sets/fit.js';
import { initMlpBatch } from '../targets/mlp-init.js';
import type { Rng } from '../util/rng.js';

/** The pixel centres of a side×side image on [−1, 1]² (linspace, endpoints included), as (x, y) = (column, row): the `render` builtin's grid. */
export function pixelGrid(side: number): Float32Array {
  return Float32Array.from(pixelGridTable(side));
}

/** mean over points of (f_θ(coords) − image)²: theta weights(T)[1], coords fixed(n)[d_0], image fixed(n)[d_L]. */
export function inrLossGraph(layout: TargetLayout, points: number): { graph: Graph; inst: Instantiation } {
  if (layout.spec.kind !== 'mlp') throw new Error(`internal: INRs are mlp targets, ${layout.name} is not`);
  const inst: Instantiation = { targets: new Map([[layout.name, layout]]) };
  const g = new GraphBuilder('inr_fit', inst);
  const site = { kind: 'fixed' as const, size: points, label: 'points' };
  const theta = g.input('theta', { set: null, site: { kind: 'params', target: layout.name }, channels: 1 });
  const coords = g.input('coords', { set: null, site, channels: layout.spec.widths[0]! });
  const image = g.input('image', { set: null, site, channels: layout.spec.widths.at(-1)! });
  const residual = g.binary('sub', g.render(theta, coords), image);
  const loss = g.reduce('mean', g.channelSum(g.unary('square', residual)), ['site']);
  return { graph: g.finish(loss), inst };
}

/** The fitting problem of `count` images ([count, n·d_L]) at `grid` ([n, d_0]). */
export function inrProblem(layout: TargetLayout, images: Float32Array, count: number, grid: Float32Array): ParamSetProblem {
  const d0 = layout.spec.kind === 'mlp' ? layout.spec.widths[0]! : 0;
  const points = grid.length / d0;
  const { graph, inst } = inrLossGraph(layout, points);
  const coords = new Float32Array(count * grid.length);
  for (let i = 0; i < count; i++) coords.set(grid, i * grid.length);
  return { loss: graph, inst, count, data: new Map([['coords', coords], ['image', images]]) };
}

export interface FittedInrs {
  /** [count, P]. */
  theta: Float32Array;
  /** [count]: the fit's PSNR in dB, for images in [−1, 1] (peak-to-peak 2). */
  psnr: Float32Array;
}

/** Fits one INR per image, `batch` images per dispatch (the rest of the batch loop is sequential). */
export async function fitInrs(gpu: GpuDevice, layout: TargetLayout, images: Float32Array, count: number, grid: Float32Array, rng: Rng, options: FitOptions & { batch: number; onBatch?: (done: number) => void }): Promise<FittedInrs> {
  const P = layout.paramCount;
  const theta = new Float32Array(count * P);
  const psnr = new Float32Array(count);
  const init = Float32Array.from(initMlpBatch(layout, count, rng));
  for (let start = 0; start < count; start += options.batch) {
    const fit = await fitRange(gpu, layout, images, count, grid, init, start, options);
    theta.set(fit.theta, start * P);
    psnr.set(fit.psnr, start);
    options.onBatch?.(start + fit.psnr.length);
  }
  return { theta, psnr };
}

/**
 * The dispatch of `fitInrs` that fits INRs start, start + 1, … (`batch` of them or the rest) on its
 * own: the same numbers as within the whole fit (a job of a queued run: runtime/tasks/inr-editing/jobs.ts).
 */
export async function fitInrBatch(gpu: GpuDevice, layout: TargetLayout, images: Float32Array, count: number, grid: Float32Array, rng: Rng, start: number, options: FitOptions & { batch: number }): Promise<FittedInrs> {
  return fitRange(gpu, layout, images, count, grid, Float32Array.from(initMlpBatch(layout, count, rng)), start, options);
}

async function fitRange(gpu: GpuDevice, layout: TargetLayout, images: Float32Array, count: number, grid: Float32Array, init: Float32Array, start: number, options: FitOptions & { batch: number }): Promise<FittedInrs> {
  const P = layout.paramCount;
  const perImage = images.length / count;
  const n = Math.min(options.batch, count - start);
  const problem = inrProblem(layout, images.subarray(start * perImage, (start + n) * perImage), n, grid);
  const fit = await fitParamSets(gpu, problem, init.subarray(start * P, (start + n) * P), options);
  return { theta: Float32Array.from(fit.theta), psnr: Float32Array.from(fit.losses, psnrOf) };
}

/** PSNR in dB of a mean squared error on [−1, 1] images. */
export function psnrOf(mse: number): number {
  return 10 * Math.log10(4 / mse);
}
