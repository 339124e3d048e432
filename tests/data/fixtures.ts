// Small curvature datasets for the data tests: a tiny SIREN keeps every brute-force check cheap.
import { mlpLayout, type TargetLayout } from '../../compiler/spaces/target.js';
import type { DataConfig } from '../../runtime/tasks/task-config.js';

export const siren: TargetLayout = mlpLayout('Siren', { kind: 'mlp', widths: [1, 5, 4, 1], activation: { kind: 'sine', omega0: 1 }, init: 'gaussian' });

export function dataConfig(overrides: Partial<DataConfig> = {}): DataConfig {
  return { generator: 'random_targets', models: 12, points: 8, labelPoints: 64, inputs: 'mixture', seed: 3, ...overrides };
}

export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return m;
}

export function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
