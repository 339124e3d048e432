// The INR editor's training on WebGPU follows the float64 reference executor's trajectory, step by
// step: WS + GradMetaNet of dsl-examples/inr_editing.gmn at width 16 (the narrow-output matmul
// workgroups and the z-split weight-gradient kernels of the width-16 editors), rendering θ + Δθ,
// AdamW. Steps queued without awaiting (as the task's loop does) give the same numbers, bit for bit,
// as steps awaited one by one.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { lowerNet } from '../../compiler/ir/lower.js';
import { lookup } from '../../compiler/resolve/resolve.js';
import { elaborateTarget } from '../../compiler/spaces/elaborate.js';
import { webgpuExecutor } from '../../runtime/gpu/index.js';
import { IMAGE_PIXELS } from '../../runtime/inr/images.js';
import { tensor } from '../../runtime/reference/tensor.js';
import { initMlpBatch } from '../../runtime/targets/mlp-init.js';
import type { Batch, Executor, TrainState } from '../../runtime/train/executor.js';
import { initParams } from '../../runtime/train/init.js';
import { initOptimizerState, type OptimizerConfig } from '../../runtime/train/optimizers.js';
import { referenceExecutor } from '../../runtime/train/reference-executor.js';
import { Rng } from '../../runtime/util/rng.js';
import { expectClose, openTestGpu } from '../device/gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const STEPS = 3;
const BATCH = 3;
const SET_SIZE = 8;

function editor() {
  const { program } = checkFiles([join(import.meta.dirname, '..', '..', 'dsl-examples', 'inr_editing.gmn')]);
  const root = program.roots[0]!;
  const sym = lookup(root, 'MnistInr');
  if (sym?.kind !== 'target') throw new Error('inr_editing.gmn declares no MnistInr');
  const layout = elaborateTarget(sym.decl);
  if (!layout.ok) throw new Error('MnistInr does not elaborate');
  const args = new Map([['gmn_width', 16], ['width', 16], ['layers', 1], ['out_scale', 1]]);
  const lowered = lowerNet({ program, module: root, net: 'ws_gradmetanet', args, target: layout.value, setSize: SET_SIZE });
  if (!lowered.ok) throw new Error(lowered.diagnostics[0]!.message);
  return { ...lowered.value, layout: layout.value };
}

function batches(e: ReturnType<typeof editor>): Batch[] {
  const rng = new Rng(11);
  const N = e.layout.neuronCount;
  return Array.from({ length: STEPS }, () => ({
    inputs: new Map([
      ['theta', tensor([BATCH, e.layout.paramCount, 1], initMlpBatch(e.layout, BATCH, rng))],
      ['grads', tensor([BATCH, SET_SIZE, N, 2], Array.from({ length: BATCH * SET_SIZE * N * 2 }, () => rng.normal()))],
    ]),
    target: tensor([BATCH, IMAGE_PIXELS, 1], Array.from({ length: BATCH * IMAGE_PIXELS }, () => rng.range(-1, 1))),
  }));
}

describe.skipIf(gpu === null)('INR editor training on WebGPU', () => {
  const e = editor();
  const optimizer: OptimizerConfig = { kind: 'adamw', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-3 };
  const start = (): TrainState => {
    const params = initParams(e.graph, new Rng(5));
    return { params, optimizer: initOptimizerState(optimizer, params), step: 0 };
  };
  const program = { net: e.graph, inst: e.instantiation, loss: 'mse' as const, optimizer };
  const data = batches(e);

  const run = async (executor: Executor, queued: boolean): Promise<{ losses: number[]; state: TrainState }> => {
    try {
      const losses = queued ? await Promise.all(data.map((b) => executor.trainStep(b))) : [];
      if (!queued) for (const b of data) losses.push(await executor.trainStep(b));
      return { losses, state: await executor.readState() };
    } finally {
      executor.dispose();
    }
  };

  it(`follows the float64 reference over ${STEPS} AdamW steps (width 16, Γ_${SET_SIZE}[2], batch ${BATCH}), queued or awaited alike`, async () => {
    const want = await run(await referenceExecutor(program, start()), false);
    const awaited = await run(await webgpuExecutor(gpu!)(program, start()), false);
    const queued = await run(await webgpuExecutor(gpu!)(program, start()), true);
    expect(want.losses[STEPS - 1]).not.toBe(want.losses[0]);
    expectClose(awaited.losses, want.losses, 1e-4, 1e-6);
    for (const [name, values] of want.state.params) expectClose(awaited.state.params.get(name)!, values, 1e-3, 1e-5);
    expect(queued.losses).toEqual(awaited.losses);
    for (const [name, values] of awaited.state.params) expect(queued.state.params.get(name)).toEqual(values);
  });
});
