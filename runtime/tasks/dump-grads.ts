// `gmn run FILE --dump-grads DIR`: one batch of decomposed gradients of a target, written in the
// documented format (docs/grad-format.md) together with the θ, inputs and targets that produced it,
// so it can be inspected and recomputed with numpy. The target gets its declared initialisation and
// random data, seeded:
//   MLP          `count` inputs uniform in [-1, 1]^{d_0}; the loss is the output itself for a scalar
//                output (Γ then holds ∇_θ f, the curvature task's input) and squared error against
//                N(0, 1) targets otherwise;
//   transformer  `count` sequences of uniformly random tokens; next-token cross-entropy;
//   CNN          `count` images [C_0, H, W] uniform in [-1, 1], He-initialised θ, losses as for an MLP
//                (Γ has H·W position items per image).
import { cnnLayout } from '../../compiler/spaces/cnn.js';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { cnnGradients } from '../targets/cnn.js';
import { initCnn } from '../targets/cnn-init.js';
import { cnnGradBundle, dumpGrads, mlpGradBundle, transformerGradBundle, type GradManifest } from '../targets/dump.js';
import { mlpGradients, type MlpLoss } from '../targets/mlp.js';
import { initMlp } from '../targets/mlp-init.js';
import { initTransformer, transformerGradients } from '../targets/transformer.js';
import { Rng } from '../util/rng.js';

export interface DumpRequest {
  layout: TargetLayout;
  dir: string;
  /** Examples (MLP), sequences (transformer) or images (CNN). */
  count: number;
  seed: number;
  /** Storage type of the real arrays (default float32). */
  dtype?: 'float32' | 'float64';
}

export function dumpTargetGradients(req: DumpRequest): GradManifest {
  const { layout } = req;
  const rng = new Rng(req.seed);
  const spec = layout.spec;
  const options = { dtype: req.dtype ?? 'float32' };
  if (spec.kind === 'mlp') {
    const theta = initMlp(layout, rng);
    const d0 = spec.widths[0]!;
    const dL = spec.widths[spec.widths.length - 1]!;
    const inputs = Float64Array.from({ length: req.count * d0 }, () => rng.range(-1, 1));
    const loss = randomLoss(req.count, dL, rng);
    const grads = mlpGradients(layout, { count: req.count, inputs, theta }, loss);
    const source = { loss: loss.kind, theta, inputs, ...(loss.kind === 'mse' ? { targets: loss.targets } : {}) };
    return dumpGrads(layout, mlpGradBundle(layout, grads, source), req.dir, options);
  }
  if (spec.kind === 'cnn') {
    const cnn = cnnLayout(layout.name, spec);
    const theta = initCnn(cnn, rng);
    const outputs = spec.head[spec.head.length - 1]!;
    const inputs = Float64Array.from({ length: req.count * spec.channels[0]! * cnn.positions }, () => rng.range(-1, 1));
    const loss = randomLoss(req.count, outputs, rng);
    const grads = cnnGradients(cnn, { count: req.count, inputs, theta }, loss);
    const source = { loss: loss.kind, theta, inputs, ...(loss.kind === 'mse' ? { targets: loss.targets } : {}) };
    return dumpGrads(layout, cnnGradBundle(cnn, grads, source), req.dir, options);
  }
  const theta = initTransformer(layout, rng);
  const length = spec.seq;
  const tokens = Array.from({ length: req.count * (length + 1) }, () => rng.int(spec.vocab));
  // Inputs are tokens 0..T-1 of each sequence, targets tokens 1..T.
  const inputs = Array.from({ length: req.count * length }, (_, i) => tokens[Math.floor(i / length) * (length + 1) + (i % length)]!);
  const targets = Array.from({ length: req.count * length }, (_, i) => tokens[Math.floor(i / length) * (length + 1) + (i % length) + 1]!);
  const grads = transformerGradients(layout, { sequences: req.count, length, tokens: inputs, theta }, targets);
  const source = { loss: 'next_token_nll' as const, theta, inputs: Int32Array.from(inputs), targets: Int32Array.from(targets) };
  return dumpGrads(layout, transformerGradBundle(layout, grads, source), req.dir, options);
}

/** A scalar output's own gradient, or MSE to random normal targets for several outputs (MLPs and CNNs alike). */
function randomLoss(count: number, outputs: number, rng: Rng): MlpLoss {
  return outputs === 1
    ? { kind: 'output' }
    : { kind: 'mse', targets: Float64Array.from({ length: count * outputs }, () => rng.normal()) };
}
