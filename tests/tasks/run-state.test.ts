// The run directory's own defences, in-process: the lock (one writer; a dead holder's lock is taken
// over, a live or unknowable one is not), the two-generation training checkpoint and JSON state file
// (a damaged generation is named and skipped; with none left the run restarts from scratch).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireRunLock, LOCK_FILE, RunLockedError, type LockHolder } from '../../runtime/tasks/run-lock.js';
import { loadStateFile, saveStateFile } from '../../runtime/tasks/state-file.js';
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type TrainingCheckpoint } from '../../runtime/tasks/training-checkpoint.js';
import { decodeTrainingCheckpoint, encodeTrainingCheckpoint, type EncodedTrainingCheckpoint } from '../../runtime/queue/state-codec.js';
import type { TrainState } from '../../runtime/train/executor.js';
import { Rng } from '../../runtime/util/rng.js';
import { tempDir } from '../fixtures/temp-dir.js';

const fresh = (): string => tempDir('gmn-run-state-');

/** The pid of a process that has exited (so `kill(pid, 0)` fails with ESRCH). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function writeLock(dir: string, holder: LockHolder): void {
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
}

describe('the run lock', () => {
  it('records pid, host and start time; a second writer is refused with the holder named; release frees it', () => {
    const dir = fresh();
    const lock = acquireRunLock(dir);
    const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
    expect(holder.pid).toBe(process.pid);
    expect(holder.host).toBe(hostname());
    expect(Date.now() - Date.parse(holder.started)).toBeLessThan(60_000);
    expect(lock.tookOverFrom).toBeNull();

    expect(() => acquireRunLock(dir)).toThrow(RunLockedError);
    expect(() => acquireRunLock(dir)).toThrow(`pid ${process.pid} on ${hostname()}, started ${holder.started}`);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    acquireRunLock(dir).release();
  });

  it('takes over the lock of a holder that is gone, and says whose it was', () => {
    const dir = fresh();
    const gone: LockHolder = { pid: deadPid(), host: hostname(), started: '2026-01-01T00:00:00.000Z' };
    writeLock(dir, gone);
    const lock = acquireRunLock(dir);
    expect(lock.tookOverFrom).toEqual(gone);
    expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder).pid).toBe(process.pid);
    expect(existsSync(join(dir, `${LOCK_FILE}.takeover`))).toBe(false);
    lock.release();
  });

  it('never takes over a lock held on another host, nor one it cannot read', () => {
    const remote = fresh();
    writeLock(remote, { pid: deadPid(), host: `not-${hostname()}`, started: '2026-01-01T00:00:00.000Z' });
    expect(() => acquireRunLock(remote)).toThrow(/being written by another gmn run: pid \d+ on not-/);

    const garbled = fresh();
    writeFileSync(join(garbled, LOCK_FILE), '{"pid": 12');
    try {
      acquireRunLock(garbled);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RunLockedError);
      expect((e as RunLockedError).message).toMatch(/cannot be read/);
      expect((e as RunLockedError).hint).toMatch(new RegExp(`delete ${join(garbled, LOCK_FILE)}`));
    }
  });
});

describe('training checkpoints', () => {
  const initial = (): TrainState => ({
    params: new Map([['w', new Float64Array(6)], ['b', new Float64Array(2)]]),
    optimizer: { slots: new Map([['w', [new Float64Array(6), new Float64Array(6)]], ['b', [new Float64Array(2), new Float64Array(2)]]]) },
    step: 0,
  });

  /** A checkpoint after `epoch` epochs, with values that tell the epochs apart. */
  function atEpoch(epoch: number): TrainingCheckpoint {
    const state = initial();
    for (const p of state.params.values()) p.fill(epoch + 0.5);
    state.step = epoch * 3;
    return { state, rng: new Rng(epoch).state(), batchSize: 4, epoch, best: { epoch, validationError: 1 / epoch, testError: 2 / epoch }, seconds: epoch };
  }

  /** Two generations saved (epochs 1 and 2), then `damage` applied to the given generation's folder. */
  function damaged(generation: 'latest' | 'prev' | 'both', damage: (dir: string) => void): { path: string; warnings: string[]; loaded: TrainingCheckpoint | null } {
    const path = join(fresh(), 'model-n8-s1.ckpt');
    saveTrainingCheckpoint(path, atEpoch(1));
    saveTrainingCheckpoint(path, atEpoch(2));
    if (generation !== 'prev') damage(path);
    if (generation !== 'latest') damage(`${path}.prev`);
    const warnings: string[] = [];
    const loaded = loadTrainingCheckpoint(path, initial(), (w) => warnings.push(w));
    return { path, warnings, loaded };
  }

  it('keeps the previous generation and loads the latest one when both are sound', () => {
    const { warnings, loaded, path } = damaged('latest', () => {});
    expect(warnings).toEqual([]);
    expect(loaded?.epoch).toBe(2);
    expect(loaded?.state.step).toBe(6);
    expect([...loaded!.state.params.get('w')!]).toEqual(new Array(6).fill(2.5));
    expect(existsSync(`${path}.prev`)).toBe(true);
  });

  const DAMAGES: [string, (dir: string) => void, RegExp][] = [
    ['a truncated tensors.f64', (dir) => truncateSync(join(dir, 'tensors.f64'), 20), /tensors\.f64: holds 20 bytes, but its manifest describes 192/],
    ['a protocol.json cut in the middle', (dir) => writeFileSync(join(dir, 'protocol.json'), '{"epoch": 2, "be'), /protocol\.json: is not valid JSON/],
    ['another checkpoint version', (dir) => {
      const file = join(dir, 'checkpoint.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"version": 1', '"version": 7'));
    }, /checkpoint\.json: has checkpoint version 7; this gmn reads version 1/],
    ['an empty checkpoint.json', (dir) => writeFileSync(join(dir, 'checkpoint.json'), ''), /checkpoint\.json: is not valid JSON/],
  ];

  for (const [what, damage, message] of DAMAGES) {
    it(`${what}: names the file and falls back to the previous generation`, () => {
      const { warnings, loaded, path } = damaged('latest', damage);
      expect(loaded?.epoch).toBe(1);
      expect([...loaded!.state.params.get('w')!]).toEqual(new Array(6).fill(1.5));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(message);
      expect(warnings[0]).toContain(path);
      expect(warnings[0]).toMatch(new RegExp(`resuming from the previous checkpoint ${path}\\.prev \\(epoch 1\\)`));
    });
  }

  it('with both generations damaged: null (restart from scratch), with a warning naming both', () => {
    const { warnings, loaded, path } = damaged('both', (dir) => truncateSync(join(dir, 'tensors.f64'), 0));
    expect(loaded).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(path, 'tensors.f64'));
    expect(warnings[0]).toContain(join(`${path}.prev`, 'tensors.f64'));
    expect(warnings[0]).toMatch(/restarts from scratch/);
    expect(existsSync(path) || existsSync(`${path}.prev`)).toBe(false);
  });

  it('a checkpoint written for another model does not fit and is not used', () => {
    const path = join(fresh(), 'model-n8-s1.ckpt');
    saveTrainingCheckpoint(path, atEpoch(1));
    const other: TrainState = { ...initial(), params: new Map([['w', new Float64Array(5)], ['b', new Float64Array(2)]]) };
    const warnings: string[] = [];
    expect(loadTrainingCheckpoint(path, other, (w) => warnings.push(w))).toBeNull();
    expect(warnings[0]).toMatch(/checkpoint\.json: does not fit the model \(no param w:5\)/);
  });

  it('a best epoch whose test error is still to come: its parameters travel in the same generation, exactly (file and Redis codec)', () => {
    const path = join(fresh(), 'model-n8-s1.ckpt');
    const bestParams = new Map([['w', Float64Array.from({ length: 6 }, (_, i) => Math.PI * i)], ['b', Float64Array.of(1e-300, -0.1)]]);
    const pending = { ...atEpoch(3), best: { epoch: 2, validationError: 0.5, testError: Number.NaN }, bestParams };
    saveTrainingCheckpoint(path, pending);
    const loaded = loadTrainingCheckpoint(path, initial(), () => {});
    expect(loaded?.best.testError).toBeNaN();
    expect(loaded?.bestParams).toEqual(bestParams);
    expect(decodeTrainingCheckpoint(JSON.parse(JSON.stringify(encodeTrainingCheckpoint(pending))) as EncodedTrainingCheckpoint).bestParams).toEqual(bestParams);
    // A later generation whose best epoch has been measured carries none.
    saveTrainingCheckpoint(path, atEpoch(4));
    expect(loadTrainingCheckpoint(path, initial(), () => {})?.bestParams).toBeUndefined();
  });

  it('pending best parameters written for another model: the generation is not used', () => {
    const path = join(fresh(), 'model-n8-s1.ckpt');
    saveTrainingCheckpoint(path, { ...atEpoch(1), best: { epoch: 1, validationError: 1, testError: Number.NaN }, bestParams: new Map([['w', new Float64Array(5)], ['b', new Float64Array(2)]]) });
    const warnings: string[] = [];
    expect(loadTrainingCheckpoint(path, initial(), (w) => warnings.push(w))).toBeNull();
    expect(warnings[0]).toContain(join(path, 'best', 'checkpoint.json'));
    expect(warnings[0]).toMatch(/does not fit the model \(no param w:6\)/);
  });

  it('a run without any checkpoint starts fresh, silently', () => {
    const warnings: string[] = [];
    expect(loadTrainingCheckpoint(join(fresh(), 'none.ckpt'), initial(), (w) => warnings.push(w))).toBeNull();
    expect(warnings).toEqual([]);
  });
});

describe('JSON state files', () => {
  const parse = (text: string): { step: number } => {
    const state = JSON.parse(text) as { step?: unknown };
    if (typeof state.step !== 'number') throw new Error('no step');
    return { step: state.step };
  };

  it('keep the previous generation; a damaged latest one is named and the previous one loaded', () => {
    const path = join(fresh(), 'state.json');
    saveStateFile(path, '{"step": 1}');
    saveStateFile(path, '{"step": 2}');
    const warnings: string[] = [];
    expect(loadStateFile(path, 'state', parse, (w) => warnings.push(w))).toEqual({ step: 2 });
    writeFileSync(path, '{"step": 2');
    expect(loadStateFile(path, 'state', parse, (w) => warnings.push(w))).toEqual({ step: 1 });
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^warning: state ${path} is damaged \\(.*JSON.*\\); resuming from the previous state ${path}\\.prev$`))]);
    writeFileSync(`${path}.prev`, '{}');
    expect(loadStateFile(path, 'state', parse, (w) => warnings.push(w))).toBeNull();
    expect(warnings[1]).toMatch(/state .*\.prev is damaged \(no step\); nothing usable is left, so it starts from scratch/);
  });
});
