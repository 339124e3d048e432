// INR-editor training throughput: the `default` preset's WS + GradMetaNet editor of
// dsl-examples/inr_editing.gmn (width 16, two backbone layers, GradMetaNet width 16 on Γ_64[2]) on
// SIRENs 2→32→32→1, a batch of 16, AdamW; one step = the editor, rendering θ + Δθ on the 28×28 grid,
// the MSE to the edited image, backward and update in one submit. Inputs are random (SIREN-initialised
// θ, Gaussian Γ): the cost of a step does not depend on the values.
import { join } from 'node:path';
import { checkFiles } from '../compiler/check.js';
import { lowerNet } from '../compiler/ir/lower.js';
import { packageRoot } from '../compiler/resolve/package-root.js';
import { lookup } from '../compiler/resolve/resolve.js';
import { elaborateTarget } from '../compiler/spaces/elaborate.js';
import type { GpuDevice } from '../runtime/device/index.js';
import type { KernelTimes } from '../runtime/device/step.js';
import { webgpuExecutor } from '../runtime/gpu/index.js';
import { IMAGE_PIXELS } from '../runtime/inr/images.js';
import { tensor } from '../runtime/reference/tensor.js';
import { initMlpBatch } from '../runtime/targets/mlp-init.js';
import { initParams } from '../runtime/train/init.js';
import { initOptimizerState } from '../runtime/train/optimizers.js';
import { Rng } from '../runtime/util/rng.js';

export interface EditorBench {
  examplesPerS: number;
  stepMs: number;
  /** CPU time of the process (lavapipe's threads included) per step: less sensitive to other load than stepMs. */
  cpuMs: number;
  batch: number;
  /** Per-dispatch times of the last training step, when the device profiles. */
  profile: KernelTimes | null;
}

export async function benchInrEditor(gpu: GpuDevice, batch = 16, steps = 3): Promise<EditorBench> {
  const { program } = checkFiles([join(packageRoot(), 'dsl-examples', 'inr_editing.gmn')]);
  const root = program.roots[0]!;
  const sym = lookup(root, 'MnistInr');
  if (sym?.kind !== 'target') throw new Error('internal: inr_editing.gmn declares no MnistInr');
  const layout = elaborateTarget(sym.decl);
  if (!layout.ok) throw new Error('internal: MnistInr does not elaborate');
  const args = new Map([['gmn_width', 16], ['width', 16], ['layers', 2]]);
  const lowered = lowerNet({ program, module: root, net: 'ws_gradmetanet', args, target: layout.value, setSize: 64 });
  if (!lowered.ok) throw new Error(`internal: ${lowered.diagnostics[0]?.message}`);
  const { graph, instantiation } = lowered.value;
  const optimizer = { kind: 'adamw' as const, lr: 5e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-3 };
  const params = initParams(graph, new Rng(1));
  const executor = await webgpuExecutor(gpu)({ net: graph, inst: instantiation, loss: 'mse', optimizer }, { params, optimizer: initOptimizerState(optimizer, params), step: 0 });
  const rng = new Rng(2);
  const P = layout.value.paramCount;
  const N = layout.value.neuronCount;
  const grads = Array.from({ length: batch * 64 * N * 2 }, () => rng.normal());
  const inputs = new Map([['theta', tensor([batch, P, 1], initMlpBatch(layout.value, batch, rng))], ['grads', tensor([batch, 64, N, 2], grads)]]);
  const target = tensor([batch, IMAGE_PIXELS, 1], Array.from({ length: batch * IMAGE_PIXELS }, () => rng.range(-1, 1)));
  try {
    await executor.trainStep({ inputs, target }); // compiles the pipelines
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    for (let s = 0; s < steps; s++) await executor.trainStep({ inputs, target });
    const cpu = process.cpuUsage(cpu0);
    const stepMs = (performance.now() - start) / steps;
    return { examplesPerS: (batch * 1000) / stepMs, stepMs, cpuMs: (cpu.user + cpu.system) / 1000 / steps, batch, profile: gpu.lastTimes };
  } finally {
    executor.dispose();
  }
}
