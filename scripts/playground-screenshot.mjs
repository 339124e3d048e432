// Builds the playground (dist/playground), opens it in headless chromium, and writes
//   docs/playground.png                          the page with its default example after training
//                                                its quick preset on the page's WebGPU (the run
//                                                pane: loss plot and final table; with --no-run, the
//                                                certificate pane);
//   docs/performance/playground-<date>.json      the bundle's size (raw and gzip) and the time from
//                                                navigation to the first diagnostics shown, over
//                                                several fresh loads, with the machine and its load;
//                                                with the run, its table beside the one `gmn run
//                                                --preset quick --backend webgpu` writes (run at
//                                                the same time on Node's WebGPU), and their
//                                                largest relative difference.
// Usage: npm run build && node scripts/playground-screenshot.mjs [--loads N] [--no-run]   (docs/playground.md)
// The site is served by `gmn playground --no-build` (dist/gmn.mjs), as a reader would serve it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildPlayground } from './build-playground.mjs';
import { CHROMIUM, CHROMIUM_FLAGS, chromiumMissing, launchChromium } from './playground-browser.mjs';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { loads: { type: 'string', default: '5' }, 'no-run': { type: 'boolean' } } });
const loads = Number(values.loads);

const missing = chromiumMissing();
if (missing !== null) {
  console.error(`playground-screenshot: ${missing}`);
  process.exit(1);
}

const load = [loadavg()];
const runDir = mkdtempSync(join(tmpdir(), 'gmn-playground-run-'));
const { outdir, sizes } = await buildPlayground();
const bundle = Object.fromEntries(Object.entries(sizes).map(([f, bytes]) => [f, { bytes, gzip: gzipSync(readFileSync(join(outdir, f))).length }]));
const server = spawn(process.execPath, [join(root, 'dist/gmn.mjs'), 'playground', '--port', '0', '--no-build'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let printed = '';
  server.stdout.on('data', (chunk) => {
    printed += chunk;
    const found = /http:\/\/\S+/.exec(printed);
    if (found !== null) resolve(found[0]);
  });
  server.on('exit', (code) => reject(new Error(`gmn playground exited ${code} before serving`)));
});
const browser = await launchChromium();
try {
  const firstDiagnosticsMs = [];
  let page;
  for (let i = 0; i < loads; i++) {
    await page?.close();
    page = await browser.newPage();
    await page.goto(url);
    const handle = await page.waitForFunction(() => performance.getEntriesByName('gmn:first-diagnostics')[0]?.startTime, { timeout: 120_000, polling: 20 });
    firstDiagnosticsMs.push(Math.round(await handle.jsonValue()));
    console.log(`load ${i + 1}/${loads}: first diagnostics after ${firstDiagnosticsMs.at(-1)} ms`);
  }
  await page.waitForFunction(() => document.querySelector('#certificate-text')?.textContent?.includes('proved:'), { timeout: 120_000 });
  await page.click('#tabs [data-pane="run"]');
  const adapter = await page.waitForFunction(() => {
    const text = document.querySelector('#gpu')?.textContent ?? '';
    return text.startsWith('Looking') ? false : text;
  }, { timeout: 60_000 }).then((h) => h.jsonValue());
  let trainSeconds = null;
  let comparison = null;
  if (values['no-run'] === true) {
    await page.click('#tabs [data-pane="certificate"]');
  } else {
    // Started after the page loads were timed, so that it does not slow them.
    const cliRun = gmnRunQuick(runDir);
    await page.click('#run');
    await page.waitForFunction(() => document.querySelector('#results tbody tr') !== null || document.querySelector('#run-error')?.textContent !== '', { timeout: 1_500_000 });
    const failed = await page.$eval('#run-error', (e) => e.textContent);
    if (failed !== '') throw new Error(`the quick preset failed on the page: ${failed}`);
    trainSeconds = Number(/done in ([\d.]+) s/.exec(await page.$eval('#progress-text', (e) => e.textContent))?.[1]);
    const shown = await page.$$eval('#results tbody tr', (rows) => rows.map((r) => ({ model: r.dataset.model, page: Number(r.querySelector('[data-field="mean"]').dataset.value) })));
    const cli = await cliRun;
    comparison = shown.map((row, i) => ({ ...row, gmnRun: cli[i]?.mean ?? null, relative: Math.abs(row.page - cli[i]?.mean) / Math.abs(cli[i]?.mean) }));
    if (comparison.some((c, i) => cli[i]?.model !== c.model)) throw new Error('the page and gmn run list different models');
  }
  await page.screenshot({ path: join(root, 'docs/playground.png') });
  load.push(loadavg());

  const date = new Date().toISOString().slice(0, 10);
  const sorted = [...firstDiagnosticsMs].sort((a, b) => a - b);
  const report = {
    what: 'gmn playground: browser bundle size and time from navigation to the first diagnostics shown (default example dsl-examples/curvature.gmn), fresh page loads in headless chromium',
    script: 'scripts/playground-screenshot.mjs',
    date: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(),
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, loadavgBefore: load[0], loadavgAfter: load[1] },
    browser: { executable: CHROMIUM, version: await browser.version(), flags: CHROMIUM_FLAGS, webgpu: adapter },
    bundle,
    bundleTotal: { bytes: Object.values(bundle).reduce((s, b) => s + b.bytes, 0), gzip: Object.values(bundle).reduce((s, b) => s + b.gzip, 0) },
    firstDiagnosticsMs: { runs: firstDiagnosticsMs, median: sorted[Math.floor(sorted.length / 2)] },
    quickPresetOnPageSeconds: trainSeconds,
    quickPresetTestError: comparison === null ? null : {
      models: comparison,
      largestRelativeDifference: Math.max(...comparison.map((c) => c.relative)),
    },
  };
  const out = join(root, `docs/performance/playground-${date}.json`);
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote docs/playground.png and ${out}`);
} finally {
  await browser.close();
  server.kill('SIGINT');
  rmSync(runDir, { recursive: true, force: true });
}

/** `gmn run dsl-examples/curvature.gmn --preset quick --backend webgpu`'s results.json summaries. */
function gmnRunQuick(out) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist/gmn.mjs'), 'run', 'dsl-examples/curvature.gmn', '--preset', 'quick', '--backend', 'webgpu', '--out', out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).summaries) : reject(new Error(`gmn run exited ${code}`))));
  });
}
