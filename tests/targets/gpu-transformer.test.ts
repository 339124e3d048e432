// The WGSL transformer target (float32) against the float64 reference on the test adapter (lavapipe
// here): the 2-block transformer of the checks (d = 32, 4 heads, FFN 128, sequence 8, V = 11).
//
// Tolerances. θ is rounded to float32 first, so both sides compute the same function; what remains
// is float32 rounding (unit 6e-8) accumulated through ~20 reductions of up to 128 terms, softmaxes
// and LayerNorms (1/σ amplifies absolute errors of small-variance rows). Errors are measured per
// neuron segment relative to that segment's largest entry (segments differ by orders of magnitude:
// one-hots vs. small tangents), and per parameter block for gradients. Observed on lavapipe (seeds
// 11–13, both norms): logits ≤ 6.7e-7, losses ≤ 1.6e-7, Γ ≤ 8.8e-7, rebuilt gradients ≤ 2.2e-6.
// 1e-4 (as for the MLPs) leaves ~50× headroom for GPUs with other exp/fma rounding while still
// catching any wrong index, missing term or sign (a dropped residual tangent gives errors ~1).
import { afterAll, describe, expect, it } from 'vitest';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { isLayerNormGain } from '../../compiler/spaces/transformer.js';
import { DataError } from '../../runtime/targets/errors.js';
import { gradientsFromFactors } from '../../runtime/targets/factors.js';
import { GpuTransformer, gpuTransformerGradients, into } from '../../runtime/targets/gpu-transformer.js';
import { transformerGradients } from '../../runtime/targets/transformer.js';
import { openTestGpu } from '../device/gpu-fixture.js';
import { actOnNeurons, actOnParams, randomGroupElement, relError } from './oracle.js';
import { B, setup, T, V } from './transformer-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

const TOL = 1e-4;
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
const toF32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

/** Worst per-segment relative error of two Γ's ([items, N, 2]), with the segment's name. */
function worstSegmentError(layout: TargetLayout, got: ArrayLike<number>, want: ArrayLike<number>): { error: number; segment: string } {
  const N = layout.neuronCount;
  const items = want.length / (2 * N);
  let worst = { error: 0, segment: '' };
  for (const s of layout.segments) {
    const pick = (a: ArrayLike<number>) => {
      const out: number[] = [];
      for (let t = 0; t < items; t++) for (let k = 2 * (t * N + s.offset); k < 2 * (t * N + s.offset + s.size); k++) out.push(a[k]!);
      return out;
    };
    const error = relError(pick(got), pick(want));
    if (error > worst.error) worst = { error, segment: s.name };
  }
  return worst;
}

