// What the device tests of the learned-optimizer task share: the update nets of std/optimizers.gmn
// lowered for a small MLP or a small transformer LM, and float32-exact random data (so that the
// device and the float64 reference read the very same numbers).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { mlpLayout, type TargetLayout } from '../../compiler/spaces/target.js';
import { transformerLayout } from '../../compiler/spaces/transformer.js';
import type { GpuDevice } from '../../runtime/device/index.js';
import type { DeviceUpdateNet } from '../../runtime/tasks/learned-optimizer/device-update-net.js';
import { FEATURE_CHANNELS, NORMALISED_CHANNELS, TIME_SCALES } from '../../runtime/tasks/learned-optimizer/features.js';
import { imageMlpTask } from '../../runtime/tasks/learned-optimizer/image-mlp.js';
import type { InnerTask } from '../../runtime/tasks/learned-optimizer/inner-task.js';
import { languageModelTask } from '../../runtime/tasks/learned-optimizer/language-model.js';
import { LearnedOptimizer } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { lowerUpdateNet } from '../../runtime/tasks/learned-optimizer/update-net.js';
import { Rng } from '../../runtime/util/rng.js';

/** A 4 → 5 → 3 ReLU MLP (43 parameters, 12 neurons): 2×2 images, 3 classes. */
export const SMALL_MLP = mlpLayout('Small', { kind: 'mlp', widths: [4, 5, 3], activation: { kind: 'relu' }, init: 'kaiming' });

/** The optimizers of Table 1 by their `std/optimizers.gmn` net (`sgdm`: the rule alone). */
export const OPTIMIZER_NETS = ['sgdm', 'ds_optimizer', 'unf_optimizer', 'ds_gradmetanet', 'unf_gradmetanet'] as const;

/** The optimizers of the transformer (UNF's complete np layer is refused there: UNF-local stands for it). */
export const LM_OPTIMIZER_NETS = ['sgdm', 'ds_optimizer', 'unf_local_optimizer', 'ds_gradmetanet'] as const;

export function smallOptimizer(net: (typeof OPTIMIZER_NETS)[number] | (typeof LM_OPTIMIZER_NETS)[number], setSize: number, layout: TargetLayout = SMALL_MLP): LearnedOptimizer {
  if (net === 'sgdm') return new LearnedOptimizer('sgdm', undefined);
  const file = join(import.meta.dirname, 'device-opt.gmn');
  const spec = layout.spec;
  if (spec.kind === 'cnn') throw new Error('learned optimizers train mlp and transformer base tasks, not cnns');
  const declared = spec.kind === 'mlp' ? `mlp(widths: [${spec.widths.join(', ')}], activation: relu)`
    : `transformer(vocab: ${spec.vocab}, d_model: ${spec.dModel}, heads: ${spec.heads}, head_dim: ${spec.headDim}, blocks: ${spec.blocks}, ffn: ${spec.ffn}, seq: ${spec.seq}, norm: ${spec.norm})`;
  const source = `use std/optimizers\ntarget ${layout.name} = ${declared}\n`;
  const { program, diagnostics } = checkFiles([file], { readFile: (p) => (p === file ? source : existsSync(p) ? readFileSync(p, 'utf8') : undefined) });
  expect(diagnostics).toEqual([]);
  const args = new Map(net.endsWith('gradmetanet') ? [['hidden', 8], ['width', 8]] : [['hidden', 8]]);
  return new LearnedOptimizer(net, lowerUpdateNet({ program, module: program.roots[0]!, net, args, target: layout, setSize }));
}

/** n standard-normal values scaled by `scale`, rounded to float32. */
export function f32Normal(n: number, rng: Rng, scale = 1): Float64Array {
  return Float64Array.from(Float32Array.from({ length: n }, () => scale * rng.normal()));
}

/**
 * Random features of `particles` runs on P parameters as F_ϕ's device graph reads them: 8 normalised
 * channels per parameter and one 11-channel time embedding per run (time-embedding-input.ts), with
 * `features` the same values as the float64 net's [P, 19] input.
 */
export function randomFeatures(particles: number, P: number, rng: Rng): { features: Float64Array[]; normalised: Float64Array[]; times: Float64Array[] } {
  const normalised = Array.from({ length: particles }, () => f32Normal(P * NORMALISED_CHANNELS, rng));
  const times = Array.from({ length: particles }, () => f32Normal(TIME_SCALES.length, rng));
  const features = normalised.map((n, k) => Float64Array.from({ length: P * FEATURE_CHANNELS }, (_, i) => {
    const [p, c] = [Math.floor(i / FEATURE_CHANNELS), i % FEATURE_CHANNELS];
    return c < NORMALISED_CHANNELS ? n[p * NORMALISED_CHANNELS + c]! : times[k]![c - NORMALISED_CHANNELS]!;
  }));
  return { features, normalised, times };
}

/** Writes `randomFeatures`' runs into a DeviceUpdateNet's feature inputs. */
export function writeFeatures(gpu: GpuDevice, device: DeviceUpdateNet, { normalised, times }: ReturnType<typeof randomFeatures>): void {
  for (const [buffer, rows] of [[device.features, normalised], [device.timeEmbedding, times]] as const) {
    const data = Float32Array.from(rows.flatMap((r) => [...r]));
    gpu.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }
}

/** An image task on SMALL_MLP: 40 random 2×2 training images (12 test), 3 classes, batches of `batch`. */
export function smallImageTask(batch: number): InnerTask {
  const rng = new Rng(8);
  const split = (count: number) => ({ images: Float32Array.from({ length: count * 4 }, () => rng.uniform()), labels: Uint8Array.from({ length: count }, () => rng.int(3)), count });
  const data = { name: 'small', size: 2, channels: 1, classes: 3, train: split(40), test: split(12) };
  return imageMlpTask('small', SMALL_MLP, data, { batch, testExamples: 12 });
}

/** A byte-level LM (V = 256): 2 pre-LN blocks, d_model 8, 2 heads of 4, FFN 16, sequences of 4 (5,600 parameters). */
export const SMALL_LM = transformerLayout('SmallLm', { kind: 'transformer', vocab: 256, dModel: 8, heads: 2, headDim: 4, blocks: 2, ffn: 16, seq: 4, norm: 'pre' });

/** A language-model task on SMALL_LM: 300 random training bytes (60 test), batches of `batch` windows. */
export function smallTextTask(batch: number): InnerTask {
  const rng = new Rng(9);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => rng.int(256));
  return languageModelTask('small-lm', SMALL_LM, { name: 'random', train: bytes(300), test: bytes(60), files: [] }, { batch });
}
