// Opens the test device once per file. Tests skip (with a message saying why and how to fix it)
// only when the machine has no WebGPU adapter at all; on a machine with lavapipe they run there.
import type { Graph } from '../../compiler/ir/ops.js';
import { shapeOf, type Instantiation } from '../../compiler/ir/types.js';
import { GpuDevice, INSTALL_HINT } from '../../runtime/device/index.js';
import { tensor, type Tensor } from '../../runtime/reference/index.js';
import type { Batch, TrainState } from '../../runtime/train/executor.js';
import { initOptimizerState, type OptimizerConfig } from '../../runtime/train/optimizers.js';
import type { Rng } from '../../runtime/util/rng.js';

export async function openTestGpu(): Promise<GpuDevice | null> {
  const gpu = await GpuDevice.open({ checked: true });
  if (gpu === null) {
    console.warn(`SKIPPED: no WebGPU adapter on this machine, GPU tests do not run. To run them: ${INSTALL_HINT}`);
  }
  return gpu;
}

/** Float32 agreement with a float64 oracle: |got − want| ≤ atol + rtol·|want| everywhere. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol = 2e-5, atol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i]! - want[i]!) - (atol + rtol * Math.abs(want[i]!));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) throw new Error(`mismatch at ${worst}: got ${got[worst]}, want ${want[worst]} (of ${want.length} values)`);
}

/** n random `grads` sets of a net with random targets of its output's shape (standard normal). */
export function randomBatch(net: Graph, inst: Instantiation, n: number, rng: Rng): Batch {
  const random = (shape: number[]): Tensor => tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()));
  return {
    inputs: new Map([['grads', random([n, ...shapeOf(net.nodes[net.inputs.get('grads')!]!.type, inst)])]]),
    target: random([n, ...shapeOf(net.nodes[net.output]!.type, inst)]),
  };
}

/** Every param of a net drawn N(0, 0.3²), with fresh optimizer slots, at step 0. */
export function randomState(net: Graph, optimizer: OptimizerConfig, rng: Rng): TrainState {
  const params = new Map(net.nodes.flatMap((n) => (n.op.op === 'param' ? [[n.op.name, Float64Array.from({ length: n.op.shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.3)] as const] : [])));
  return { params, optimizer: initOptimizerState(optimizer, params), step: 0 };
}
