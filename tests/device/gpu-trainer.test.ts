// A GPU training step (forward → loss → backward → Adam, one submit) matches the float64 reference
// executor running the same step graph followed by the same Adam update, over three steps.
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrainingStep, STEP_COTANGENT, STEP_LOSS } from '../../compiler/autodiff/index.js';
import { shapeOf } from '../../compiler/ir/types.js';
import { GpuTrainer, layoutTables, type OptimizerSettings } from '../../runtime/gpu/index.js';
import { executeGraph, tensor, type Tensor } from '../../runtime/reference/index.js';
import { Rng } from '../../runtime/util/rng.js';
import { lowerSource, probe } from '../ir/lower-helpers.js';
import { expectClose, openTestGpu } from './gpu-fixture.js';

const gpu = await openTestGpu();
afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('GPU training step', () => {
  for (const kind of ['adam', 'adamw', 'sgd'] as const) {
    it(`gradmetanet + mse + ${kind}: losses and parameters follow the float64 reference`, async () => {
      const lowered = lowerSource('use std/gradmetanet\n', 'gradmetanet', { target: probe([1, 3, 4, 1]), b: 3, args: { width: 8 } });
      if (!lowered.ok) throw new Error(lowered.diagnostics.map((d) => d.message).join('; '));
      const { graph, instantiation: inst } = lowered.value;
      const step = buildTrainingStep(graph, inst, 'mse');
      const rng = new Rng(5);
      const batch = 3;
      const random = (shape: number[], s = 1): Tensor => tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * s));
      const inputs = new Map<string, Tensor>([
        ['grads', random([batch, ...shapeOf(graph.nodes[graph.inputs.get('grads')!]!.type, inst)])],
        ['target', random([batch, ...shapeOf(graph.nodes[graph.output]!.type, inst)])],
      ]);
      const params = new Map(step.params.map((name) => {
        const node = graph.nodes.find((n) => n.op.op === 'param' && n.op.name === name)!;
        const size = node.op.op === 'param' ? node.op.shape.reduce((a, b) => a * b, 1) : 0;
        return [name, Float64Array.from({ length: size }, () => rng.normal() * 0.3)] as const;
      }));
      const opt: OptimizerSettings = { kind, lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: kind === 'adam' ? 0 : 0.01, momentum: 0.9 };
      const trainer = new GpuTrainer(gpu!, step, inst, opt, layoutTables(inst));
      trainer.setParams(params);
      const m = new Map([...params].map(([k, v]) => [k, new Float64Array(v.length)]));
      const v = new Map([...params].map(([k, p]) => [k, new Float64Array(p.length)]));
      for (let t = 1; t <= 3; t++) {
        const cot = tensor([batch, 1], new Array(batch).fill(1 / batch));
        const ref = executeGraph(step.graph, inst, new Map([...inputs, [STEP_COTANGENT, cot]]), params);
        const losses = await trainer.step(new Map([...inputs].map(([k, x]) => [k, x.data])), batch);
        expectClose(losses, ref.outputs.get(STEP_LOSS)!.data, 1e-4, 1e-5);
        for (const [name, p] of params) {
          const g = ref.outputs.get(`grad:${name}`)!.data;
          const mi = m.get(name)!;
          const vi = v.get(name)!;
          for (let i = 0; i < p.length; i++) {
            if (kind === 'sgd') {
              mi[i] = opt.momentum * mi[i]! + g[i]! + opt.weightDecay * p[i]!;
              p[i] = p[i]! - opt.lr * mi[i]!;
            } else {
              mi[i] = opt.beta1 * mi[i]! + (1 - opt.beta1) * g[i]!;
              vi[i] = opt.beta2 * vi[i]! + (1 - opt.beta2) * g[i]! ** 2;
              const upd = mi[i]! / (1 - opt.beta1 ** t) / (Math.sqrt(vi[i]! / (1 - opt.beta2 ** t)) + opt.eps);
              p[i] = p[i]! - opt.lr * (upd + (kind === 'adamw' ? opt.weightDecay * p[i]! : 0));
            }
          }
        }
      }
      const got = await trainer.params();
      expect([...got.keys()].sort()).toEqual([...params.keys()].sort());
      for (const [name, p] of params) expectClose(got.get(name)!, p, 1e-3, 1e-4);
      trainer.release();
    });
  }
});