describe.skipIf(gpu === null)('transformer targets on the GPU', () => {
  const g = gpu!;
  for (const norm of ['pre', 'post'] as const) {
    const fixture = () => {
      const f = setup(norm, 11);
      return { ...f, theta: toF32(f.theta) };
    };

    it(`logits, losses and Γ match the float64 reference (${norm}-LN)`, async () => {
      const { layout, theta, tokens, targets } = fixture();
      const batch = { sequences: B, length: T, tokens, theta };
      const want = transformerGradients(layout, batch, targets);
      const got = await gpuTransformerGradients(g, layout, batch, targets);
      expect(got.logits.length).toBe(B * T * V);
      expect(relError(got.logits, want.logits)).toBeLessThan(TOL);
      expect(relError(got.losses, want.losses)).toBeLessThan(TOL);
      expect(got.factors.length).toBe(want.factors.length);
      const worst = worstSegmentError(layout, got.factors, want.factors);
      expect(worst.error, worst.segment).toBeLessThan(TOL);
    });

    it(`per-sequence gradients rebuilt from the GPU Γ match the float64 ones (${norm}-LN)`, async () => {
      const { layout, theta, tokens, targets } = fixture();
      const batch = { sequences: B, length: T, tokens, theta };
      const want = transformerGradients(layout, batch, targets);
      const got = await gpuTransformerGradients(g, layout, batch, targets);
      const factors = f64(got.factors);
      const skipGains = (k: number) => isLayerNormGain(layout.params[k]!);
      const rebuilt = gradientsFromFactors(layout, factors, B, T, skipGains);
      // A float32 sum Σ_t g_t a_t is accurate relative to Σ_t |g_t a_t|, not to its value, which may
      // cancel (∇b_K is 0 in exact arithmetic: softmax ignores the key bias). So each block's error
      // is measured against the largest such cancellation-free sum of the block.
      const magnitudes = gradientsFromFactors(layout, factors.map(Math.abs), B, T, skipGains);
      const P = layout.paramCount;
      const N = layout.neuronCount;
      const blockError = (got: ArrayLike<number>, want: ArrayLike<number>, magnitude: ArrayLike<number>) =>
        relError(got, want) * Math.max(...Array.from(want, Math.abs), 1e-300) / Math.max(...Array.from(magnitude));
      for (let s = 0; s < B; s++) {
        for (const b of layout.params) {
          const range = [s * P + b.offset, s * P + b.offset + b.rows * (b.cols ?? 1)] as const;
          const reference = want.perExample.subarray(...range);
          if (!isLayerNormGain(b)) {
            expect(blockError(rebuilt.subarray(...range), reference, magnitudes.subarray(...range)), `${b.name}, sequence ${s}`).toBeLessThan(TOL);
            continue;
          }
          // The gain exception: Σ_t g_t ⊙ x̂_t with x̂ = (a − bias)/gain, from the same segment.
          const bias = layout.params.find((x) => x.name === b.name.replace(/gain$/, 'bias'))!;
          const base = layout.segments[b.rowSegment]!.offset;
          const fromGamma = new Float64Array(b.rows);
          const magnitude = new Float64Array(b.rows);
          for (let p = 0; p < b.rows; p++) {
            for (let t = s * T; t < (s + 1) * T; t++) {
              const term = factors[(t * N + base + p) * 2 + 1]! * (factors[(t * N + base + p) * 2]! - theta[bias.offset + p]!) / theta[b.offset + p]!;
              fromGamma[p] += term;
              magnitude[p] += Math.abs(term);
            }
          }
          expect(blockError(fromGamma, reference, magnitude), `${b.name}, sequence ${s}`).toBeLessThan(TOL);
        }
      }
    });

    it(`two θ at once: each run's losses and Γ equal its run alone bit for bit; the gain gradients match the float64 ones (${norm}-LN)`, async () => {
      const { layout, theta, tokens, targets, rng } = fixture();
      const other = toF32(theta.map((x) => x + 0.1 * rng.normal()));
      const tokens2 = tokens.map(() => rng.int(V));
      const targets2 = targets.map(() => rng.int(V));
      const P = layout.paramCount;
      const R = 2 * B * T;
      const net = await GpuTransformer.create(g, layout, { runs: 2, sequences: B, length: T });
      const buffers = {
        theta: g.upload(Float32Array.from([...theta, ...other]), 'theta'),
        ids: g.upload(Uint32Array.from([...tokens, ...tokens2]), 'ids'),
        targets: g.upload(Uint32Array.from([...targets, ...targets2]), 'targets'),
        work: g.scratch(net.workSize * 4, 'work'),
        losses: g.scratch(2 * B * 4, 'losses'),
        factors: g.scratch(R * layout.neuronCount * 2 * 4, 'factors'),
      };
      const grad = g.upload(new Float32Array(2 * P), 'grad');
      const step = g.step();
      net.recordForward(into(step), buffers);
      net.recordBackward(into(step), buffers);
      net.recordGainGradients(into(step), buffers.work, grad, 0.25);
      const { data } = await step.submit([{ buffer: buffers.losses, bytes: 2 * B * 4 }, { buffer: buffers.factors, bytes: R * layout.neuronCount * 2 * 4 }, { buffer: grad, bytes: 2 * P * 4 }]);
      for (const b of [...Object.values(buffers), grad]) g.pool.release(b);
      const [losses, factors, grads] = data.map((d) => new Float32Array(d));
      const half = (a: Float32Array, r: number) => [...a.subarray(r * a.length / 2, (r + 1) * a.length / 2)];
      const runs = [[theta, tokens, targets], [other, tokens2, targets2]] as const;
      for (let r = 0; r < 2; r++) {
        const [th, tok, tgt] = runs[r]!;
        const alone = await gpuTransformerGradients(g, layout, { sequences: B, length: T, tokens: tok, theta: th }, tgt);
        expect(half(losses!, r)).toEqual([...alone.losses]);
        expect(half(factors!, r)).toEqual([...alone.factors]);
        const want = transformerGradients(layout, { sequences: B, length: T, tokens: tok, theta: th }, tgt);
        for (const b of layout.params.filter(isLayerNormGain)) {
          const sum = Array.from({ length: b.rows }, (_, k) => 0.25 * Array.from({ length: B }, (_, s) => want.perExample[s * P + b.offset + k]!).reduce((x, y) => x + y));
          expect(relError(grads!.subarray(r * P + b.offset, r * P + b.offset + b.rows), sum), b.name).toBeLessThan(TOL);
        }
      }
    });

    it(`permuting residual, value and FFN neurons of θ permutes the GPU Γ and keeps the logits (${norm}-LN)`, async () => {
      const { layout, theta, tokens, targets, rng } = fixture();
      const before = await gpuTransformerGradients(g, layout, { sequences: B, length: T, tokens, theta }, targets);
      for (let trial = 0; trial < 2; trial++) {
        const h = randomGroupElement(layout, rng);
        const after = await gpuTransformerGradients(g, layout, { sequences: B, length: T, tokens, theta: actOnParams(layout, h, theta) }, targets);
        // Permutations reorder float32 sums, so equality holds to rounding, not bit for bit.
        expect(relError(after.logits, before.logits)).toBeLessThan(TOL);
        expect(relError(after.losses, before.losses)).toBeLessThan(TOL);
        const worst = worstSegmentError(layout, after.factors, actOnNeurons(layout, h, f64(before.factors), 2));
        expect(worst.error, worst.segment).toBeLessThan(TOL);
      }
    });
  }

  it('reads sequences shorter than the declared seq, like the float64 path', async () => {
    const { layout, theta: theta64, tokens, targets } = setup('post', 13);
    const theta = toF32(theta64);
    const short = 5;
    const pick = (ids: number[]) => ids.filter((_, i) => i % T < short);
    const batch = { sequences: B, length: short, tokens: pick(tokens), theta };
    const want = transformerGradients(layout, batch, pick(targets));
    const got = await gpuTransformerGradients(g, layout, batch, pick(targets));
    expect(relError(got.logits, want.logits)).toBeLessThan(TOL);
    const worst = worstSegmentError(layout, got.factors, want.factors);
    expect(worst.error, worst.segment).toBeLessThan(TOL);
  });

  it('rejects bad tokens and targets before touching the GPU, like the float64 path', async () => {
    const { layout, theta, tokens, targets } = setup('pre', 12);
    const bad = [...targets];
    bad[T + 3] = V;
    await expect(gpuTransformerGradients(g, layout, { sequences: B, length: T, tokens, theta }, bad)).rejects.toThrow(DataError);
    await expect(gpuTransformerGradients(g, layout, { sequences: B, length: T + 1, tokens, theta }, targets)).rejects.toThrow(DataError);
  });
});
