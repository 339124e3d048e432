// The playground's run against `gmn run` on one preset (issue 29): the preset through runTask
// (what `gmn run FILE --preset P --backend webgpu` does, results.json in a temporary run directory)
// and through the playground engine's runPreset on the `webgpu` package's GPU (what the page does
// with navigator.gpu), each result row side by side with the absolute difference of its test error.
//
//   npx esbuild scripts/playground-vs-run.ts --bundle --platform=node --format=esm --packages=external \
//     --define:GMN_VERSION='"dev"' --define:GMN_BUILD_COMMIT=null --outfile=dist/playground-vs-run.mjs
//   node dist/playground-vs-run.mjs FILE PRESET > OUT.json
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { create } from 'webgpu';
import { runTask } from '../runtime/api/run-task.js';
import { installWebGpuGlobals } from '../runtime/device/adapter.js';
import { withoutNativeChatter } from '../runtime/device/native-chatter.js';
import { runPreset } from '../runtime/playground/engine.js';
import type { Progress } from '../runtime/tasks/progress.js';
import type { RunResult } from '../runtime/tasks/summary.js';

const [file, preset] = process.argv.slice(2);
if (file === undefined || preset === undefined) {
  process.stderr.write('usage: node dist/playground-vs-run.mjs FILE PRESET > OUT.json\n');
  process.exit(2);
}
const silent: Progress = { stage: () => {}, data: () => {}, log: () => {}, startTraining: () => {}, advance: () => {}, stop: () => {} };
const key = (r: RunResult): string => `${r.model} n=${r.trainSize} seed=${r.seed}`;

const loadBefore = loadavg();
const out = join(mkdtempSync(join(tmpdir(), 'gmn-playground-vs-run-')), 'run');
let started = performance.now();
await runTask({ file: resolve(file), preset, backend: 'webgpu', out, progress: silent });
const runSeconds = (performance.now() - started) / 1000;
const cli = (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { results: RunResult[] }).results;

installWebGpuGlobals();
const gpu = await withoutNativeChatter(async () => create([]));
started = performance.now();
const page = await runPreset(readFileSync(file, 'utf8'), preset, gpu, { onProgress: () => {} });
const pageSeconds = (performance.now() - started) / 1000;

const byKey = new Map(page.results.map((r) => [key(r), r]));
const rows = cli.map((r) => {
  const p = byKey.get(key(r));
  return { result: key(r), gmnRun: r.testError, playground: p?.testError ?? null, absDiff: p === undefined ? null : Math.abs(p.testError - r.testError) };
});
process.stdout.write(`${JSON.stringify({
  file, preset, device: page.device,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  loadAverage: { before: loadBefore, after: loadavg() },
  // Timings on a shared, loaded machine: indicative only (gmn run's includes its data cache and report).
  seconds: { gmnRun: runSeconds, playground: pageSeconds },
  sameRows: rows.length === page.results.length && rows.every((r) => r.playground !== null),
  maxAbsDiff: Math.max(...rows.map((r) => r.absDiff ?? Number.POSITIVE_INFINITY)),
  rows,
}, null, 2)}\n`);
