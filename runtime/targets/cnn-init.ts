// Parameter initialisation of CNN targets, seeded (runtime/util/rng.ts), in layout order: He
// (Kaiming) normal weights, W ~ N(0, 2/fan_in), biases 0 — the MLP targets' `kaiming` init, with a
// conv layer's fan-in C_{l−1}·k² (every kernel offset's block W_l^δ reads into the same output
// channels) and a head layer's d_{j−1}. Keeps a ReLU CNN's activations in range at any depth.
import type { CnnLayout } from '../../compiler/spaces/cnn.js';
import type { Rng } from '../util/rng.js';

/** One parameter vector θ ∈ R^P. */
export function initCnn(layout: CnnLayout, rng: Rng): Float64Array {
  const theta = new Float64Array(layout.paramCount);
  // A row segment's fan-in: the columns of every weight block that writes into it.
  const fanIn = new Map<number, number>();
  for (const block of layout.params) {
    if (block.cols !== null) fanIn.set(block.rowSegment, (fanIn.get(block.rowSegment) ?? 0) + block.cols);
  }
  for (const block of layout.params) {
    if (block.cols === null) continue;
    const scale = Math.sqrt(2 / fanIn.get(block.rowSegment)!);
    for (let i = 0; i < block.rows * block.cols; i++) theta[block.offset + i] = rng.normal() * scale;
  }
  return theta;
}
