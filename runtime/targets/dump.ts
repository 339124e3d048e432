// `gmn run --dump-grads DIR`: a batch of decomposed gradients written as a directory of .npy files
// plus manifest.json (format: docs/grad-format.md).
//   factors.npy    [items, N, 2]  Γ_b: channel 0 = a, channel 1 = g (boundary convention in the doc)
//   grads.npy      [examples, P]  per-example gradients in Θ (optional)
//   mean_grad.npy  [P]            the batch-loss gradient (optional)
//   losses.npy     [examples]     per-example losses (optional)
//   theta.npy      [P] or [examples, P]   the parameters the gradients were taken at  } with `loss`
//   inputs.npy     [examples, d_0], token ids [examples, T] (int32), images [examples, C·H·W] } in the manifest:
//   targets.npy    regression targets, class or next-token ids (int32); none for `output` } what produced them
//   manifest.json  shapes, dtype, the loss kind, the target's spec, segments and parameter blocks
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CnnLayout } from '../../compiler/spaces/cnn.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { cnnPerExampleGradients, type CnnGradients } from './cnn.js';
import { DataError } from './errors.js';
import { gradientsFromFactors, meanGradient } from './factors.js';
import type { MlpGradients } from './mlp.js';
import { writeNpy } from './npy.js';
import type { TransformerGradients } from './transformer.js';

// Version 2 added theta, inputs, targets and `loss`: a dump that can be recomputed from itself.
export const GRAD_FORMAT_VERSION = 2;

export interface GradBundle {
  /** [examples · itemsPerExample, N, 2], items of one example contiguous. */
  factors: Float64Array;
  examples: number;
  /** 1 for an MLP; the tokens per sequence for a transformer; the positions H·W for a CNN. */
  itemsPerExample: number;
  perExample?: Float64Array;
  meanGradient?: Float64Array;
  losses?: Float64Array;
  source?: GradSource;
}

/**
 * The loss the gradients are of: `output` (ℓ = f(x), scalar outputs), `mse` (½‖f(x) − y‖²),
 * `cross_entropy` (−log softmax(f(x))_y), `next_token_nll` (a sequence's summed next-token NLL).
 */
export type GradLossKind = 'output' | 'mse' | 'cross_entropy' | 'next_token_nll';

/** What produced a bundle, so that a reader can recompute it from the dump alone. */
export interface GradSource {
  loss: GradLossKind;
  /** θ in layout order, [P] shared by every example or [examples, P]. */
  theta: Float64Array;
  /** MLP: [examples, d_0]; transformer: token ids [examples, T]. */
  inputs: Float64Array | Int32Array;
  /** mse: [examples, d_L]; cross_entropy: [examples] class ids; next_token_nll: [examples, T] token ids; absent for `output`. */
  targets?: Float64Array | Int32Array;
}

export interface DumpOptions {
  /** Storage type of every array; float32 by default (float64 keeps the reference's precision). */
  dtype?: 'float32' | 'float64';
}

interface ArrayEntry { file: string; shape: number[] }

type AnyArray = Float64Array | Int32Array;

export interface GradManifest {
  format: 'gmn-grads';
  version: number;
  target: string;
  spec: TargetLayout['spec'];
  /** Of the real arrays; id arrays (tokens, classes) are int32 whatever this says. */
  dtype: 'float32' | 'float64';
  /** Absent when the bundle did not say what produced it (no theta, inputs or targets then). */
  loss?: GradLossKind;
  examples: number;
  itemsPerExample: number;
  channels: ['a', 'g'];
  arrays: Record<string, ArrayEntry>;
  segments: TargetLayout['segments'];
  params: TargetLayout['params'];
  neuronCount: number;
  paramCount: number;
}

export function mlpGradBundle(layout: TargetLayout, grads: MlpGradients, source?: GradSource): GradBundle {
  const perExample = gradientsFromFactors(layout, grads.factors, grads.count);
  return {
    factors: grads.factors, examples: grads.count, itemsPerExample: 1, perExample,
    meanGradient: meanGradient(perExample, grads.count, layout.paramCount), losses: grads.losses,
    ...(source === undefined ? {} : { source }),
  };
}

export function transformerGradBundle(layout: TargetLayout, grads: TransformerGradients, source?: GradSource): GradBundle {
  return {
    factors: grads.factors, examples: grads.sequences, itemsPerExample: grads.length, perExample: grads.perExample,
    meanGradient: meanGradient(grads.perExample, grads.sequences, layout.paramCount), losses: grads.losses,
    ...(source === undefined ? {} : { source }),
  };
}

export function cnnGradBundle(layout: CnnLayout, grads: CnnGradients, source?: GradSource): GradBundle {
  const perExample = cnnPerExampleGradients(layout, grads);
  return {
    factors: grads.factors, examples: grads.count, itemsPerExample: layout.positions, perExample,
    meanGradient: meanGradient(perExample, grads.count, layout.paramCount), losses: grads.losses,
    ...(source === undefined ? {} : { source }),
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
  const put = (key: string, values: AnyArray | undefined, shape: number[]): void => {
    if (values === undefined) return;
    const file = `${key}.npy`;
    writeNpy(join(dir, file), values, shape, values instanceof Int32Array ? 'int32' : dtype);
    arrays[key] = { file, shape };
  };
  const perExample = (values: AnyArray): number[] => [bundle.examples, values.length / bundle.examples];
  put('factors', bundle.factors, [items, layout.neuronCount, 2]);
  put('grads', bundle.perExample, [bundle.examples, layout.paramCount]);
  put('mean_grad', bundle.meanGradient, [layout.paramCount]);
  put('losses', bundle.losses, [bundle.examples]);
  const source = bundle.source;
  if (source !== undefined) {
    put('theta', source.theta, source.theta.length === layout.paramCount ? [layout.paramCount] : [bundle.examples, layout.paramCount]);
    put('inputs', source.inputs, perExample(source.inputs));
    if (source.targets !== undefined) put('targets', source.targets, source.loss === 'cross_entropy' ? [bundle.examples] : perExample(source.targets));
  }
  const manifest: GradManifest = {
    format: 'gmn-grads', version: GRAD_FORMAT_VERSION, target: layout.name, spec: layout.spec, dtype,
    ...(source === undefined ? {} : { loss: source.loss }),
    examples: bundle.examples, itemsPerExample: bundle.itemsPerExample, channels: ['a', 'g'], arrays,
    segments: layout.segments, params: layout.params, neuronCount: layout.neuronCount, paramCount: layout.paramCount,
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
