// The base tasks added for the paper's CIFAR and LM1B rows: a base task's `optimizers: [...]`
// selects entries of the task's list (another name is an error at its file:line:col); the
// language-model inner task's loss is the mean next-byte NLL of the windows it drew (from an
// independent forward pass) and its gradient matches central differences of that loss; GradMetaNet
// reads one (a, g) item per token, and a DS + GradMetaNet step on the transformer moves θ.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { DiagnosticError } from '../../compiler/diagnostics/diagnostic.js';
import { logSumExp } from '../../runtime/targets/mlp.js';
import { transformerForward } from '../../runtime/targets/transformer.js';
import { baseTaskLayout, gradientSetSize } from '../../runtime/tasks/learned-optimizer/base-task.js';
import { baseTaskOptimizers, learnedOptimizationConfig } from '../../runtime/tasks/learned-optimizer/config.js';
import { languageModelTask } from '../../runtime/tasks/learned-optimizer/language-model.js';
import { optimizerFor } from '../../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { initialRuleState, PAPER_RULE } from '../../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../../runtime/util/rng.js';

const FILE = join(import.meta.dirname, 'base-tasks.gmn');

function load(baseTasks: string) {
  const source = [
    'use std/optimizers',
    'target Mlp = mlp(widths: [192, 8, 10], activation: relu)',
    'target Lm = transformer(vocab: 256, d_model: 8, heads: 2, head_dim: 4, blocks: 1, ffn: 16, seq: 4, norm: pre)',
    'task t {',
    '  kind: learned_optimization,',
    `  base_tasks: [${baseTasks}],`,
    '  optimizers: [sgdm, ds_optimizer(hidden: 4), ds_gradmetanet(hidden: 4, width: 4)],',
    '  baseline: adam_grid(multiples: [2]),',
    '  meta_training: pes(outer_steps: 1, pairs: 1, truncation: 2),',
    '  seeds: [1],',
    '}',
  ].join('\n');
  const { program, diagnostics } = checkFiles([FILE], { readFile: (p) => (p === FILE ? source : existsSync(p) ? readFileSync(p, 'utf8') : undefined) });
  expect(diagnostics).toEqual([]);
  const module = program.roots[0]!;
  return { program, module, source, task: [...module.symbols.tasks.values()][0]! };
}

describe('a base task\'s optimizers', () => {
  it('selects entries of the task\'s list, in the task\'s order; without it every entry runs', () => {
    const { task } = load('image_mlp(target: Mlp, data: mnist_pairs, horizon: 4, optimizers: [ds_gradmetanet, sgdm]), linear_regression(horizon: 4)');
    const config = learnedOptimizationConfig(task, 'default');
    expect(baseTaskOptimizers(config, config.baseTasks[0]!).map((o) => o.net)).toEqual(['sgdm', 'ds_gradmetanet']);
    expect(baseTaskOptimizers(config, config.baseTasks[1]!).map((o) => o.net)).toEqual(['sgdm', 'ds_optimizer', 'ds_gradmetanet']);
  });

  it('a name that is not in the task\'s list is an error at its place, with the list as the hint', () => {
    const { task, source } = load('language_model(target: Lm, data: common_licenses, horizon: 4, optimizers: [sgdm, unf_optimizer])');
    try {
      learnedOptimizationConfig(task, 'default');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      const d = (e as DiagnosticError).diagnostics[0]!;
      expect(d.message).toContain('`unf_optimizer` is not one of the task\'s optimizers');
      expect([d.span.start.line, d.span.start.column]).toEqual([6, source.split('\n')[5]!.indexOf('unf_optimizer') + 1]);
      expect(d.hint).toContain('sgdm, ds_optimizer, ds_gradmetanet');
    }
  });
});

describe('the language-model base task', () => {
  const { program, module, task } = load('language_model(target: Lm, data: common_licenses, batch: 3, horizon: 4)');
  const config = learnedOptimizationConfig(task, 'default');
  const base = config.baseTasks[0]!;
  const layout = baseTaskLayout(module, base);
  const rng = new Rng(4);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => 97 + rng.int(26));
  const corpus = { name: 'letters', train: bytes(400), test: bytes(60), files: [] };
  const lm = languageModelTask(base.label, layout, corpus, { batch: 3 });
  const T = 4;

  it('its loss is the mean NLL per token of the windows it drew, from an independent forward pass', () => {
    const theta = lm.initialTheta(new Rng(1));
    const draw = new Rng(9);
    const starts = [0, 1, 2].map(() => draw.int(400 - T));
    const batch = lm.trainLoss(theta, new Rng(9));
    // The same windows, scored from the logits.
    const tokens = starts.flatMap((o) => [...corpus.train.subarray(o, o + T)]);
    const targets = starts.flatMap((o) => [...corpus.train.subarray(o + 1, o + T + 1)]);
    const logits = transformerForward(layout, { sequences: 3, length: T, tokens, theta });
    let nll = 0;
    for (let i = 0; i < 3 * T; i++) nll += logSumExp(logits.subarray(i * 256, (i + 1) * 256)) - logits[i * 256 + targets[i]!]!;
    expect(batch.loss).toBeCloseTo(nll / (3 * T), 12);
    expect(batch.factors.length).toBe(3 * T * layout.neuronCount * 2);
    expect(gradientSetSize(base, layout)).toBe(3 * T);
  });

  it('its gradient matches central differences of the batch loss', () => {
    const theta = lm.initialTheta(new Rng(2));
    const { grad } = lm.trainLoss(theta, new Rng(11));
    const h = 1e-5;
    for (const p of [0, 97, 5 * 256 + 3, layout.paramCount - 1, Math.floor(layout.paramCount / 2)]) {
      const plus = Float64Array.from(theta);
      const minus = Float64Array.from(theta);
      plus[p]! += h;
      minus[p]! -= h;
      const numeric = (lm.trainLoss(plus, new Rng(11)).loss - lm.trainLoss(minus, new Rng(11)).loss) / (2 * h);
      expect(grad[p]!, `parameter ${p}`).toBeCloseTo(numeric, 7);
    }
  });

  it('a DS + GradMetaNet step reads the tokens\' gradient set and moves θ', () => {
    const entry = config.optimizers.find((o) => o.net === 'ds_gradmetanet')!;
    const optimizer = optimizerFor(program, module, entry, gradientSetSize(base, layout), layout);
    const state = initialRuleState(lm.initialTheta(new Rng(3)));
    const before = Float64Array.from(state.theta);
    const batch = lm.trainLoss(state.theta, new Rng(5));
    optimizer.step(state, batch.grad, optimizer.initialMeta(PAPER_RULE, new Rng(6)), lm.tensors, batch.factors);
    expect(state.theta.every(Number.isFinite)).toBe(true);
    expect(state.theta.some((x, i) => x !== before[i])).toBe(true);
    expect(Number.isFinite(lm.testLoss(state.theta))).toBe(true);
  });
});
