// The learned-optimizer task end to end: `gmn run dsl-examples/learned_optimizer.gmn --preset quick`
// through the CLI writes the report, results and meta-trained optimizers; a run stopped after a
// checkpoint and resumed gives results bit-identical to an uninterrupted run.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import type { Progress } from '../../runtime/tasks/progress.js';
import { learnedOptimizationConfig } from '../../runtime/tasks/learned-optimizer/config.js';
import { runLearnedOptimizationTask } from '../../runtime/tasks/learned-optimizer/run.js';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'dsl-examples/learned_optimizer.gmn');

interface Score { label: string; reductions: (number | null)[]; bestLosses: number[] }
interface Results { results: { base: string; scores: Score[] }[] }

const silent: Progress = { stage() {}, data() {}, log() {}, startTraining() {}, advance() {}, stop() {} };

/** The quick run's directory (written once, read by the verify tests too). */
let out: string;

describe('gmn run dsl-examples/learned_optimizer.gmn --preset quick', () => {
  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    out = join(tempDir('gmn-lopt-'), 'run');
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'run', EXAMPLE, '--preset', 'quick', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr).not.toMatch(/internal error|at .*\.ts:\d+/);
    expect(run.status).toBe(0);
  }, 120_000);

  it('reports Adam and every learned optimizer; meta-trained ones beat Adam on the regression within T = 10', () => {
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    const scores = results.results[0]!.scores;
    const learned = ['sgdm', 'ds_optimizer(hidden: 8)', 'unf_optimizer(hidden: 8)', 'ds_gradmetanet(hidden: 8, width: 8)', 'unf_gradmetanet(hidden: 8, width: 8)'];
    expect(scores.map((s) => s.label)).toEqual(['adam', ...learned]);
    const best = (label: string) => scores.find((s) => s.label === label)!.bestLosses[0]!;
    for (const label of learned) expect(best(label), label).toBeLessThan(best('adam'));
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('| sgdm |');
    for (const plot of ['linear_regression_test_loss.svg', 'linear_regression_trajectories.svg']) expect(readFileSync(join(out, plot), 'utf8')).toContain('<svg');
    expect(readdirSync(join(out, 'trained')).sort()).toEqual([
      'linear_regression-ds_gradmetanet_hidden__8__width__8_.json', 'linear_regression-ds_optimizer_hidden__8_.json', 'linear_regression-sgdm.json',
      'linear_regression-unf_gradmetanet_hidden__8__width__8_.json', 'linear_regression-unf_optimizer_hidden__8_.json',
    ]);
  });
});

describe('gmn verify --params on a meta-trained optimizer', () => {
  const verify = (file: string) => spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'verify', EXAMPLE, '--params', file, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

  it('UNF + GradMetaNet after meta-training is still equivariant (F_ϕ with its trained ϕ, on the regression it was trained on)', () => {
    const run = verify(join(out, 'trained', 'linear_regression-unf_gradmetanet_hidden__8__width__8_.json'));
    expect(run.status).toBe(0);
    const [net] = (JSON.parse(run.stdout) as { nets: { net: string; verified: boolean; equivariance: number; instance: string }[] }).nets;
    expect(net!.verified).toBe(true);
    expect(net!.equivariance).toBeLessThan(1e-8);
    expect(net!.instance).toContain('preset quick, linear_regression');
  });

  it('SGDM has no network to verify, and a damaged file is named: exit 1 with a hint, no stack trace', () => {
    const sgdm = verify(join(out, 'trained', 'linear_regression-sgdm.json'));
    expect(sgdm.status).toBe(1);
    expect(sgdm.stderr).toMatch(/sgdm is the update rule alone: it has no network to verify\n  hint: /);
    const damaged = join(out, 'trained', 'damaged.json');
    writeFileSync(damaged, '{"optimizer": "ds_optimizer(hidden: 8)", "base": "linear_regression", "phi": [1, 2]}');
    const run = verify(damaged);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/does not hold \d+ finite meta-parameters for ds_optimizer\(hidden: 8\)/);
    expect(run.stderr).not.toMatch(/at .*\.(ts|mjs):\d+/);
  });
});

