// The INR-editing task (paper §6.3), `quick` preset, end to end through the CLI on the machine's
// WebGPU adapter: INRs fitted and cached, editors trained with `render` inside the net, the
// report, results.json and image grid written; training lowers the validation MSE; the trained
// editors pass the numeric equivariance check; `gmn edit` applies one; a second run resumes (finds
// every run done).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pngjs from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { referenceBackend } from '../../runtime/verify/backend.js';
import { verifyNet } from '../../runtime/verify/program.js';
import { IMAGE_SIDE } from '../../runtime/inr/images.js';
import { gridGeometry, LINE_HEIGHT } from '../../runtime/inr/png.js';
import { gridCaption } from '../../runtime/tasks/inr-editing/report.js';
import { readTextLine } from '../fixtures/png-text.js';
import { loadTrainedNet } from '../../runtime/verify/trained.js';
import { openTestGpu } from '../device/gpu-fixture.js';
import { tempDir } from '../fixtures/temp-dir.js';

const { PNG } = pngjs;
const ROOT = resolve(import.meta.dirname, '../..');
const FILE = join(ROOT, 'dsl-examples/inr_editing.gmn');

interface Results {
  edits: {
    edit: string; unit: number; noEdit: number; psnr: { median: number };
    models: { model: string; lr: number; testMean: number; validationMean: number; initialValidationMean: number }[];
    runs: { model: string; seed: number; testError: number }[];
    curves: { model: string; points: { step: number; validation: number }[] }[];
    grid: { file: string; columns: string[]; rows: { inr: number; mse: Record<string, number> }[] };
  }[];
}

const gpu = await openTestGpu();
gpu?.destroy();

