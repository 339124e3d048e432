// The run directory's human-facing outputs: `report.md` (the result table, the comparison with the
// paper), `results.json` (every figure, machine-readable) and `test_error.svg` (test error against
// training-set size, one line per model: the counterpart of the paper's Figure 7).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { formatNumber as fmt, renderSvg } from './plot.js';
import { improvement, summarise, type RunResult, type Summary } from './summary.js';

export { improvement, summarise, type RunResult, type Summary };

export interface ReportContext {
  task: string;
  preset: string;
  target: string;
  metric: string;
  device: string;
  /** The non-learned reference every model is compared with (the standard estimator), if present. */
  referenceModel: string | null;
  /** The reference's least-squares recalibration (runtime/tasks/recalibration.ts), if reported. */
  recalibratedModel: string | null;
  /** What the paper reports as improvement over the reference, by net name (in %). */
  paperImprovement: ReadonlyMap<string, number>;
  /** What the paper reports as the error itself, by net name (same metric), where it gives numbers. */
  paperErrors: ReadonlyMap<string, number>;
  seconds: number;
}

export async function writeReport(dir: string, ctx: ReportContext, results: readonly RunResult[]): Promise<void> {
  const summaries = summarise(results);
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ context: { ...ctx, paperImprovement: Object.fromEntries(ctx.paperImprovement), paperErrors: Object.fromEntries(ctx.paperErrors) }, summaries, results }, null, 2));
  writeFileSync(join(dir, 'test_error.svg'), await plotSvg(ctx, summaries));
  writeFileSync(join(dir, 'report.md'), markdown(ctx, summaries));
}

function markdown(ctx: ReportContext, summaries: readonly Summary[]): string {
  const sizes = [...new Set(summaries.map((s) => s.trainSize))].sort((a, b) => a - b);
  const models = [...new Set(summaries.map((s) => s.model))];
  const cell = (model: string, size: number): Summary | undefined =>
    summaries.find((s) => s.model === model && s.trainSize === size);
  const lines: string[] = [];
  lines.push(`# ${ctx.task} — preset \`${ctx.preset}\``, '');
  lines.push(`Target: \`${ctx.target}\`. Metric: ${ctx.metric}, mean ± std over seeds (lower is better).`);
  // A resumed run's wall-clock covers only its last invocation; the runs' own times survive resumes.
  const runSeconds = summaries.reduce((sum, s) => sum + s.seconds, 0);
  lines.push(`Device: ${ctx.device}. Wall-clock time: ${formatSeconds(ctx.seconds)} (this invocation); training and evaluation, summed over runs: ${formatSeconds(runSeconds)}.`, '');
  const paperColumn = ctx.paperErrors.size > 0;
  lines.push(`| model | params | ${sizes.map((n) => `train ${n}`).join(' | ')} |${paperColumn ? ' paper |' : ''}`);
  lines.push(`| --- | ---: | ${sizes.map(() => '---:').join(' | ')} |${paperColumn ? ' ---: |' : ''}`);
  for (const model of models) {
    const first = summaries.find((s) => s.model === model);
    const cells = sizes.map((n) => {
      const s = cell(model, n);
      return s === undefined ? '—' : `${fmt(s.mean)} ± ${fmt(s.std)}`;
    });
    const paper = first === undefined ? undefined : ctx.paperErrors.get(first.net);
    lines.push(`| ${model} | ${first?.params ?? 0} | ${cells.join(' | ')} |${paperColumn ? ` ${paper === undefined ? '—' : paper} |` : ''}`);
  }
  lines.push('', '![test error against training-set size](test_error.svg)', '');
  if (ctx.referenceModel !== null) {
    const largest = sizes[sizes.length - 1]!;
    const ref = cell(ctx.referenceModel, largest) ?? summaries.find((s) => s.model === ctx.referenceModel);
    const recalibrated = ctx.recalibratedModel === null ? undefined : cell(ctx.recalibratedModel, largest);
    if (ref !== undefined) {
      lines.push(`## Improvement over \`${ctx.referenceModel}\` (train ${largest})`, '');
      if (recalibrated !== undefined) {
        // Two numbers: one line for a scalar label (the trace); otherwise one line per parameter block.
        const fit = recalibrated.params === 2 ? 'one least-squares line a·x + c' : 'a least-squares line a·x + c per parameter block';
        lines.push(`\`${recalibrated.model}\` is the estimator with ${fit}, fitted on the training sets:`,
          'the last column is the gain over that shrinkage.', '');
      }
      const vsRecalibrated = recalibrated === undefined ? '' : ` vs \`${recalibrated.model}\` |`;
      lines.push(`| model | improvement | paper |${vsRecalibrated}`, `| --- | ---: | ---: |${recalibrated === undefined ? '' : ' ---: |'}`);
      for (const model of models) {
        if (model === ctx.referenceModel) continue;
        const s = cell(model, largest);
        if (s === undefined) continue;
        const paper = ctx.paperImprovement.get(s.net);
        const overRecalibrated = recalibrated === undefined ? '' : ` ${model === recalibrated.model ? '—' : `${improvement(s.mean, recalibrated.mean).toFixed(1)}%`} |`;
        lines.push(`| ${model} | ${improvement(s.mean, ref.mean).toFixed(1)}% | ${paper === undefined ? '—' : `${paper}%`} |${overRecalibrated}`);
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

async function plotSvg(ctx: ReportContext, summaries: readonly Summary[]): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${ctx.task} (${ctx.preset}): ${ctx.metric}`,
    width: 520,
    height: 320,
    data: { values: summaries.map((s) => ({ model: s.model, n: s.trainSize, error: s.mean, lo: s.mean - s.std, hi: s.mean + s.std })) },
    encoding: {
      x: { field: 'n', type: 'quantitative', title: 'training-set size', scale: { type: 'log' } },
      color: { field: 'model', type: 'nominal', title: 'model' },
    },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { y: { field: 'error', type: 'quantitative', title: ctx.metric, scale: { type: 'log' } } } },
      { mark: { type: 'rule', opacity: 0.5 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  };
  return renderSvg(spec);
}

function formatSeconds(s: number): string {
  return s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}
