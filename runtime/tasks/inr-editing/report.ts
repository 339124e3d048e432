// The INR-editing report: report.md (Table 2's counterpart beside the paper's figures, the fits'
// PSNR, the learning-rate choice), results.json, and per edit an image grid (PNG) of test INRs:
// the image, the fitted INR, the edited image (target), then each model's edited INR, under a
// header naming the columns and with each rendering's MSE to the target printed beneath it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetLayout } from '../../../compiler/spaces/target.js';
import { pixelGrid } from '../../inr/fit.js';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../inr/images.js';
import { writeImageGrid } from '../../inr/png.js';
import { mlpForward } from '../../targets/mlp.js';
import type { InrEditingConfig } from './config.js';
import { splitsOf, type EditDataset } from './data.js';
import { runLabel, type EditRunResult } from './train.js';
import type { EpochMetrics } from '../run-directory.js';

export interface EditSummary {
  data: EditDataset;
  results: EditRunResult[];
  /** Test MSE with Δθ = 0. */
  noEdit: number;
}

export interface ReportContext {
  config: InrEditingConfig;
  target: TargetLayout;
  device: string;
  models: { label: string; net: string; params: number }[];
  seconds: number;
  /** Of `seconds`, the time to load the datasets (fitting the INRs, or reading them from the cache). */
  dataSeconds: number;
}

/** Table 2 of the paper, DWS backbone (the one built here): test MSE, MNIST ×1e-2, CIFAR-10 ×1e-3. */
const PAPER: Record<string, { row: string; dilate: string; contrast: string }> = {
  ws: { row: 'WS', dilate: '2.29 ± 0.01', contrast: '5.57 ± 0.02' },
  ws_probing: { row: 'WS + Probing', dilate: '2.36 ± 0.06', contrast: '4.22 ± 0.08' },
  ws_gradmetanet: { row: 'WS + GradMetaNet', dilate: '2.28 ± 0.02', contrast: '4.10 ± 0.10' },
  ws_gradmetanet_pp: { row: 'WS + GradMetaNet++', dilate: '1.95 ± 0.01', contrast: '3.86 ± 0.02' },
};

/** The paper's unit per edit: MNIST dilation in 1e-2, the CIFAR-10 contrast task in 1e-3. */
export function unitOf(edit: string): number {
  return edit.startsWith('dilate') ? 1e-2 : 1e-3;
}

export interface ModelRow {
  model: string;
  net: string;
  params: number;
  /** The learning rate with the best mean validation MSE over seeds. */
  lr: number;
  testMean: number;
  testStd: number;
  validationMean: number;
  initialValidationMean: number;
  seeds: number;
}

export function modelRows(summary: EditSummary, models: ReportContext['models']): ModelRow[] {
  return models.flatMap((m) => {
    const runs = summary.results.filter((r) => r.editor === m.label);
    const lrs = [...new Set(runs.map((r) => r.lr))];
    if (lrs.length === 0) return [];
    const byLr = lrs.map((lr) => ({ lr, runs: runs.filter((r) => r.lr === lr) }));
    const best = byLr.reduce((a, b) => (mean(b.runs.map((r) => r.validationError)) < mean(a.runs.map((r) => r.validationError)) ? b : a));
    const tests = best.runs.map((r) => r.testError);
    return [{
      model: m.label, net: m.net, params: m.params, lr: best.lr, testMean: mean(tests), testStd: std(tests),
      validationMean: mean(best.runs.map((r) => r.validationError)), initialValidationMean: mean(best.runs.map((r) => r.initialValidationError)), seeds: tests.length,
    }];
  });
}

