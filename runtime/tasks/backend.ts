// Which executor trains a task's models: WebGPU when an adapter exists (a GPU, or lavapipe on a
// CPU-only machine), else the float64 reference executor with a warning that names the install step.
import { deviceLabel } from '../device/adapter-description.js';
import { GpuDevice, INSTALL_HINT } from '../device/index.js';
import { webgpuExecutor } from '../gpu/index.js';
import type { ExecutorFactory } from '../train/executor.js';
import { HintedError } from '../util/hinted-error.js';
import { referenceExecutor } from '../train/reference-executor.js';

export interface BackendChoice {
  factory: ExecutorFactory;
  /** What runs the models, for logs and reports. */
  device: string;
  /** The adapter behind `factory`, when it is WebGPU (INR fitting and gradient inputs use it directly). */
  gpu?: GpuDevice;
}

/** `--backend webgpu` (or a task that needs the device) on a machine without an adapter. */
export class NoAdapterError extends HintedError {
  constructor(message: string, hint = 'or run with --backend reference (float64, slow)') {
    super(message, hint);
  }
}

const REFERENCE: BackendChoice = { factory: referenceExecutor, device: 'float64 reference executor (CPU)' };

export async function chooseBackend(kind: 'auto' | 'webgpu' | 'reference'): Promise<BackendChoice> {
  if (kind === 'reference') return REFERENCE;
  // The polling throttle gives lavapipe's worker threads the core that dawn.node's busy-wait takes.
  const gpu = await GpuDevice.open({ throttlePolling: true });
  if (gpu === null) {
    if (kind === 'webgpu') throw new NoAdapterError(`no WebGPU adapter found. ${INSTALL_HINT}`);
    process.stderr.write(`warning: no WebGPU adapter found; training on the float64 reference executor (slow). To fix: ${INSTALL_HINT}\n`);
    return REFERENCE;
  }
  return { factory: webgpuExecutor(gpu), device: deviceLabel(gpu.description), gpu };
}
