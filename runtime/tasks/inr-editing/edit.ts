// Applying a trained editor to one INR (`gmn edit`): a test INR of the benchmark it was trained on,
// or an INR fitted here to the user's 28×28 image. The editor reads what it read in training —
// θ, Γ_points[2] at the same pixels toward the edited image, standardised with the training set's
// statistics, probing activations at the same pixels — so the benchmark's dataset is rebuilt as the
// run built it (its fits come from the cache). The editor runs in float64 on the reference executor.
import { readFileSync } from 'node:fs';
import pngjs from 'pngjs';
import type { Graph } from '../../../compiler/ir/ops.js';
import type { Instantiation } from '../../../compiler/ir/types.js';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import type { GpuDevice } from '../../device/index.js';
import { editImages } from '../../inr/edits.js';
import { fitInrs, pixelGrid } from '../../inr/fit.js';
import { gradientInputs } from '../../inr/grad-inputs.js';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../inr/images.js';
import { executeGraph } from '../../reference/index.js';
import { DataError } from '../../targets/errors.js';
import { mlpForward } from '../../targets/mlp.js';
import { Rng } from '../../util/rng.js';
import type { EditConfig, InrEditingConfig } from './config.js';
import { batchInputs, loadEditDataset, ProbeFeatures, splitsOf, type EditDataset } from './data.js';

export interface EditOutcome {
  /** [28·28] each: the INR as fitted, the edited INR, the edited image (the target). */
  before: Float64Array;
  after: Float64Array;
  target: Float64Array;
  /** θ + Δθ. */
  edited: Float64Array;
  mseBefore: number;
  mseAfter: number;
}

export interface EditRequest {
  gpu: GpuDevice;
  layout: TargetLayout;
  config: InrEditingConfig;
  edit: EditConfig;
  graph: Graph;
  inst: Instantiation;
  params: ReadonlyMap<string, Float64Array>;
  /** A test INR of the benchmark (index into the test split), or a PNG image to fit an INR to. */
  source: { kind: 'test'; index: number } | { kind: 'image'; path: string };
}

export async function editInr(req: EditRequest): Promise<EditOutcome> {
  const { config, layout } = req;
  const data = await loadEditDataset(req.gpu, layout, config, req.edit, () => {});
  const one = req.source.kind === 'test' ? testInr(data, config, req.source.index) : await imageInr(req, data, readImage(req.source.path));
  const inputs = new Map<string, number>();
  for (const [name, id] of req.graph.inputs) inputs.set(name, req.graph.nodes[id]!.type.channels);
  const run = executeGraph(req.graph, req.inst, batchInputs(one, inputs, config.data.points, [0]), req.params);
  const out = req.graph.nodes[req.graph.output]!;
  if (out.op.op !== 'render') throw new Error('internal: an editor ends in render');
  const after = run.output.data;
  const edited = run.values.get(out.op.theta)!.data;
  const grid = Float64Array.from(pixelGrid(IMAGE_SIDE));
  const before = mlpForward(layout, { count: IMAGE_PIXELS, inputs: grid, theta: Float64Array.from(one.theta) }).outputs;
  const target = Float64Array.from(one.targets);
  const mse = (a: Float64Array): number => a.reduce((s, v, p) => s + (v - target[p]!) ** 2, 0) / IMAGE_PIXELS;
  return { before, after, target, edited, mseBefore: mse(before), mseAfter: mse(after) };
}

/** The benchmark's test INR `index`, as a one-INR dataset. */
function testInr(data: EditDataset, config: InrEditingConfig, index: number): EditDataset {
  const test = splitsOf(config).test;
  if (!Number.isInteger(index) || index < 0 || index >= test.count) {
    throw new DataError('data/bad-index', `test INR ${index} does not exist: the benchmark has ${test.count} test INRs`, `use --inr 0..${test.count - 1}`);
  }
  return slice(data, config.data.seed, test.start + index);
}

function slice(data: EditDataset, seed: number, e: number): EditDataset {
  const P = data.layout.paramCount;
  const per = data.grads.length / data.count;
  const theta = data.theta.slice(e * P, (e + 1) * P);
  return {
    ...data, count: 1, theta, psnr: data.psnr.slice(e, e + 1), images: data.images.slice(e * IMAGE_PIXELS, (e + 1) * IMAGE_PIXELS),
    targets: data.targets.slice(e * IMAGE_PIXELS, (e + 1) * IMAGE_PIXELS), grads: data.grads.slice(e * per, (e + 1) * per),
    probes: probesOf(data, seed, theta),
  };
}

/** The probing features of one INR at the pixels the run's ProbeFeatures drew (data.ts: same seed). */
function probesOf(data: EditDataset, seed: number, theta: Float32Array): ProbeFeatures {
  return new ProbeFeatures(data.layout, theta, 1, new Rng(seed * 7919 + 2));
}

/** An INR fitted to `image` as the benchmark's INRs were, with its edit and gradient inputs. */
async function imageInr(req: EditRequest, data: EditDataset, image: Float32Array): Promise<EditDataset> {
  const { config, layout, gpu } = req;
  const grid = pixelGrid(IMAGE_SIDE);
  const fit = await fitInrs(gpu, layout, image, 1, grid, new Rng(config.data.seed), {
    batch: 1, steps: config.data.fitSteps, optimizer: { kind: 'adam', lr: config.data.fitLr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  });
  const targets = await editImages(req.edit.edit, image, 1);
  const grads = await gradientInputs(gpu, layout, fit.theta, targets, 1, grid, data.gradPixels);
  return { ...data, count: 1, theta: fit.theta, psnr: fit.psnr, images: image, targets, grads, probes: probesOf(data, config.data.seed, fit.theta) };
}

/** A 28×28 PNG (grayscale, or colour taken as its luminance) in [−1, 1]. */
export function readImage(path: string): Float32Array {
  let png: pngjs.PNG;
  try {
    png = pngjs.PNG.sync.read(readFileSync(path));
  } catch (e) {
    throw new DataError('data/bad-image', `cannot read ${path} as a PNG image: ${e instanceof Error ? e.message : String(e)}`, 'pass a 28×28 PNG file');
  }
  if (png.width !== IMAGE_SIDE || png.height !== IMAGE_SIDE) {
    throw new DataError('data/bad-image', `${path} is ${png.width}×${png.height} pixels; the INRs are fitted on a ${IMAGE_SIDE}×${IMAGE_SIDE} grid`, `resize it to ${IMAGE_SIDE}×${IMAGE_SIDE} first`);
  }
  // pngjs decodes to RGBA; transparent pixels count as black.
  return Float32Array.from({ length: IMAGE_PIXELS }, (_, p) => {
    const [r, g, b, a] = [0, 1, 2, 3].map((c) => png.data[p * 4 + c]!);
    return ((0.299 * r! + 0.587 * g! + 0.114 * b!) * (a! / 255) / 255) * 2 - 1;
  });
}
