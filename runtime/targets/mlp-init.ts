// Parameter initialisation of MLP targets, seeded (runtime/util/rng.ts), in layout order.
//   gaussian  every weight and bias i.i.d. N(0, 1): the paper's curvature setting (§6.1)
//   siren     Sitzmann et al. 2020: W_1 ~ U(±1/d_0); later W_l ~ U(±√(6/d_{l-1})/ω0);
//             biases U(±1/√d_{l-1}) (PyTorch nn.Linear's default, which SIREN keeps)
//   kaiming   W_l ~ N(0, 2/d_{l-1}), biases 0
import type { Init, TargetLayout } from '../../compiler/spaces/target.js';
import type { Rng } from '../util/rng.js';

/** One parameter vector θ ∈ R^P. `init` defaults to the spec's. */
export function initMlp(layout: TargetLayout, rng: Rng, init: Init = mlpSpecOf(layout).init): Float64Array {
  const spec = mlpSpecOf(layout);
  const omega0 = spec.activation.kind === 'sine' ? spec.activation.omega0 : 1;
  const theta = new Float64Array(layout.paramCount);
  for (const block of layout.params) {
    const layer = block.rowSegment;
    const fanIn = spec.widths[layer - 1]!;
    const isBias = block.cols === null;
    const count = block.rows * (block.cols ?? 1);
    const draw = (): number => {
      switch (init) {
        case 'gaussian': return rng.normal();
        case 'kaiming': return isBias ? 0 : rng.normal() * Math.sqrt(2 / fanIn);
        case 'siren': {
          if (isBias) return rng.range(-1, 1) / Math.sqrt(fanIn);
          const bound = layer === 1 ? 1 / fanIn : Math.sqrt(6 / fanIn) / omega0;
          return rng.range(-bound, bound);
        }
      }
    };
    for (let i = 0; i < count; i++) theta[block.offset + i] = draw();
  }
  return theta;
}

/** `count` independent parameter vectors, [count, P] (e.g. the curvature task's random SIRENs). */
export function initMlpBatch(layout: TargetLayout, count: number, rng: Rng, init?: Init): Float64Array {
  const out = new Float64Array(count * layout.paramCount);
  for (let i = 0; i < count; i++) out.set(initMlp(layout, rng, init), i * layout.paramCount);
  return out;
}

function mlpSpecOf(layout: TargetLayout) {
  if (layout.spec.kind !== 'mlp') throw new Error(`internal: ${layout.name} is not an mlp target`);
  return layout.spec;
}
