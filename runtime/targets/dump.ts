// `gmn run --dump-grads DIR`: a batch of decomposed gradients written as a directory of .npy files
// plus manifest.json (format: docs/grad-format.md).
//   factors.npy    [items, N, 2]  Γ_b: channel 0 = a, channel 1 = g (boundary convention in the doc)
//   grads.npy      [examples, P]  per-example gradients in Θ (optional)
//   mean_grad.npy  [P]            the batch-loss gradient (optional)
//   losses.npy     [examples]     per-example losses (optional)
//   manifest.json  shapes, dtype, the target's spec, segments and parameter blocks
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { DataError } from './errors.js';
import { gradientsFromFactors, meanGradient } from './factors.js';
import type { MlpGradients } from './mlp.js';
import { writeNpy } from './npy.js';
import type { TransformerGradients } from './transformer.js';

export const GRAD_FORMAT_VERSION = 1;

export interface GradBundle {
  /** [examples · itemsPerExample, N, 2], items of one example contiguous. */
  factors: Float64Array;
  examples: number;
  /** 1 for an MLP; the tokens per sequence for a transformer. */
  itemsPerExample: number;
  perExample?: Float64Array;
  meanGradient?: Float64Array;
  losses?: Float64Array;
}

export interface DumpOptions {
  /** Storage type of every array; float32 by default (float64 keeps the reference's precision). */
  dtype?: 'float32' | 'float64';
}

interface ArrayEntry { file: string; shape: number[] }

export interface GradManifest {
  format: 'gmn-grads';
  version: number;
  target: string;
  spec: TargetLayout['spec'];
  dtype: 'float32' | 'float64';
  examples: number;
  itemsPerExample: number;
  channels: ['a', 'g'];
  arrays: Record<string, ArrayEntry>;
  segments: TargetLayout['segments'];
  params: TargetLayout['params'];
  neuronCount: number;
  paramCount: number;
}

export function mlpGradBundle(layout: TargetLayout, grads: MlpGradients): GradBundle {
  const perExample = gradientsFromFactors(layout, grads.factors, grads.count);
  return {
    factors: grads.factors, examples: grads.count, itemsPerExample: 1, perExample,
    meanGradient: meanGradient(perExample, grads.count, layout.paramCount), losses: grads.losses,
  };
}

export function transformerGradBundle(layout: TargetLayout, grads: TransformerGradients): GradBundle {
  return {
    factors: grads.factors, examples: grads.sequences, itemsPerExample: grads.length, perExample: grads.perExample,
    meanGradient: meanGradient(grads.perExample, grads.sequences, layout.paramCount), losses: grads.losses,
  };
}

/** Writes the bundle into directory `dir` (created if missing) and returns the manifest written. */
export function dumpGrads(layout: TargetLayout, bundle: GradBundle, dir: string, options: DumpOptions = {}): GradManifest {
  const dtype = options.dtype ?? 'float32';
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new DataError('dump/not-a-directory', `cannot dump gradients into ${dir}: it is a file`, 'give --dump-grads a directory path (it is created if missing)');
  }
  mkdirSync(dir, { recursive: true });
  const items = bundle.examples * bundle.itemsPerExample;
  const arrays: Record<string, ArrayEntry> = {};
  const put = (key: string, values: Float64Array | undefined, shape: number[]): void => {
    if (values === undefined) return;
    const file = `${key}.npy`;
    writeNpy(join(dir, file), values, shape, dtype);
    arrays[key] = { file, shape };
  };
  put('factors', bundle.factors, [items, layout.neuronCount, 2]);
  put('grads', bundle.perExample, [bundle.examples, layout.paramCount]);
  put('mean_grad', bundle.meanGradient, [layout.paramCount]);
  put('losses', bundle.losses, [bundle.examples]);
  const manifest: GradManifest = {
    format: 'gmn-grads', version: GRAD_FORMAT_VERSION, target: layout.name, spec: layout.spec, dtype,
    examples: bundle.examples, itemsPerExample: bundle.itemsPerExample, channels: ['a', 'g'], arrays,
    segments: layout.segments, params: layout.params, neuronCount: layout.neuronCount, paramCount: layout.paramCount,
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
