// The learned-optimization run's outputs: report.md (per base task: Adam's tuned learning rate,
// every optimizer's step-reduction factor N* ÷ steps and best test loss, mean ± std over seeds,
// beside the paper's Table 1 figures for the task or the one it stands in for: paper-table1.ts), results.json (every number and
// curve), <base>_test_loss.svg (mean test loss against inner steps, one line per optimizer) and
// <base>_meta_training.svg (per outer step of PES: the truncation loss and α, μ, β of every optimizer).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { formatNumber as fmt, renderSvg } from '../plot.js';
import type { LoadRange } from '../load-range.js';
import { fileLabel } from '../run-directory.js';
import { meanStd, type Curve, type OptimizerScore } from './evaluation.js';
import { RISE_LIMIT, worstRise } from './loss-rise.js';
import type { MetaCurvePoint } from './meta-curve.js';
import { paperColumn, paperTask } from './paper-table1.js';
import { trajectoryPlot } from './trajectory-plot.js';

export interface BaseTaskResult {
  base: string;
  horizon: number;
  params: number;
  adamGrid: { lr: number; meanBest: number }[];
  adamLr: number;
  scores: OptimizerScore[];
  curves: Record<string, Curve[]>;
  /** Each learned optimizer's meta-training curve (meta-curve.ts). */
  metaCurves: Record<string, MetaCurvePoint[]>;
  /** The regression's θ path per optimizer (first seed), for the Figure 8 plot. */
  trajectories?: Record<string, number[][]> | undefined;
}

export interface ReportContext {
  task: string;
  preset: string;
  pes: { outerSteps: number; pairs: number; truncation: number; sigma: number; outerLr: number; outerSchedule?: 'constant' | 'cosine'; clip: number };
  rule: { alpha: number; mu: number; beta: number };
  /** What ran the inner steps (device-backend.ts). */
  device: string;
  seconds: number;
  /** The 1-minute load average's range during the run (load-range.ts); absent in reports made before it was kept. */
  loadAverage?: LoadRange | undefined;
}

export async function writeLearnedOptimizationReport(dir: string, ctx: ReportContext, results: readonly BaseTaskResult[]): Promise<void> {
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ context: ctx, results }, null, 1));
  for (const r of results) {
    writeFileSync(join(dir, `${fileLabel(r.base)}_test_loss.svg`), await curvePlot(ctx, r));
    writeFileSync(join(dir, `${fileLabel(r.base)}_meta_training.svg`), await metaTrainingPlot(ctx, r));
    if (r.trajectories !== undefined) writeFileSync(join(dir, `${fileLabel(r.base)}_trajectories.svg`), await trajectoryPlot(`${ctx.task} (${ctx.preset}): θ paths on the 2-parameter regression (Figure 8)`, r.trajectories));
  }
  writeFileSync(join(dir, 'report.md'), markdown(ctx, results));
}

function netOf(label: string): string {
  return label.split('(')[0]!;
}

function markdown(ctx: ReportContext, results: readonly BaseTaskResult[]): string {
  const { pes, rule } = ctx;
  const lines = [
    `# ${ctx.task} — preset \`${ctx.preset}\``, '',
    `Meta-training: PES, ${pes.outerSteps} outer steps, ${pes.pairs} antithetic pairs, truncation ${pes.truncation}, σ ${pes.sigma}, outer Adam lr ${pes.outerLr}${pes.outerSchedule === 'cosine' ? ' decayed to 0 by a cosine over the outer steps' : ''}, clip ${pes.clip};`,
    `the rule starts at α ${rule.alpha}, μ ${rule.mu}, β ${rule.beta}. Inner steps: ${ctx.device}. Wall-clock: ${(ctx.seconds / 60).toFixed(1)} min${ctx.loadAverage === undefined ? '' : ` at a 1-minute load average of ${ctx.loadAverage.min.toFixed(1)}–${ctx.loadAverage.max.toFixed(1)} (sampled every 30 s; on a busy machine the time says little)`} (of this invocation only: a resumed run reads what earlier ones meta-trained and evaluated from trained/ and outcomes/).`,
    'Metric (paper §6.2): Adam\'s best test loss L* within the horizon and the steps N* it needs; per optimizer the',
    'step-reduction factor N* ÷ (its steps to reach L*) and its best test loss, mean ± std over seeds.', '',
  ];
  for (const r of results) {
    const paper = paperTask(r.base);
    lines.push(`## ${r.base} (horizon ${r.horizon}, ${r.params} parameters)`, '');
    if (paper?.standIn !== undefined) lines.push(`Stand-in for the paper's **${paper.task}** task: ${paper.standIn}. The paper's figures are for ${paper.task} and are not comparable number for number.`, '');
    lines.push(`Adam's learning rate, tuned over ${r.adamGrid.map((g) => fmt(g.lr)).join(', ')}: **${fmt(r.adamLr)}**.`, '');
    lines.push(`| optimizer | step reduction vs Adam | reached L* | best test loss |${paper ? ` paper (Table 1, ${paper.task}) |` : ''}`);
    lines.push(`| --- | ---: | ---: | ---: |${paper ? ' ---: |' : ''}`);
    for (const s of r.scores) {
      const reached = s.reductions.filter((x): x is number => x !== undefined);
      const reduction = reached.length === 0 ? '—' : cell(reached);
      lines.push(`| ${s.label} | ${reduction} | ${reached.length}/${s.reductions.length} | ${cell(s.bestLosses)} |${paper ? ` ${paper.rows.get(paperColumn(netOf(s.label))) ?? '—'} |` : ''}`);
    }
    const skipped = [...new Set(results.flatMap((x) => x.scores.map((s) => s.label)))].filter((l) => !r.scores.some((s) => s.label === l));
    if (skipped.length > 0) lines.push('', `Not run on this base task (its \`optimizers: [...]\` in the preset): ${skipped.join(', ')}.`);
    lines.push('', ...stabilityLines(r), '', `![test loss against inner steps](${fileLabel(r.base)}_test_loss.svg)`, '');
    lines.push(...metaTrainingLines(r));
    if (r.trajectories !== undefined) lines.push(`![θ paths over the loss (Figure 8)](${fileLabel(r.base)}_trajectories.svg)`, '');
  }
  return lines.join('\n');
}