export function writeInrEditingReport(dir: string, ctx: ReportContext, summaries: EditSummary[]): void {
  const { config } = ctx;
  const tables = summaries.map((s) => ({ summary: s, rows: modelRows(s, ctx.models), psnr: psnrStats(s.data.psnr) }));
  const lines: string[] = [
    `# INR editing — task \`${config.name}\`, preset \`${config.preset}\``,
    '',
    `Editors map an INR θ (SIREN ${ctx.target.spec.kind === 'mlp' ? ctx.target.spec.widths.join('→') : ''}, ω0 = 30) to θ + Δθ; the loss is the MSE between θ + Δθ rendered on the`,
    `full 28×28 grid (the net's \`render\`) and the edited image (paper §6.3). ${config.data.count} INRs per edit (test ${config.splits.test}, validation ${config.splits.validation}, train ${splitsOf(config).train.count}),`,
    `Γ_${config.data.points}[2] at ${config.data.points} fixed pixels; ${config.optimizer.kind === 'adamw' ? 'AdamW' : 'Adam'} (weight decay ${config.optimizer.weightDecay}), batch ${config.batch}, ${config.steps} steps,`,
    `validation every ${config.evalEvery} steps, learning rates ${config.learningRates.join(', ')}, seeds ${config.seeds.join(', ')}. Device: ${ctx.device}. Wall time ${(ctx.seconds / 60).toFixed(1)} min`,
    `(datasets ${(ctx.dataSeconds / 60).toFixed(1)} min: fitting, or reading the INR cache; training and evaluation ${((ctx.seconds - ctx.dataSeconds) / 60).toFixed(1)} min).`,
    '',
    '## Test MSE (↓), paper units, beside Table 2 (DWS backbone)',
    '',
    `| model | params | ${tables.map((t) => `${t.summary.data.edit.label} (×${unitOf(t.summary.data.edit.label).toExponential(0)}) | lr`).join(' | ')} | paper MNIST dilation (×1e-2) | paper CIFAR contrast (×1e-3) |`,
    `| --- | --- | ${tables.map(() => '--- | ---').join(' | ')} | --- | --- |`,
  ];
  for (const m of ctx.models) {
    const cells = tables.map((t) => {
      const r = t.rows.find((x) => x.model === m.label);
      const u = unitOf(t.summary.data.edit.label);
      return r === undefined ? '– | –' : `${(r.testMean / u).toFixed(3)} ± ${(r.testStd / u).toFixed(3)} | ${r.lr}`;
    });
    const paper = PAPER[m.net];
    lines.push(`| ${m.label} | ${m.params} | ${cells.join(' | ')} | ${paper?.dilate ?? '–'} | ${paper?.contrast ?? '–'} |`);
  }
  lines.push(`| no edit (Δθ = 0) | 0 | ${tables.map((t) => `${(t.summary.noEdit / unitOf(t.summary.data.edit.label)).toFixed(3)} | –`).join(' | ')} | – | – |`);
  lines.push('', '± is the standard deviation over seeds at the chosen learning rate (the best mean validation MSE).',
    'The paper\'s CIFAR-10 INRs (2→32→32→3) cannot be obtained offline: the contrast edit (CLAHE, clip limit 1.0, 3×3 tiles,',
    'on the L channel in the paper) runs here on grayscale Fashion-MNIST INRs (2→32→32→1), where the image itself is the L channel.',
    '', '## Before and after training (validation MSE, paper units)', '',
    '| edit | model | untrained | trained (best validation) |', '| --- | --- | --- | --- |');
  for (const t of tables) {
    const u = unitOf(t.summary.data.edit.label);
    for (const r of t.rows) lines.push(`| ${t.summary.data.edit.label} | ${r.model} | ${(r.initialValidationMean / u).toFixed(3)} | ${(r.validationMean / u).toFixed(3)} |`);
  }
  const curves = tables.map((t) => ({ edit: t.summary.data.edit.label, curves: validationCurves(dir, t.summary.data.edit.label, t.rows, config) }));
  const steps = [...new Set(curves.flatMap((c) => c.curves.flatMap((m) => m.points.map((p) => p.step))))].sort((a, b) => a - b);
  if (steps.length > 0) {
    lines.push('', '## Validation MSE during training (paper units, mean over seeds, chosen learning rate)', '',
      `| edit | model | ${steps.map((s) => (s === 0 ? 'untrained' : `${s}`)).join(' | ')} |`, `| --- | --- | ${steps.map(() => '---').join(' | ')} |`);
    for (const c of curves) {
      const u = unitOf(c.edit);
      for (const m of c.curves) {
        lines.push(`| ${c.edit} | ${m.model} | ${steps.map((s) => { const p = m.points.find((x) => x.step === s); return p === undefined ? '–' : (p.validation / u).toFixed(3); }).join(' | ')} |`);
      }
    }
  }
  lines.push('', '## INR fits (PSNR, dB, images in [−1, 1])', '', '| edit | INRs | fit steps | mean | 5th pct | median | 95th pct |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const t of tables) {
    const p = t.psnr;
    lines.push(`| ${t.summary.data.edit.label} | ${t.summary.data.count} | ${config.data.fitSteps} | ${p.mean.toFixed(1)} | ${p.p5.toFixed(1)} | ${p.median.toFixed(1)} | ${p.p95.toFixed(1)} |`);
  }
  lines.push('', '## Images', '');
  const grids = tables.map((t) => {
    const grid = writeGrid(dir, `edits-${t.summary.data.edit.label}.png`, t.summary, t.rows, config);
    if (grid !== null) {
      lines.push(`![${t.summary.data.edit.label}](${grid.file})`, '',
        `${grid.file}: the first ${grid.rows.length} test INRs, one per row; columns: the image, the fitted INR, the edited image (target), then ${t.rows.map((r) => r.model).join(', ')} (each at its chosen learning rate, seed ${config.seeds[0]}).`,
        'Under the fitted INR and each edited INR: its MSE to the target (under the INR: no edit).', '');
    }
    return grid;
  });
  writeFileSync(join(dir, 'report.md'), `${lines.join('\n')}\n`);
  const json = {
    task: config.name, preset: config.preset, target: ctx.target.name, device: ctx.device, seconds: ctx.seconds, dataSeconds: ctx.dataSeconds,
    edits: tables.map((t, i) => ({
      edit: t.summary.data.edit.label, unit: unitOf(t.summary.data.edit.label), noEdit: t.summary.noEdit, psnr: t.psnr,
      models: t.rows,
      curves: curves[i]!.curves,
      runs: t.summary.results.map(({ figure: _figure, ...r }) => r),
      grid: grids[i],
    })),
  };
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
}