describe.skipIf(gpu === null)('gmn run dsl-examples/inr_editing.gmn --preset quick', () => {
  let work: string;
  let out: string;
  let results: Results;
  const run = () => spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'run', FILE, '--preset', 'quick', '--out', out], { cwd: work, encoding: 'utf8', timeout: 280_000 });

  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    work = tempDir('gmn-inr-');
    out = join(work, 'run');
    const first = run();
    expect(first.stderr).not.toMatch(/internal error|validation:/);
    expect(first.status).toBe(0);
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  }, 300_000);

  it('reports every editor on the dilation benchmark, with the fits and the no-edit reference', () => {
    expect(results.edits.map((e) => e.edit)).toEqual(['dilate-mnist']);
    const [dilate] = results.edits;
    expect(dilate!.unit).toBe(1e-2);
    expect(dilate!.models.map((m) => m.model)).toEqual(['ws', 'ws_gradmetanet']);
    for (const m of dilate!.models) expect(Number.isFinite(m.testMean) && m.testMean > 0).toBe(true);
    // 20 Adam steps at lr 0.005 already draw the digit (a flat image would be about 6 dB).
    expect(dilate!.psnr.median).toBeGreaterThan(15);
    expect(dilate!.noEdit).toBeGreaterThan(0);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    for (const row of ['| ws |', '| ws_gradmetanet |', '| no edit (Δθ = 0) |']) expect(report).toContain(row);
    expect(existsSync(join(out, 'edits-dilate-mnist.png'))).toBe(true);
  });

  it('labels the image grid: a header naming each column, and under each rendering the MSE results.json holds', () => {
    const { grid } = results.edits[0]!;
    expect(grid.columns).toEqual(['image', 'INR', 'target', 'ws', 'ws_gradmetanet']);
    expect(grid.rows.map((r) => r.inr)).toEqual([0, 1]);
    const decoded = PNG.sync.read(readFileSync(join(out, grid.file)));
    const image = { width: decoded.width, data: Uint8Array.from({ length: decoded.width * decoded.height }, (_, i) => decoded.data[4 * i]!) };
    const g = gridGeometry(grid.rows.length, grid.columns.length, IMAGE_SIDE, { scale: 3, header: grid.columns, captions: [['MSE']] });
    expect(decoded.width).toBe(g.width);
    const header = grid.columns.map((_, c) => g.headerLines[c]!.map((_, i) => readTextLine(image, g.cellX(c), g.cell, g.headerY + i * LINE_HEIGHT)).join(''));
    expect(header).toEqual(grid.columns.map((c) => c.toUpperCase()));
    grid.rows.forEach((row, r) => grid.columns.forEach((column, c) => {
      const mse = row.mse[column];
      expect(readTextLine(image, g.cellX(c), g.cell, g.captionY(r)), `${column}, row ${r}`).toBe(mse === undefined ? '' : gridCaption(mse).toUpperCase());
    }));
    // Under the fitted INR: its own error to the edited image, the per-image "no edit".
    for (const row of grid.rows) expect(Object.keys(row.mse).sort()).toEqual(['INR', 'ws', 'ws_gradmetanet']);
  });

  it('training lowers every editor\'s validation MSE, from "no edit" (the last layer starts at zero)', () => {
    const [dilate] = results.edits;
    for (const m of dilate!.models) expect(m.validationMean, m.model).toBeLessThan(m.initialValidationMean);
    // Every editor starts as Δθ = 0: its untrained validation MSE is the same number.
    expect(new Set(dilate!.models.map((m) => m.initialValidationMean)).size).toBe(1);
    // The learning curve: the untrained editor, then every evaluation (eval_every 3 of 6 steps), ending at the best.
    for (const c of dilate!.curves) {
      expect(c.points.map((p) => p.step), c.model).toEqual([0, 3, 6]);
      expect(Math.min(...c.points.map((p) => p.validation)), c.model).toBe(dilate!.models.find((m) => m.model === c.model)!.validationMean);
    }
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/## Validation MSE during training[^]*\| dilate-mnist \| ws \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
  });

  it('the trained editors pass the numeric equivariance check', async () => {
    const { program } = checkFiles([FILE]);
    const root = program.roots[0]!;
    const task = [...root.symbols.tasks.values()][0]!;
    const trained = readdirSync(join(out, 'trained'));
    expect(trained.sort()).toEqual(['dilate-mnist_ws_gradmetanet_lr0.005-n16-s1.ckpt', 'dilate-mnist_ws_lr0.005-n16-s1.ckpt']);
    for (const dir of trained) {
      const net = loadTrainedNet({ program, module: root, task, dir: join(out, 'trained', dir) });
      const verified = await verifyNet(net.model, net.file, net.instance, net.graph, net.inst, { seed: 0, backend: referenceBackend, params: net.params });
      expect(verified.verified, dir).toBe(true);
      expect(verified.report!.sensitivityMargin, dir).toBeGreaterThan(1e-3);
    }
  });

  it('gmn edit applies a trained editor to a test INR and writes the images', () => {
    const dir = join(work, 'edit');
    const edit = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'edit', FILE, '--editor', join(out, 'trained', 'dilate-mnist_ws_gradmetanet_lr0.005-n16-s1.ckpt'), '--inr', '1', '--out', dir],
      { cwd: work, encoding: 'utf8', timeout: 120_000 });
    expect(edit.stderr).not.toMatch(/error/i);
    expect(edit.status).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'edit.json'), 'utf8')) as { editor: string; edit: string; mseBefore: number; mseAfter: number; edited: number[] };
    expect(result).toMatchObject({ editor: 'ws_gradmetanet', edit: 'dilate-mnist' });
    expect(result.edited).toHaveLength(1185);
    // The editor moved θ, and the images are the 28×28 grid drawn 4× larger.
    expect(result.mseAfter).not.toBe(result.mseBefore);
    for (const name of ['before', 'after', 'target']) expect(PNG.sync.read(readFileSync(join(dir, `${name}.png`))).width).toBe(112);
    const bad = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'edit', FILE, '--editor', join(out, 'trained', 'dilate-mnist_ws_lr0.005-n16-s1.ckpt'), '--inr', '9', '--out', dir],
      { cwd: work, encoding: 'utf8', timeout: 120_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/test INR 9 does not exist: the benchmark has 4 test INRs\n  hint: use --inr 0\.\.3/);
  }, 240_000);

  it('a second run finds every training run done and writes the same results', () => {
    // Progress lines are throttled when stderr is not a terminal, so the proof that nothing was
    // retrained is the trained editors' files, untouched by the second run.
    const trained = join(out, 'trained');
    const stamps = () => readdirSync(trained, { recursive: true, encoding: 'utf8' }).sort().map((f) => `${f} ${statSync(join(trained, f)).mtimeMs}`);
    const before = stamps();
    const again = run();
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/seed=1: done earlier/);
    expect(again.stderr).toMatch(/data: cache hit/);
    expect(stamps()).toEqual(before);
    const rerun = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(rerun.edits[0]!.models).toEqual(results.edits[0]!.models);
  });
});