/** Per optimizer its worst mean test loss ÷ its step-0 loss (loss-rise.ts), those above the limit flagged. */
function stabilityLines(r: BaseTaskResult): string[] {
  const rises = r.scores.map((s) => ({ label: s.label, ...worstRise(r.curves[s.label]!) }));
  const above = rises.filter((x) => !(x.ratio <= RISE_LIMIT));
  const each = rises.map((x) => `${x.label} ${x.ratio.toFixed(3)}${x.step > 0 ? ` (step ${x.step})` : ''}`).join(', ');
  return [`Stability, the largest mean test loss over seeds within the horizon ÷ its step-0 value (limit ${RISE_LIMIT.toFixed(2)}): ${each}.`,
    above.length === 0 ? 'No optimizer rises above the limit.' : `**Above the limit: ${above.map((x) => x.label).join(', ')}.**`];
}

/**
 * The meta-training summary: per optimizer the truncation loss averaged over the first and the last
 * tenth of the outer steps (PES's loss is noisy step to step: the particles sit at staggered phases)
 * and α, μ, β at the end; the plot has every step.
 */
function metaTrainingLines(r: BaseTaskResult): string[] {
  const rows = Object.entries(r.metaCurves).filter(([, c]) => c.length > 0);
  if (rows.length === 0) return [];
  const lines = ['Meta-training (PES truncation loss, mean over the first and last tenth of the outer steps; the rule at the end):', '',
    '| optimizer | outer steps | loss, first tenth | loss, last tenth | α | μ | β |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const [label, curve] of rows) {
    const tenth = Math.max(1, Math.floor(curve.length / 10));
    const mean = (ps: readonly MetaCurvePoint[]) => ps.reduce((a, p) => a + p.loss, 0) / ps.length;
    const last = curve[curve.length - 1]!;
    lines.push(`| ${label} | ${last.outerStep} | ${fmt(mean(curve.slice(0, tenth)))} | ${fmt(mean(curve.slice(-tenth)))} | ${fmt(last.alpha)} | ${fmt(last.mu)} | ${last.beta === 0 ? '—' : fmt(last.beta)} |`);
  }
  lines.push('', `![meta-training curves](${fileLabel(r.base)}_meta_training.svg)`, '');
  return lines;
}

function cell(xs: readonly number[]): string {
  const { mean, std } = meanStd(xs);
  return `${fmt(mean)} ± ${std === 0 ? '0' : fmt(std)}`;
}

async function curvePlot(ctx: ReportContext, r: BaseTaskResult): Promise<string> {
  const values = Object.entries(r.curves).flatMap(([optimizer, curves]) => curves[0]!.steps.map((step, i) => ({
    optimizer, step, loss: meanStd(curves.map((c) => c.losses[i]!)).mean,
  })));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${ctx.task} (${ctx.preset}): ${r.base}, mean test loss over seeds`,
    width: 520,
    height: 320,
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'inner step' },
      y: { field: 'loss', type: 'quantitative', title: 'test loss', scale: { type: 'log' } },
      color: { field: 'optimizer', type: 'nominal', title: 'optimizer' },
    },
  };
  return renderSvg(spec);
}

async function metaTrainingPlot(ctx: ReportContext, r: BaseTaskResult): Promise<string> {
  const values = Object.entries(r.metaCurves).flatMap(([optimizer, curve]) => curve.flatMap((p) => [
    { optimizer, outerStep: p.outerStep, quantity: '1 truncation loss', value: p.loss },
    { optimizer, outerStep: p.outerStep, quantity: '2 α', value: p.alpha },
    { optimizer, outerStep: p.outerStep, quantity: '3 μ', value: p.mu },
    ...(p.beta === 0 ? [] : [{ optimizer, outerStep: p.outerStep, quantity: '4 β', value: p.beta }]),
  ]).filter((v) => Number.isFinite(v.value)));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${ctx.task} (${ctx.preset}): ${r.base}, PES meta-training`,
    data: { values },
    facet: { row: { field: 'quantity', type: 'nominal', title: null } },
    spec: {
      width: 520,
      height: 140,
      mark: { type: 'line', strokeWidth: 1 },
      encoding: {
        x: { field: 'outerStep', type: 'quantitative', title: 'outer step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'optimizer', type: 'nominal', title: 'optimizer' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
  return renderSvg(spec);
}
