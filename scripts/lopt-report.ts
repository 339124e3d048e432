// Writes a learned-optimization run's report again from its results.json (report.md, the plots and
// results.json itself), with the report code of this checkout: for a run made before the report
// gained a section (the stability check of issue 25, the meta-training curves), without rerunning it.
// The run's context (its wall-clock included) is kept as results.json recorded it; a run made before
// runs kept their load average can be given the range seen beside it (e.g. by `uptime` every 30 s).
//
//   npx esbuild scripts/lopt-report.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=dist/lopt-report.mjs
//   node dist/lopt-report.mjs RUN_DIR [--load-average MIN-MAX]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeLearnedOptimizationReport, type BaseTaskResult, type ReportContext } from '../runtime/tasks/learned-optimizer/report.js';

const [dir, flag, range] = process.argv.slice(2);
const load = range?.match(/^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/);
if (dir === undefined || (flag !== undefined && (flag !== '--load-average' || load === null || load === undefined))) {
  console.error('usage: node dist/lopt-report.mjs RUN_DIR [--load-average MIN-MAX] (RUN_DIR: a finished `gmn run` of a learned_optimization task; MIN-MAX: e.g. 18.8-33.0)');
  process.exit(2);
}
const file = join(dir, 'results.json');
let stored: { context: ReportContext; results: BaseTaskResult[] };
try {
  stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
} catch (e) {
  console.error(`${file}: ${(e as Error).message} (is ${dir} a finished run directory?)`);
  process.exit(1);
}
// JSON wrote non-finite losses and unreached step reductions as null.
const finite = (x: number | null): number => x ?? NaN;
const results = stored.results.map((r) => ({
  ...r,
  scores: r.scores.map((s) => ({ ...s, reductions: s.reductions.map((x) => (x === null ? undefined : x)) })),
  curves: Object.fromEntries(Object.entries(r.curves).map(([label, cs]) => [label, cs.map((c) => ({ steps: c.steps, losses: c.losses.map(finite) }))])),
  metaCurves: Object.fromEntries(Object.entries(r.metaCurves ?? {}).map(([label, ps]) => [label, ps.map((p) => ({ ...p, loss: finite(p.loss) }))])),
}));
const context = load ? { ...stored.context, loadAverage: { min: Number(load[1]), max: Number(load[2]) } } : stored.context;
await writeLearnedOptimizationReport(dir, context, results);
console.log(`${join(dir, 'report.md')}: written again from ${file}`);
