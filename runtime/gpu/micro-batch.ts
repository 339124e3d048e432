// Splitting a batch into micro-batches whose buffers fit the device's storage-binding limit
// (GpuExecutor.microBatch decides the size). Chunks are as equal as possible, so a batch needs at
// most two plan sizes.
import type { HostTensor } from './executor.js';

/** [start, end) row ranges covering 0..batch with chunks of at most `max` rows. */
export function microBatches(batch: number, max: number): Array<[number, number]> {
  const count = Math.ceil(batch / max);
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) ranges.push([Math.floor((i * batch) / count), Math.floor(((i + 1) * batch) / count)]);
  return ranges;
}

/** Rows [start, end) of every batched host tensor (each laid out [batch, ...]), without copying. */
export function sliceRows(inputs: ReadonlyMap<string, HostTensor>, batch: number, [start, end]: [number, number]): Map<string, HostTensor> {
  return new Map(
    [...inputs].map(([name, data]) => {
      const row = data.length / batch;
      return [name, data.subarray(start * row, end * row)] as const;
    }),
  );
}