describe('gmn optimize', () => {
  const optimize = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'optimize', EXAMPLE, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const trained = () => join(out, 'trained', 'linear_regression-unf_gradmetanet_hidden__8__width__8_.json');

  it('trains the regression with a meta-trained optimizer and with Adam: exactly the run\'s evaluation curves (seed 1, the tuned rate)', () => {
    const run = optimize('--optimizer', trained(), '--json');
    expect(run.status).toBe(0);
    const used = JSON.parse(run.stdout) as { learned: unknown; adam: unknown; learnedSteps: number };
    const { results } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { results: { curves: Record<string, unknown[]> }[] };
    expect(used.learned).toEqual(results[0]!.curves['unf_gradmetanet(hidden: 8, width: 8)']![0]);
    expect(used.adam).toEqual(results[0]!.curves['adam']![0]);
    const table = optimize('--optimizer', trained(), '--steps', '4');
    expect(table.stdout).toMatch(/unf_gradmetanet\(hidden: 8, width: 8\) vs Adam on LinearRegression \(2 parameters\)/);
    expect(table.stdout).toMatch(/Adam's best test loss L\* = [\d.]+ at step 4/);
  });

  it('--target on the regression is refused with a hint, exit 1', () => {
    const run = optimize('--optimizer', trained(), '--target', 'FashionMlp');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/meta-trained on the 2-D regression, which has no target to replace\n  hint: /);
  });
});

describe('resume', () => {
  it('a run stopped after its first checkpoint and resumed matches an uninterrupted run bit for bit', async () => {
    const { program, diagnostics } = checkFiles([EXAMPLE]);
    expect(diagnostics).toEqual([]);
    const module = program.roots[0]!;
    const task = [...module.symbols.tasks.values()][0]!;
    // SGDM and UNF + GradMetaNet (whose state also holds the gradient sets' EMAs), 10 outer steps:
    // the test stays short.
    const quick = learnedOptimizationConfig(task, 'quick');
    const config = { ...quick, optimizers: quick.optimizers.filter((o) => o.net === 'sgdm' || o.net === 'unf_gradmetanet'), pes: { ...quick.pes, outerSteps: 10, pairs: 2 } };
    const work = tempDir('gmn-lopt-resume-');
    const run = (outDir: string, shouldStop?: () => boolean, progress: Progress = silent) => runLearnedOptimizationTask({ program, module, config, outDir, progress, checkpointEvery: 5, shouldStop });
    expect(await run(join(work, 'straight'))).toBe('finished');
    expect(await run(join(work, 'resumed'), () => true)).toBe('stopped');
    expect(readdirSync(join(work, 'resumed', 'checkpoints')).length).toBe(1);
    expect(await run(join(work, 'resumed'))).toBe('finished');
    const results = (dir: string) => (JSON.parse(readFileSync(join(work, dir, 'results.json'), 'utf8')) as { results: unknown }).results;
    expect(results('resumed')).toEqual(results('straight'));
    for (const f of readdirSync(join(work, 'straight', 'trained'))) {
      expect(readFileSync(join(work, 'resumed', 'trained', f), 'utf8')).toBe(readFileSync(join(work, 'straight', 'trained', f), 'utf8'));
    }

    // A damaged meta-training checkpoint, then a damaged meta-trained optimizer: each is named, that
    // meta-training is redone from scratch, and the results still equal the uninterrupted run's.
    const warnings: string[] = [];
    const noisy: Progress = { ...silent, log: (line) => warnings.push(line) };
    expect(await run(join(work, 'damaged'), () => true, noisy)).toBe('stopped');
    const checkpoint = join(work, 'damaged', 'checkpoints', readdirSync(join(work, 'damaged', 'checkpoints'))[0]!);
    writeFileSync(checkpoint, '{"phi": {"f64": [0.1');
    expect(await run(join(work, 'damaged'), undefined, noisy)).toBe('finished');
    expect(warnings.join('\n')).toContain(`meta-training checkpoint ${checkpoint} is damaged (`);
    expect(warnings.join('\n')).toMatch(/nothing usable is left, so it starts from scratch/);
    expect(results('damaged')).toEqual(results('straight'));
    const trained = join(work, 'damaged', 'trained', readdirSync(join(work, 'damaged', 'trained')).find((f) => f.includes('unf_gradmetanet'))!);
    writeFileSync(trained, '{"phi": [1, 2]}');
    expect(await run(join(work, 'damaged'), undefined, noisy)).toBe('finished');
    expect(warnings.join('\n')).toMatch(new RegExp(`meta-trained optimizer ${trained.replace(/[.()]/g, '\\$&')} is damaged \\(its phi is not \\d+ finite numbers\\)`));
    expect(results('damaged')).toEqual(results('straight'));
  }, 120_000);
});
