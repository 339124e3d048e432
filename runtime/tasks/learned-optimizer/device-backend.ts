// Where a learned-optimization run's inner steps run. Image-MLP and language-model base tasks train
// on WebGPU when an adapter exists (a GPU, or lavapipe on a CPU-only machine), every PES particle in
// one dispatch series (device-problem.ts), every seed of an evaluation too (device-evaluation.ts);
// without an adapter, or with `--backend reference`, and for the 2-parameter regression, in float64
// on the CPU (inner-task.ts). The choice is made like the curvature task's (tasks/backend.ts) and
// named in the report.
import { GpuDevice, INSTALL_HINT } from '../../device/index.js';
import { NoAdapterError } from '../backend.js';
import { DeviceLearnedOptimizerProblem } from './device-problem.js';
import { LearnedOptimizerProblem, type InnerTask } from './inner-task.js';
import type { LearnedOptimizer } from './learned-optimizer.js';
import type { UnrollProblem } from './pes.js';
import type { RuleState } from './update-rule.js';

export type BackendKind = 'auto' | 'webgpu' | 'reference';

export interface LearnedOptimizerBackend {
  /** The device image tasks train on, or undefined: everything in float64. */
  gpu: GpuDevice | undefined;
  /** What runs the inner steps, for logs, outcomes and the report. */
  device: string;
}

export const FLOAT64_CPU = 'float64 on the CPU';

export async function learnedOptimizerBackend(kind: BackendKind): Promise<LearnedOptimizerBackend> {
  if (kind === 'reference') return { gpu: undefined, device: FLOAT64_CPU };
  // The polling throttle gives lavapipe's worker threads the core that dawn.node's busy-wait takes.
  const gpu = await GpuDevice.open({ throttlePolling: true });
  if (gpu === null) {
    if (kind === 'webgpu') throw new NoAdapterError(`no WebGPU adapter found. ${INSTALL_HINT}`);
    process.stderr.write(`warning: no WebGPU adapter found; the learned optimizers' inner steps run in float64 on the CPU (slow). To fix: ${INSTALL_HINT}\n`);
    return { gpu: undefined, device: FLOAT64_CPU };
  }
  return deviceBackend(gpu);
}

/** The backend of an open device. */
export function deviceBackend(gpu: GpuDevice): LearnedOptimizerBackend {
  const d = gpu.description;
  return { gpu, device: `image-MLP and language-model tasks on WebGPU ${d.path} (${d.description}; float32; PES particles, and the seeds of each evaluation, batched); the 2-parameter regression ${FLOAT64_CPU}` };
}

/** Whether a base task of this kind has a device form (needs the device, when there is one). */
export function runsOnDevice(kind: string): boolean {
  return kind === 'image_mlp' || kind === 'language_model';
}

/** The PES inner problem of `task` under `optimizer`: on the device when there is one and the task has a device form. */
export function innerProblem(gpu: GpuDevice | undefined, task: InnerTask, optimizer: LearnedOptimizer): UnrollProblem<RuleState> & { release?(): Promise<void> } {
  if (gpu !== undefined && task.device !== undefined) return new DeviceLearnedOptimizerProblem(gpu, task, optimizer);
  return new LearnedOptimizerProblem(task, optimizer);
}
