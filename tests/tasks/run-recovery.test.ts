// `gmn run` against concurrency and damage, end to end (float64 reference executor, so every
// training run is exactly reproducible and each outcome can be compared with an uninterrupted
// sweep): a second run on a busy directory is refused, a dead run's lock is taken over, damaged
// checkpoints fall back or restart that one training run, a damaged cache entry is regenerated, a
// damaged config.json and an oversized dataset are errors with a file and a way out — and none of
// it is ever an internal error.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/gmn.mjs');
const FIXTURE = join(ROOT, 'tests/fixtures/recovery-curvature.gmn');

interface Row { model: string; trainSize: number; seed: number; testError: number; validationError: number | null; bestEpoch: number }

let work: string;
let full: string;

function gmn(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
}

const run = (out: string): SpawnSyncReturns<string> => gmn(['run', FIXTURE, '--out', out, '--backend', 'reference']);

/** results.jsonl without timings, sorted: what must equal an uninterrupted sweep's. */
function results(dir: string): Row[] {
  return readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row)
    .map(({ model, trainSize, seed, testError, validationError, bestEpoch }) => ({ model, trainSize, seed, testError, validationError, bestEpoch }))
    .sort((a, b) => `${a.model}|${a.seed}`.localeCompare(`${b.model}|${b.seed}`));
}

function expectClean(r: SpawnSyncReturns<string>): void {
  expect(r.stderr).not.toMatch(/internal error|at .*\.m?js:\d+/);
}

/** Starts a run and SIGKILLs it once its first training run has two checkpoint generations on disk. */
async function killedWithTwoGenerations(dir: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'run', FIXTURE, '--out', dir, '--backend', 'reference'], { cwd: work, stdio: 'ignore' });
  const checkpoints = join(dir, 'checkpoints');
  const latest = await new Promise<string>((done, fail) => {
    const timer = setInterval(() => {
      const prev = existsSync(checkpoints) ? readdirSync(checkpoints).find((f) => f.endsWith('.ckpt.prev')) : undefined;
      if (prev !== undefined) {
        clearInterval(timer);
        child.kill('SIGKILL');
        done(join(checkpoints, prev.replace(/\.prev$/, '')));
      }
    }, 2);
    child.on('exit', () => {
      clearInterval(timer);
      fail(new Error('the run finished before it could be interrupted'));
    });
  });
  await new Promise((r) => child.on('exit', r));
  return latest;
}

