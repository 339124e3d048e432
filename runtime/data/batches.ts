// Batches of examples as the tensors a net reads, by input name, with the reference/GPU executors'
// layout (runtime/reference/tensor.ts): float64, row-major, the batch axis first. Full per-example
// gradients are expanded from the stored factors per batch, never stored for the whole dataset.
import { tensor, type Tensor } from '../reference/tensor.js';
import { DataError } from '../targets/errors.js';
import { exampleInput, exampleLabel, inputLayout, inputName } from './inputs.js';
import { standardise, type Normalisation } from './normalisation.js';
import type { Split } from './splits.js';

/**
 * The inputs `inputNames` for examples `indices` of `split` (indices into the split, 0..count-1):
 * normalised with `norm`, or raw when `norm` is null (nets without learned parameters).
 */
export function batchInputs(split: Split, indices: readonly number[], inputNames: readonly string[], norm: Normalisation | null): Map<string, Tensor> {
  const models = indices.map((k) => modelOf(split, k));
  const out = new Map<string, Tensor>();
  for (const raw of inputNames) {
    const name = inputName(raw);
    const { shape, rowWidth } = inputLayout(split.data, name);
    const stats = norm === null ? null : norm.inputs.get(name);
    if (stats === undefined) {
      throw new Error(`internal: the normalisation was fitted without input \`${name}\`; pass it to fitNormalisation`);
    }
    const batch = tensor([models.length, ...shape]);
    const size = shape.reduce((a, b) => a * b, 1);
    models.forEach((m, i) => {
      const values = exampleInput(split.data, name, m);
      batch.data.set(stats === null ? values : standardise(values, rowWidth, stats), i * size);
    });
    out.set(name, batch);
  }
  return out;
}

/** The labels of examples `indices`: [B, P, 1] (or [B, 1] for the trace); normalised with `norm` unless null. */
export function batchLabels(split: Split, indices: readonly number[], norm: Normalisation | null): Tensor {
  const width = split.data.labelWidth;
  const shape = split.data.label === 'fisher_trace' ? [indices.length, 1] : [indices.length, width, 1];
  const batch = tensor(shape);
  indices.forEach((k, i) => {
    const row = exampleLabel(split.data, modelOf(split, k));
    batch.data.set(norm === null ? row : standardise(row, width, [norm.labels]), i * width);
  });
  return batch;
}

function modelOf(split: Split, k: number): number {
  if (!Number.isInteger(k) || k < 0 || k >= split.count) {
    throw new DataError('data/bad-index', `example ${k} is outside the ${split.name} split of ${split.count} examples`,
      `use indices 0..${split.count - 1}`, k);
  }
  return split.start + k;
}
