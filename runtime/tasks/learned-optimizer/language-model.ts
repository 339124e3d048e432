// The LM1B base task's stand-in (paper §6.2: a small transformer LM): a transformer target trained
// on next-byte prediction over a text corpus (data/text-corpus.ts), batches of `batch` windows of
// the target's `seq` bytes drawn with replacement from the training text, each predicting the
// byte after every position. The loss is the mean NLL per token (nats per byte); its gradient is
// the mean of the per-sequence gradients ÷ seq. GradMetaNet's set is the batch's tokens: Γ has one
// (a, g) item per token ([batch·seq, N, 2], targets/transformer.ts). The test loss is over the first
// TEST_SEQUENCES non-overlapping windows of the test text. float64 (targets/transformer.ts); on the
// device: device-lm-target.ts.
import type { TargetLayout, TransformerSpec } from '../../../compiler/spaces/target.js';
import type { TextCorpus } from '../../data/text-corpus.js';
import { initTransformer, transformerForward, transformerGradients } from '../../targets/transformer.js';
import { logSumExp } from '../../targets/mlp.js';
import { paramTensors } from './features.js';
import type { InnerTask } from './inner-task.js';

export const TEST_SEQUENCES = 128;

export function languageModelTask(name: string, layout: TargetLayout, text: TextCorpus, options: { batch: number }): InnerTask {
  if (layout.spec.kind !== 'transformer') throw new RangeError(`${layout.name} is not a transformer; a language-model task trains one`);
  const spec: TransformerSpec = layout.spec;
  if (spec.vocab < 256) throw new RangeError(`${layout.name} has a vocabulary of ${spec.vocab}; the byte-level corpus needs 256`);
  const T = spec.seq;
  if (text.train.length <= T + 1 || text.test.length <= T + 1) throw new RangeError(`the corpus is shorter than one window of ${T + 1} bytes`);
  const windows = (bytes: Uint8Array, starts: readonly number[]) => ({
    tokens: Uint8Array.from(starts.flatMap((o) => [...bytes.subarray(o, o + T)])),
    targets: Uint8Array.from(starts.flatMap((o) => [...bytes.subarray(o + 1, o + T + 1)])),
  });
  const testCount = Math.min(TEST_SEQUENCES, Math.floor((text.test.length - 1) / T));
  const test = windows(text.test, Array.from({ length: testCount }, (_, i) => i * T));
  return {
    name,
    paramCount: layout.paramCount,
    // The device runner (device-lm-target.ts) reads the same bytes and draws the same windows.
    device: { kind: 'text', layout, batch: options.batch, train: { bytes: text.train, count: text.train.length - T }, test: { ...test, count: testCount } },
    tensors: paramTensors(layout.params),
    initialTheta: (rng) => initTransformer(layout, rng),
    trainLoss(theta, data) {
      const B = options.batch;
      const batch = windows(text.train, Array.from({ length: B }, () => data.int(text.train.length - T)));
      const g = transformerGradients(layout, { sequences: B, length: T, tokens: batch.tokens, theta }, batch.targets);
      const P = layout.paramCount;
      const grad = new Float64Array(P);
      for (let s = 0; s < B; s++) for (let p = 0; p < P; p++) grad[p] = grad[p]! + g.perExample[s * P + p]! / (B * T);
      return { loss: g.losses.reduce((a, b) => a + b, 0) / (B * T), grad, factors: g.factors };
    },
    testLoss(theta) {
      const logits = transformerForward(layout, { sequences: testCount, length: T, tokens: test.tokens, theta });
      const V = spec.vocab;
      let nll = 0;
      for (let i = 0; i < testCount * T; i++) {
        const z = logits.subarray(i * V, (i + 1) * V);
        nll += logSumExp(z) - z[test.targets[i]!]!;
      }
      return nll / (testCount * T);
    },
  };
}