describe('gmn run: concurrency and damage', () => {
  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    work = tempDir('gmn-recovery-');
    full = join(work, 'full');
    const r = run(full);
    expectClean(r);
    expect(r.status).toBe(0);
    expect(existsSync(join(full, 'run.lock'))).toBe(false);
  });

  it('two runs started together on one directory: one is refused naming the holder, the other records each run once', async () => {
    const dir = join(work, 'together');
    const start = () => new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [CLI, 'run', FIXTURE, '--out', dir, '--backend', 'reference'], { cwd: work });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.on('exit', (code) => done({ code, stderr }));
    });
    const outcomes = await Promise.all([start(), start()]);
    expect(outcomes.map((o) => o.code).sort()).toEqual([0, 1]);
    const refused = outcomes.find((o) => o.code === 1)!;
    expect(refused.stderr).toMatch(new RegExp(`error: ${dir} is being written by another gmn run: pid \\d+ on ${hostname()}, started \\d{4}-`));
    expect(refused.stderr).toMatch(/hint: wait for that run to finish, or pass another --out DIR/);
    expect(results(dir)).toEqual(results(full));
    const epochs = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { model: string; seed: number; epoch: number }).map((m) => `${m.model}|${m.seed}|${m.epoch}`);
    expect(new Set(epochs).size).toBe(epochs.length);
    expect(epochs).toHaveLength(2 * 8);
  });

  it('takes over the lock of a run that is gone, says so, and finishes the sweep', () => {
    const dir = join(work, 'stale');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    cpSync(full, dir, { recursive: true });
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: Number(dead), host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
    const r = run(dir);
    expectClean(r);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`took over the lock of ${dir} from pid ${dead} on ${hostname()} (started 2026-01-01T00:00:00.000Z), which is no longer running`);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
    expect(results(dir)).toEqual(results(full));
  });

  describe('a run killed mid-way, then damaged', () => {
    let killed: string;
    let latest: string;

    beforeAll(async () => {
      killed = join(work, 'killed');
      latest = await killedWithTwoGenerations(killed);
    });

    const resumeDamaged = (name: string, damage: (checkpoint: string) => void): { dir: string; r: SpawnSyncReturns<string>; checkpoint: string } => {
      const dir = join(work, name);
      cpSync(killed, dir, { recursive: true });
      const checkpoint = latest.replace(killed, dir);
      damage(checkpoint);
      const r = run(dir);
      expectClean(r);
      return { dir, r, checkpoint };
    };

    it('a truncated tensors.f64: named, and the run resumes from the previous checkpoint to the uninterrupted results', () => {
      const { dir, r, checkpoint } = resumeDamaged('truncated', (c) => truncateSync(join(c, 'tensors.f64'), 100));
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(`warning: checkpoint ${join(checkpoint, 'tensors.f64')}: holds 100 bytes, but its manifest describes`);
      expect(r.stderr).toMatch(new RegExp(`resuming from the previous checkpoint ${checkpoint}\\.prev \\(epoch \\d\\)`));
      expect(results(dir)).toEqual(results(full));
    });

    it('a wrong checkpoint version: named, and the run falls back the same way', () => {
      const { dir, r } = resumeDamaged('version', (c) => {
        const file = join(c, 'checkpoint.json');
        writeFileSync(file, readFileSync(file, 'utf8').replace('"version": 1', '"version": 9'));
      });
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/checkpoint\.json: has checkpoint version 9; this gmn reads version 1; resuming from the previous checkpoint/);
      expect(results(dir)).toEqual(results(full));
    });

    it('protocol.json cut in both generations: that training run restarts from scratch, the rest is untouched', () => {
      const { dir, r } = resumeDamaged('restart', (c) => {
        for (const g of [c, `${c}.prev`]) writeFileSync(join(g, 'protocol.json'), '{"epoch": 3, "be');
      });
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/protocol\.json: is not valid JSON .*; no usable checkpoint is left, so this training run restarts from scratch/);
      expect(results(dir)).toEqual(results(full));
    });
  });

  it('a damaged data-cache entry is regenerated, with the reason, and gives the same results', () => {
    const cacheRoot = join(work, '.cache', 'gmn', 'curvature');
    const [entry] = readdirSync(cacheRoot);
    truncateSync(join(cacheRoot, entry!, 'grads.f32'), 64);
    const dir = join(work, 'recached');
    const r = run(dir);
    expectClean(r);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/data: generated and cached in .* \(grads\.f32 has 64 bytes, expected \d+\)/);
    expect(results(dir)).toEqual(results(full));
  });

  it('a run directory resumes after the .gmn file\'s comments and layout changed (source positions are not configuration)', () => {
    const edited = join(work, 'edited.gmn');
    writeFileSync(edited, `// A comment that moves every span down a line.\n${readFileSync(FIXTURE, 'utf8')}`);
    const dir = join(work, 'edited-run');
    cpSync(full, dir, { recursive: true });
    const r = gmn(['run', edited, '--out', dir, '--backend', 'reference']);
    expectClean(r);
    expect(r.status).toBe(0);
    expect(results(dir)).toEqual(results(full));
  });

  it('a damaged config.json is an error naming it, with the way out; nothing is overwritten', () => {
    const dir = join(work, 'badconfig');
    cpSync(full, dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{"hash": "ab');
    const before = readFileSync(join(dir, 'results.jsonl'), 'utf8');
    const r = run(dir);
    expectClean(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`gmn run: error: ${join(dir, 'config.json')} is damaged: .+\n  hint: move ${dir} aside and run again to start over, or pass another --out DIR`));
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it('a dataset that cannot fit in memory is refused at its line before anything is allocated', () => {
    const file = join(ROOT, 'tests/fixtures/too-large.gmn');
    const dir = join(work, 'too-large');
    const r = gmn(['run', file, '--out', dir, '--backend', 'reference']);
    expectClean(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/too-large\.gmn:8:3: error: task `wide_curvature`: the dataset needs \d+\.\d GB of memory \(θ of 3000 Wide models: 201\.5 GB/);
    expect(r.stderr).toMatch(/hint: use at most \d+ models/);
    expect(existsSync(dir)).toBe(false);
  });
});
