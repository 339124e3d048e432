// How far and how fast can an INR edit go when nothing but the optimiser limits it (issue 26)?
// The "free Δθ" bound: every training INR of a task's first edit gets its own Δθ, optimised
// directly with Adam on the editing loss mean((render(θ + s ⊙ u) − edited image)²), u from 0, on the
// device. Two parameterisations of Δθ = s ⊙ u: `plain` (s = 1) and `block-scaled` (s = the RMS of
// θ's block over the training INRs, the same per-block scale an editor's `block_scale` input gets),
// at several learning rates. Printed as JSON: the mean MSE every `every` steps, the first step at or
// below the issue's 0.046, and the RMS of the final Δθ per parameter block against θ's own RMS
// there (what an editor must output, block by block).
//
//   npx esbuild scripts/inr-edit-bounds.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=dist/inr-edit-bounds.mjs
//   node dist/inr-edit-bounds.mjs FILE PRESET [INRS] [STEPS] > OUT.json
import { resolve } from 'node:path';
import { checkFiles } from '../compiler/check.js';
import { GraphBuilder } from '../compiler/ir/graph-builder.js';
import type { Instantiation } from '../compiler/ir/types.js';
import type { TargetLayout } from '../compiler/spaces/target.js';
import { GpuDevice } from '../runtime/device/index.js';
import { pixelGrid } from '../runtime/inr/fit.js';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../runtime/inr/images.js';
import { fitParamSets } from '../runtime/param-sets/fit.js';
import { inrEditingConfig } from '../runtime/tasks/inr-editing/config.js';
import { blockScale, loadEditDataset, splitsOf } from '../runtime/tasks/inr-editing/data.js';
import { taskTarget } from '../runtime/tasks/task-target.js';

const TARGET_MSE = 0.046;
const LEARNING_RATES = [0.001, 0.003, 0.01];

const [file, preset, inrsArg, stepsArg] = process.argv.slice(2);
if (file === undefined || preset === undefined) {
  console.error('usage: node dist/inr-edit-bounds.mjs FILE PRESET [INRS] [STEPS]');
  process.exit(2);
}
const { program } = checkFiles([resolve(file)]);
const root = program.roots[0]!;
const task = [...root.symbols.tasks.values()][0]!;
const config = inrEditingConfig(task, preset);
const layout = taskTarget(root, task, config.target);
const gpu = await GpuDevice.open({ throttlePolling: true });
if (gpu === null) throw new Error('no WebGPU adapter');
const data = await loadEditDataset(gpu, layout, config, config.edits[0]!, () => {});
const train = splitsOf(config).train;
const count = Math.min(Number(inrsArg ?? 64), train.count);
const steps = Number(stepsArg ?? 500);
const every = 10;
const P = layout.paramCount;
const theta0 = data.theta.slice(train.start * P, (train.start + count) * P);
const images = data.targets.slice(train.start * IMAGE_PIXELS, (train.start + count) * IMAGE_PIXELS);
const scales = blockScale(layout, data.theta.subarray(train.start * P, (train.start + train.count) * P), train.count);

const runs = [];
for (const parameterisation of ['plain', 'block-scaled'] as const) {
  const s = parameterisation === 'plain' ? new Float32Array(P).fill(1) : scales;
  for (const lr of LEARNING_RATES) {
    const started = performance.now();
    const curve: { step: number; mse: number }[] = [];
    const problem = editProblem(layout, theta0, images, s, count);
    const fit = await fitParamSets(gpu, problem, new Float32Array(count * P), {
      steps, optimizer: { kind: 'adam', lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      progress: { every, report: (step, mse) => curve.push({ step, mse: round(mse) }) },
    });
    const final = fit.losses.reduce((a, b) => a + b, 0) / count;
    runs.push({
      parameterisation, lr, steps, finalMse: round(final),
      firstStepAtTarget: curve.find((p) => p.mse <= TARGET_MSE)?.step ?? null,
      seconds: round((performance.now() - started) / 1000),
      deltaRmsByBlock: blockRms(layout, fit.theta, count, s),
      curve,
    });
    console.error(`${parameterisation} lr ${lr}: mse ${final.toPrecision(3)} after ${steps} steps`);
  }
}
console.log(JSON.stringify({
  file, preset, edit: config.edits[0]!.label, inrs: count, split: 'train', targetMse: TARGET_MSE,
  thetaRmsByBlock: Object.fromEntries(layout.params.map((b) => [b.name, round(scales[b.offset]!)])), runs,
}, null, 1));
gpu.destroy();

/** mean over points of (render(base + scale ⊙ theta) − image)², per INR: theta is the free u. */
function editProblem(layout: TargetLayout, base: Float32Array, images: Float32Array, scale: Float32Array, count: number) {
  const inst: Instantiation = { targets: new Map([[layout.name, layout]]) };
  const g = new GraphBuilder('free_edit', inst);
  const params = { set: null, site: { kind: 'params' as const, target: layout.name }, channels: 1 };
  const pixels = { kind: 'fixed' as const, size: IMAGE_PIXELS, label: 'points' };
  const u = g.input('theta', params);
  const edited = g.binary('add', g.input('base', params), g.binary('mul', g.input('scale', params), u));
  const coords = g.input('coords', { set: null, site: pixels, channels: 2 });
  const residual = g.binary('sub', g.render(edited, coords), g.input('image', { set: null, site: pixels, channels: 1 }));
  const loss = g.finish(g.reduce('mean', g.channelSum(g.unary('square', residual)), ['site']));
  const grid = pixelGrid(IMAGE_SIDE);
  const repeat = (x: Float32Array): Float32Array => {
    const out = new Float32Array(count * x.length);
    for (let i = 0; i < count; i++) out.set(x, i * x.length);
    return out;
  };
  return { loss, inst, count, data: new Map([['base', base], ['scale', repeat(scale)], ['coords', repeat(grid)], ['image', images]]) };
}

/** RMS of Δθ = s ⊙ u per parameter block, over the INRs. */
function blockRms(layout: TargetLayout, u: Float32Array, count: number, s: Float32Array): Record<string, number> {
  return Object.fromEntries(layout.params.map((b) => {
    const size = b.rows * (b.cols ?? 1);
    let sq = 0;
    for (let e = 0; e < count; e++) for (let i = b.offset; i < b.offset + size; i++) sq += (s[i]! * u[e * layout.paramCount + i]!) ** 2;
    return [b.name, round(Math.sqrt(sq / (count * size)))];
  }));
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
