// The report sets every base task beside the paper's Table 1 row of the task it is or stands in for:
// a stand-in is named under its heading with the paper's task, its rows are the paper's figures for
// that task (paper-table1.ts against the spec's Table 6), and the optimizers a base task did not run
// are listed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { paperColumn, paperTask } from '../../runtime/tasks/learned-optimizer/paper-table1.js';
import { writeLearnedOptimizationReport, type BaseTaskResult } from '../../runtime/tasks/learned-optimizer/report.js';

const dir = mkdtempSync(join(tmpdir(), 'gmn-lopt-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function result(base: string, labels: string[]): BaseTaskResult {
  const curve = { steps: [0, 1, 2], losses: [2, 1.5, 1.2] };
  return {
    base, horizon: 2, params: 10, adamGrid: [{ lr: 0.01, meanBest: 1.2 }], adamLr: 0.01,
    scores: labels.map((label) => ({ label, reductions: [label === 'adam' ? 1 : undefined], bestLosses: [1.2] })),
    curves: Object.fromEntries(labels.map((l) => [l, [curve]])),
    // 20 outer steps: the truncation loss falls 3 → 1.1, α rises 0.1 → 0.29; SGDM has no β.
    metaCurves: Object.fromEntries(labels.filter((l) => l !== 'adam').map((l) => [l, Array.from({ length: 20 }, (_, i) => ({
      outerStep: i + 1, loss: 3 - 0.1 * i, alpha: 0.1 + 0.01 * i, mu: 0.9, beta: l === 'sgdm' ? 0 : 0.001,
    }))])),
  };
}

it('names each stand-in beside the paper\'s task and row, and lists what a base task did not run', async () => {
  const ctx = { task: 't', preset: 'default', pes: { outerSteps: 1, pairs: 1, truncation: 1, sigma: 0.01, outerLr: 0.1, clip: 1 }, rule: { alpha: 0.1, mu: 0.9, beta: 0.001 }, device: 'test', seconds: 1 };
  await writeLearnedOptimizationReport(dir, ctx, [
    result('FashionMlp/fashion_mnist', ['adam', 'sgdm', 'ds_optimizer', 'ds_gradmetanet']),
    result('Cifar100Mlp/mnist_pairs', ['adam', 'sgdm', 'ds_gradmetanet']),
    result('Lm1b/common_licenses', ['adam', 'sgdm']),
  ]);
  const report = readFileSync(join(dir, 'report.md'), 'utf8');
  const section = (name: string) => report.slice(report.indexOf(`## ${name}`)).split('\n## ')[0]!;
  expect(section('FashionMlp/fashion_mnist')).not.toContain('Stand-in');
  expect(section('FashionMlp/fashion_mnist')).toContain('| ds_gradmetanet | — | 0/1 | 1.20 ± 0 | 1.44±0.43 / 0.445±0.017 |');
  const c100 = section('Cifar100Mlp/mnist_pairs');
  expect(c100).toContain('Stand-in for the paper\'s **CIFAR-100** task: MNIST digit pairs');
  expect(c100).toContain('paper (Table 1, CIFAR-100)');
  expect(c100).toContain('| ds_gradmetanet | — | 0/1 | 1.20 ± 0 | 3.15±0.56 / 3.253±0.019 |');
  expect(c100).toContain('Not run on this base task (its `optimizers: [...]` in the preset): ds_optimizer.');
  const lm = section('Lm1b/common_licenses');
  expect(lm).toContain('Stand-in for the paper\'s **LM1B** task');
  expect(lm).toContain('| adam | 1.00 ± 0 | 1/1 | 1.20 ± 0 | 1.00 / 6.904±0.075 |');
  expect(lm).toContain('ds_optimizer, ds_gradmetanet.');
});

it('shows every learned optimizer\'s meta-training curve: a summary row, the plot and the series in results.json', async () => {
  const ctx = { task: 't', preset: 'default', pes: { outerSteps: 20, pairs: 1, truncation: 1, sigma: 0.01, outerLr: 0.1, clip: 1 }, rule: { alpha: 0.1, mu: 0.9, beta: 0.001 }, device: 'test', seconds: 1 };
  const out = join(dir, 'meta');
  mkdirSync(out);
  await writeLearnedOptimizationReport(out, ctx, [result('FashionMlp/fashion_mnist', ['adam', 'sgdm', 'ds_optimizer'])]);
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  // First and last tenth (2 steps each): losses (3 + 2.9) / 2 and (1.2 + 1.1) / 2; α after step 20.
  expect(report).toContain('| sgdm | 20 | 2.95 | 1.15 | 0.290 | 0.900 | — |');
  expect(report).toContain('| ds_optimizer | 20 | 2.95 | 1.15 | 0.290 | 0.900 | 0.00100 |');
  expect(report).toContain('![meta-training curves](FashionMlp_fashion_mnist_meta_training.svg)');
  expect(readFileSync(join(out, 'FashionMlp_fashion_mnist_meta_training.svg'), 'utf8')).toContain('<svg');
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { results: { metaCurves: Record<string, { alpha: number }[]> }[] };
  expect(results.results[0]!.metaCurves['ds_optimizer']!.map((p) => p.alpha)).toHaveLength(20);
});

it('holds Table 6 as the spec gives it (every task\'s UNF + GradMetaNet column)', () => {
  const spec = '../shared/spec/gradmetanet-paper.md';
  const text = (() => { try { return readFileSync(join(import.meta.dirname, '../..', spec), 'utf8'); } catch { return undefined; } })();
  const expected: [string, string][] = [['Fashion-MNIST/fashion_mnist', 'F-MNIST'], ['x/fashion_mnist_colour', 'CIFAR-10'], ['x/mnist_pairs', 'CIFAR-100'], ['x/common_licenses', 'LM1B']];
  for (const [label, task] of expected) {
    const paper = paperTask(label)!;
    expect(paper.task).toBe(task);
    if (text === undefined) continue;
    // The spec's row: | Task | Adam | SGDM | DS | UNF | DS + GradMetaNet | UNF + GradMetaNet |, bold marks removed.
    const row = text.split('\n').find((l) => l.startsWith(`| ${task} |`))!.replaceAll('**', '').split('|').map((c) => c.trim()).filter((c) => c !== '');
    expect([...paper.rows.values()]).toEqual(row.slice(1));
  }
});

it('sets UNF-local (the LM\'s UNF) beside the paper\'s UNF columns', () => {
  const lm = paperTask('Lm1b/common_licenses')!;
  expect(lm.rows.get(paperColumn('unf_local_optimizer'))).toBe('1.48±0.16 / 6.702±0.080');
  expect(lm.rows.get(paperColumn('unf_local_gradmetanet'))).toBe('1.82±0.39 / 6.557±0.061');
  expect(paperColumn('ds_optimizer')).toBe('ds_optimizer');
});
