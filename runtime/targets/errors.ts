// Errors in the *data* a target is run on (inputs, labels, parameters). They have no source span,
// so they are not Diagnostics: each names the offending batch element and says how to fix it.
// Callers (`gmn run`) print `message` and `hint` and exit as for diagnostics, never with a trace.
import type { LayoutBlocks } from '../../compiler/spaces/target.js';
import { HintedError } from '../util/hinted-error.js';

export class DataError extends HintedError {
  constructor(
    /** Stable identifier, e.g. `data/label-out-of-range`. */
    readonly code: string,
    message: string,
    hint: string,
    /** The batch element (example or sequence index) at fault, or null when not one element's fault. */
    readonly element: number | null = null,
  ) {
    super(message, hint);
  }
}

/**
 * Throws unless every value of `values` ([count, width] row-major) is finite; names the element.
 * `what` is a plural noun ("inputs", "regression targets").
 */
export function checkFinite(values: ArrayLike<number>, width: number, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      const element = Math.floor(i / width);
      throw new DataError('data/not-finite', `${what} of batch element ${element} contain ${v} (at position ${i % width})`,
        `drop or repair batch element ${element}: ${what} must be finite numbers`, element);
    }
  }
}

/** Throws unless `values` holds `count` rows of `width` numbers. */
export function checkWidth(values: ArrayLike<number>, count: number, width: number, what: string): void {
  if (values.length === count * width) return;
  const per = values.length / count;
  const message = Number.isInteger(per)
    ? `${what} have dimension ${per}, but the target expects ${width} per batch element`
    : `${what} hold ${values.length} numbers, which is not ${count} batch elements of dimension ${width}`;
  throw new DataError('data/wrong-dimension', message, `give every batch element exactly ${width} ${what}`);
}

/**
 * Packs rows of possibly different lengths into one [rows, width] array, naming the first row whose
 * length is wrong (how data read from files reaches the targets).
 */
export function packRows(rows: readonly ArrayLike<number>[], width: number, what: string): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new DataError('data/wrong-dimension', `${what} of batch element ${i} have dimension ${row.length}, but the target expects ${width}`,
        `give every batch element exactly ${width} ${what} (check the data's columns against the target's input width)`, i);
    }
    for (let j = 0; j < width; j++) out[i * width + j] = row[j]!;
  });
  return out;
}

/** Throws unless every label is an integer in [0, classes); names the element. */
export function checkLabels(labels: ArrayLike<number>, classes: number, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new DataError('data/label-out-of-range', `${what} ${i} is ${y}, outside the ${classes} classes 0..${classes - 1}`,
        `labels must be integers in 0..${classes - 1}: fix label ${i} or widen the target's output layer to the number of classes`, i);
    }
  }
}

/**
 * θ must be finite: `theta` is [P] (shared) or [count, P] (one vector per batch element). Names the
 * parameter block, and the batch element when θ is per element.
 */
export function checkParameters(layout: LayoutBlocks, theta: Float64Array): void {
  const P = layout.paramCount;
  for (let i = 0; i < theta.length; i++) {
    const v = theta[i]!;
    if (Number.isFinite(v)) continue;
    const p = i % P;
    const block = layout.params.find((b) => p >= b.offset && p < b.offset + b.rows * (b.cols ?? 1))!;
    const element = theta.length === P ? null : Math.floor(i / P);
    const whose = element === null ? 'θ' : `θ of batch element ${element}`;
    throw new DataError('data/not-finite', `${whose} has ${v} in parameter block ${block.name} (entry ${p - block.offset})`,
      'parameters must be finite: check the initialisation, the checkpoint or the learning rate that produced them', element);
  }
}
