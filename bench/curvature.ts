// Training-step throughput of the curvature-task GradMetaNet, in the configuration of the PyTorch
// anchor (`shared/bench/torch_gmn.py`): SIREN 1→32→32→1 target, a set of b = 128 gradients,
// width 64, 2 set layers, pool, 2 neuron layers, pair readout, batch 32, MSE, Adam. One step =
// forward + loss + backward + Adam, one submit; only the losses come back.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { lowerNet } from '../compiler/ir/lower.js';
import { shapeOf } from '../compiler/ir/types.js';
import { loadModules } from '../compiler/resolve/load.js';
import { nodeModuleFiles } from '../compiler/resolve/node-files.js';
import { defaultStdRoot } from '../compiler/resolve/package-root.js';
import { resolveProgram } from '../compiler/resolve/resolve.js';
import { mlpLayout } from '../compiler/spaces/target.js';
import type { GpuDevice, KernelTimes } from '../runtime/device/index.js';
import { deviceGraphs, GpuExecutor, GpuTrainer, layoutTables } from '../runtime/gpu/index.js';
import { adam } from '../runtime/train/optimizers.js';
import { Rng } from '../runtime/util/rng.js';

export const CURVATURE_CONFIG = { widths: [1, 32, 32, 1], setSize: 128, width: 64, k1: 2, k2: 2, pe: 16, batch: 32 };

/** A curvature-task model to time: the std net, its arguments, the set size and the batch. */
export interface CurvatureModel {
  /** The std module that defines the net. */
  module: string;
  net: string;
  args: Array<[string, number]>;
  setSize: number;
  batch: number;
  /** The target SIREN's layer widths (default: the anchor's 1→32→32→1). */
  widths?: number[];
}

/** The anchor configuration above (the PyTorch comparison). */
export const ANCHOR_MODEL: CurvatureModel = {
  module: 'gradmetanet',
  net: 'gradmetanet',
  args: [['width', CURVATURE_CONFIG.width], ['k1', CURVATURE_CONFIG.k1], ['k2', CURVATURE_CONFIG.k2], ['pe', CURVATURE_CONFIG.pe]],
  setSize: CURVATURE_CONFIG.setSize,
  batch: CURVATURE_CONFIG.batch,
};

/** The models of `dsl-examples/curvature.gmn --preset quick` (b = 16, batch 32). */
export const QUICK_MODELS: Record<string, CurvatureModel> = {
  gradmetanet_b16: { module: 'gradmetanet', net: 'gradmetanet', args: [['width', 32]], setSize: 16, batch: 32 },
  gradmetanet_pp: { module: 'gradmetanet_pp', net: 'gradmetanet_pp', args: [['width', 16], ['heads', 2]], setSize: 16, batch: 32 },
  dws_concat: { module: 'baselines', net: 'dws_concat', args: [['width', 30]], setSize: 16, batch: 32 },
  gmn_concat: { module: 'baselines', net: 'gmn_concat', args: [['width', 30]], setSize: 16, batch: 32 },
};

export interface CurvatureBench {
  trainStepMs: number;
  /** CPU time (all threads of this process) per training step. */
  trainCpuMs: number;
  examplesPerS: number;
  inferMs: number;
  inferExamplesPerS: number;
  params: number;
  /** Per-dispatch times of the last training step, when the device profiles. */
  profile: KernelTimes | null;
}

export async function benchCurvature(gpu: GpuDevice, steps = 5, planning: { epilogues?: boolean; maxEpilogueInputs?: number } = {}, model: CurvatureModel = ANCHOR_MODEL): Promise<CurvatureBench> {
  const c = { ...CURVATURE_CONFIG, setSize: model.setSize, batch: model.batch, widths: model.widths ?? CURVATURE_CONFIG.widths };
  const target = mlpLayout('Siren', { kind: 'mlp', widths: c.widths, activation: { kind: 'sine', omega0: 1 }, init: 'gaussian' });
  const stdRoot = defaultStdRoot();
  const file = resolve(stdRoot, '..', 'bench-curvature.gmn');
  const loaded = loadModules([file], { stdRoot, files: nodeModuleFiles((p) => (p === file ? `use std/${model.module}\n` : readOrUndefined(p))) });
  const { program } = resolveProgram(loaded);
  const lowered = lowerNet({
    program, module: program.roots[0]!, net: model.net, target, setSize: c.setSize,
    args: new Map(model.args),
  });
  if (!lowered.ok) throw new Error(`internal: the benchmark net does not lower: ${lowered.diagnostics.map((d) => d.message).join('; ')}`);
  const { instantiation: inst } = lowered.value;
  // As WebGpuExecutor runs it.
  const { forward: graph, step } = deviceGraphs(lowered.value.graph, inst, 'mse');
  const rng = new Rng(0);
  const random = (n: number, s = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * s);
  const size = (id: number): number => shapeOf(graph.nodes[id]!.type, inst).reduce((a, b) => a * b, 1);
  const inputs = new Map([...graph.inputs].map(([name, id]) => [name, random(c.batch * size(id))] as const));
  const netInputs = new Map(inputs);
  inputs.set('target', random(c.batch * size(graph.output)));
  const params = new Map<string, Float32Array>();
  for (const n of graph.nodes) {
    if (n.op.op !== 'param') continue;
    const count = n.op.shape.reduce((a, b) => a * b, 1);
    params.set(n.op.name, random(count, n.op.shape.length === 2 ? 1 / Math.sqrt(n.op.shape[0]!) : 0.01));
  }
  const tables = layoutTables(inst);
  const trainer = new GpuTrainer(gpu, step, inst, adam({ lr: 1e-3 }), tables, planning);
  trainer.setParams(params);
  // Warm-up: plan, pipeline creation and the first dispatch of every kernel (lavapipe's JIT).
  for (let i = 0; i < 2; i++) await trainer.trainStep(inputs, c.batch);
  let t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) await trainer.trainStep(inputs, c.batch);
  const trainStepMs = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(cpu0);
  // CPU time of this process (lavapipe's workers included): steadier than wall time on a shared machine.
  const trainCpuMs = (cpu.user + cpu.system) / 1000 / steps;
  const profile = gpu.lastTimes;
  trainer.release();

  const forward = new GpuExecutor(gpu, graph, inst, { tables, ...planning });
  forward.setParams(params);
  for (let i = 0; i < 2; i++) await forward.run(netInputs, c.batch);
  t0 = performance.now();
  for (let i = 0; i < steps; i++) await forward.run(netInputs, c.batch);
  const inferMs = (performance.now() - t0) / steps;
  forward.release();
  const paramCount = [...params.values()].reduce((a, p) => a + p.length, 0);
  return { trainStepMs, trainCpuMs, examplesPerS: (c.batch * 1000) / trainStepMs, inferMs, inferExamplesPerS: (c.batch * 1000) / inferMs, params: paramCount, profile };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