/**
 * Each model's validation MSE at every evaluation (metrics.jsonl, the chosen learning rate), as the
 * mean over the seeds that reached the step; step 0 is the untrained editor. A resumed run may
 * have recorded a step twice: the last record counts.
 */
function validationCurves(dir: string, edit: string, rows: ModelRow[], config: InrEditingConfig): { model: string; points: { step: number; validation: number }[] }[] {
  const file = join(dir, 'metrics.jsonl');
  const records = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EpochMetrics) : [];
  return rows.map((r) => {
    const label = runLabel(edit, r.model, r.lr);
    const bySeedStep = new Map<string, number>();
    for (const m of records) if (m.model === label) bySeedStep.set(`${m.seed} ${m.epoch}`, m.validationError);
    const stepsSeen = [...new Set([...bySeedStep.keys()].map((k) => Number(k.split(' ')[1])))].sort((a, b) => a - b);
    const points = stepsSeen.map((step) => ({ step, validation: mean(config.seeds.flatMap((seed) => bySeedStep.get(`${seed} ${step}`) ?? [])) }));
    return { model: r.model, points: [{ step: 0, validation: r.initialValidationMean }, ...points] };
  });
}

/** What an image grid shows: its columns, and per test INR the MSE to the edited image printed under each rendering. */
export interface GridRecord {
  file: string;
  columns: string[];
  /** Per row: the test INR's index in the test split, and the MSE (to the target) of every column that has one. */
  rows: { inr: number; mse: Record<string, number> }[];
}

/** The caption under a rendering: its MSE to the edited image, as the grid prints it. */
export function gridCaption(mse: number): string {
  return `MSE ${mse.toFixed(4)}`;
}

/**
 * The image grid of one edit: a header row naming the columns (the image, the fitted INR, the
 * edited image, then each model), and under the fitted INR and every edited INR its MSE to the
 * edited image (the INR's: "no edit"). Returns what it drew, or null when it shows no INR.
 */
function writeGrid(dir: string, file: string, summary: EditSummary, rows: ModelRow[], config: InrEditingConfig): GridRecord | null {
  const { data } = summary;
  const shown = Math.min(config.figure, config.splits.test);
  if (shown === 0) return null;
  const P = data.layout.paramCount;
  const grid = Float64Array.from(pixelGrid(IMAGE_SIDE));
  const image = (a: ArrayLike<number>, e: number): Float32Array => Float32Array.from({ length: IMAGE_PIXELS }, (_, p) => a[e * IMAGE_PIXELS + p]!);
  const columns = ['image', 'INR', 'target', ...rows.map((r) => r.model)];
  const images: Float32Array[][] = [];
  const captions: (string | undefined)[][] = [];
  const records: GridRecord['rows'] = [];
  for (let e = 0; e < shown; e++) {
    const target = image(data.targets, e);
    const fitted = Float32Array.from(mlpForward(data.layout, { count: IMAGE_PIXELS, inputs: grid, theta: Float64Array.from(data.theta.subarray(e * P, (e + 1) * P)) }).outputs);
    const models = rows.map((r) => {
      const run = summary.results.find((x) => x.editor === r.model && x.lr === r.lr && x.seed === config.seeds[0]);
      return run === undefined || run.figure.length < (e + 1) * IMAGE_PIXELS ? null : image(run.figure, e);
    });
    const mse: Record<string, number> = { INR: imageMse(fitted, target) };
    models.forEach((m, i) => { if (m !== null) mse[rows[i]!.model] = imageMse(m, target); });
    images.push([image(data.images, e), fitted, target, ...models.map((m) => m ?? new Float32Array(IMAGE_PIXELS))]);
    captions.push(columns.map((c) => (mse[c] === undefined ? undefined : gridCaption(mse[c]))));
    records.push({ inr: e, mse });
  }
  writeImageGrid(join(dir, file), images, IMAGE_SIDE, { scale: 3, header: columns, captions });
  return { file, columns, rows: records };
}

function imageMse(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum / a.length;
}

function psnrStats(psnr: Float32Array): { mean: number; p5: number; median: number; p95: number } {
  const sorted = [...psnr].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { mean: mean(sorted), p5: at(0.05), median: at(0.5), p95: at(0.95) };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
