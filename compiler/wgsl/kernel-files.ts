// The file name of each of a plan's kernels, as `gmn compile` writes them and the playground lists them.
import type { Plan } from './plan.js';

/** Distinct file names for the plan's kernels (`matmul_fast_8x8.wgsl`, `fused.wgsl`, `fused_2.wgsl`, ...). */
export function kernelFiles(plan: Plan): string[] {
  const seen = new Map<string, number>();
  return plan.kernels.map((k) => {
    const n = (seen.get(k.name) ?? 0) + 1;
    seen.set(k.name, n);
    return `${n === 1 ? k.name : `${k.name}_${n}`}.wgsl`;
  });
}
