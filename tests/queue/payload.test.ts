// What a worker accepts from the queue, and what the submitter accepts back, without a Redis: the
// payload schema and size limit, job ids, the queue URL and credentials, and exact state encoding.
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { queueEndpoint } from '../../runtime/queue/connection.js';
import { decodeOutcome, encodeOutcome } from '../../runtime/queue/outcome.js';
import { checkPayload, jobId, jobPayload, MAX_PAYLOAD_BYTES, type TaskPayload } from '../../runtime/queue/payload.js';
import { QueueError } from '../../runtime/queue/queue-error.js';
import { checkTaskSource } from '../../runtime/queue/task-source.js';
import type { RunResult } from '../../runtime/tasks/report.js';
import { tempDir } from '../fixtures/temp-dir.js';

const TASK: TaskPayload = { file: 'curvature.gmn', source: 'task t { }', task: 'curvature', preset: 'quick' };

describe('job payloads', () => {
  it('accepts a training job and an evaluation job', async () => {
    for (const job of [{ kind: 'train', model: 'gradmetanet#2', trainSize: 80, seed: 1 } as const, { kind: 'evaluate', model: 'standard_estimator' } as const]) {
      expect(await checkPayload(jobPayload(TASK, job))).toEqual({ ok: true, payload: jobPayload(TASK, job) });
    }
  });

  it('accepts the learned-optimization jobs (meta-training, an Adam grid point) and gives each its own id', async () => {
    const meta = { kind: 'meta-train', base: 'FashionMlp/fashion_mnist', optimizer: 'ds_gradmetanet(hidden: 8, width: 8)' } as const;
    const adam = { kind: 'adam', base: 'linear_regression', lr: 0.0015 } as const;
    for (const job of [meta, adam]) expect(await checkPayload(jobPayload(TASK, job))).toEqual({ ok: true, payload: jobPayload(TASK, job) });
    expect(jobId(TASK, meta)).toMatch(/^[0-9a-f]{16}-meta-FashionMlp_fashion_mnist-ds_gradmetanet_hidden__8__width__8_$/);
    expect(jobId(TASK, adam)).toMatch(/^[0-9a-f]{16}-adam-linear_regression-lr0\.0015$/);
    const rejected: [unknown, RegExp][] = [
      [{ ...meta, optimizer: 'x\n$(rm -rf /)' }, /payload\/job/],
      [{ ...adam, lr: -1 }, /payload\/job/],
      [{ ...adam, seed: 1 }, /payload\/job/],
    ];
    for (const [job, reason] of rejected) {
      const checked = await checkPayload({ format: 'gmn-job', version: 1, task: TASK, job });
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.reason).toMatch(reason);
    }
  });

  it('accepts the INR-editing jobs (a fitting batch, an editor training run) and gives each its own id', async () => {
    const fit = { kind: 'inr-fit', images: 'fashion-mnist', start: 256 } as const;
    const train = { kind: 'inr-train', edit: 'dilate-mnist', model: 'ws_gradmetanet', lr: 0.005, seed: 2 } as const;
    for (const job of [fit, train]) expect(await checkPayload(jobPayload(TASK, job))).toEqual({ ok: true, payload: jobPayload(TASK, job) });
    expect(jobId(TASK, fit)).toMatch(/^[0-9a-f]{16}-fit-fashion-mnist-256$/);
    expect(jobId(TASK, train)).toMatch(/^[0-9a-f]{16}-edit-dilate-mnist-ws_gradmetanet-lr0\.005-s2$/);
    for (const job of [{ ...fit, images: '/etc' }, { ...fit, start: -1 }, { ...train, seed: 0.5 }, { ...train, edit: '../x y' }]) {
      expect((await checkPayload({ format: 'gmn-job', version: 1, task: TASK, job })).ok).toBe(false);
    }
  });

  it('rejects extra fields, paths for file names, wrong kinds and numbers, with the place named', async () => {
    const train = { kind: 'train', model: 'gradmetanet', trainSize: 80, seed: 1 };
    const cases: [unknown, RegExp][] = [
      [{ ...jobPayload(TASK, { kind: 'evaluate', model: 'm' }), outDir: '/tmp/x' }, /payload must NOT have additional properties/],
      [{ format: 'gmn-job', version: 1, task: { ...TASK, file: '../../etc/passwd.gmn' }, job: train }, /payload\/task\/file must match pattern/],
      [{ format: 'gmn-job', version: 1, task: TASK, job: { ...train, kind: 'delete' } }, /payload\/job/],
      [{ format: 'gmn-job', version: 1, task: TASK, job: { ...train, trainSize: 0.5 } }, /payload\/job/],
      [{ format: 'gmn-job', version: 2, task: TASK, job: train }, /payload\/version must be equal to constant/],
      ['just text', /payload must be object/],
    ];
    for (const [data, reason] of cases) {
      const checked = await checkPayload(data);
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.reason).toMatch(reason);
    }
  });

  it('rejects an oversized payload by its size, before looking inside', async () => {
    const checked = await checkPayload({ junk: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    expect(checked).toEqual({ ok: false, reason: `the payload has ${MAX_PAYLOAD_BYTES + 11} bytes, over the limit of ${MAX_PAYLOAD_BYTES}` });
  });

  it('gives the same job the same id, and another task text or job another id', () => {
    const job = { kind: 'train', model: 'gradmetanet#2', trainSize: 80, seed: 1 } as const;
    expect(jobId(TASK, job)).toBe(jobId({ ...TASK }, { ...job }));
    expect(jobId(TASK, job)).toMatch(/^[0-9a-f]{16}-gradmetanet_2-n80-s1$/);
    expect(jobId({ ...TASK, source: `${TASK.source} ` }, job)).not.toBe(jobId(TASK, job));
    expect(jobId(TASK, { ...job, seed: 2 })).not.toBe(jobId(TASK, job));
  });
});

describe('a task rebuilt from its text on a worker', () => {
  it('reads the standard library and nothing else: a module of its own is not found there, though it is on disk', () => {
    const dir = tempDir('gmn-task-');
    writeFileSync(join(dir, 'mine.gmn'), 'target T = mlp(widths: [1, 2, 1], activation: relu)\n');
    const source = `use std/gradmetanet\nuse ${relative(process.cwd(), join(dir, 'mine'))}\n`;
    const checked = checkTaskSource({ file: 'task.gmn', source, task: 't', preset: 'default' });
    expect(checked.diagnostics.filter((d) => d.code === 'resolve/missing-module').map((d) => d.span.start.line)).toEqual([2]);
    expect([...checked.sources.keys()].some((f) => f.includes('gradmetanet'))).toBe(true);
    // The same text in a file on disk, checked as `gmn check` does, finds the module.
    writeFileSync(join(process.cwd(), '.gmn-task-source-test.gmn'), source);
    try {
      expect(checkFiles([join(process.cwd(), '.gmn-task-source-test.gmn')]).diagnostics.filter((d) => d.code === 'resolve/missing-module')).toEqual([]);
    } finally {
      rmSync(join(process.cwd(), '.gmn-task-source-test.gmn'));
    }
  });
});

describe('queue URLs and credentials', () => {
  const refused = (url: string, env: NodeJS.ProcessEnv = {}, name = 'gmn'): string => {
    try {
      queueEndpoint(url, name, env);
    } catch (e) {
      expect(e).toBeInstanceOf(QueueError);
      return (e as QueueError).message;
    }
    throw new Error(`${url} was accepted`);
  };

  it('refuses credentials in the URL, other schemes, paths and bad queue names', () => {
    expect(refused('redis://user:secret@host:6379')).toMatch(/carries credentials/);
    expect(refused('redis://:secret@host:6379')).not.toContain('secret');
    expect(refused('http://host:6379')).toMatch(/scheme `http:`/);
    expect(refused('redis://host:6379/etc/passwd')).toMatch(/is not redis:\/\/HOST\[:PORT\]\[\/DB\]/);
    expect(refused('redis://host', {}, 'a b')).toMatch(/queue name/);
  });

  it('takes the password from the environment or a file, TLS from rediss:, and never shows the password', () => {
    const fromEnv = queueEndpoint('rediss://queue.example:6380/2', 'sweeps', { GMN_REDIS_USER: 'gmn', GMN_REDIS_PASSWORD: 'pw-env' });
    expect(fromEnv.redis).toMatchObject({ host: 'queue.example', port: 6380, db: 2, username: 'gmn', password: 'pw-env', tls: { servername: 'queue.example' } });
    expect(fromEnv.display).toBe('rediss://queue.example:6380/2 queue sweeps');
    expect(fromEnv.redact('WRONGPASS for pw-env')).toBe('WRONGPASS for ***');
    const dir = tempDir('gmn-pw-');
    const file = join(dir, 'password');
    writeFileSync(file, 'pw-file\n');
    chmodSync(file, 0o600);
    const fromFile = queueEndpoint('redis://localhost', 'gmn', { GMN_REDIS_PASSWORD: 'pw-env' }, file);
    expect(fromFile.redis).toMatchObject({ host: 'localhost', port: 6379, db: 0, password: 'pw-file' });
    expect(fromFile.redis.tls).toBeUndefined();
    expect(refused('redis://localhost', { GMN_REDIS_PASSWORD_FILE: join(dir, 'missing') })).toMatch(/cannot read .*missing \(from GMN_REDIS_PASSWORD_FILE\): ENOENT/);
  });
});

describe('job outcomes', () => {
  const result: RunResult = { model: 'standard_estimator', net: 'standard_estimator', trainSize: 80, seed: 1, testError: 0.25, validationError: Number.NaN, bestEpoch: 0, params: 0, seconds: 0.1, device: 'reference on a' };
  const job = { kind: 'evaluate', model: 'standard_estimator' } as const;
  const key = { model: 'standard_estimator', trainSize: 80, seed: 1 };

  it('round-trip exactly through JSON, NaN and parameters included', async () => {
    const params = Float64Array.from([0.1, -1 / 3, 1e-300, Math.PI]);
    const trained = { state: { params: new Map([['w', params]]), optimizer: { slots: new Map([['w', [params, params]]]) }, step: 7 }, rng: { s: [1, 2, 3, 4] as [number, number, number, number], spareNormal: null }, batchSize: 4 };
    const sent = JSON.parse(JSON.stringify(encodeOutcome([result], [], trained))) as unknown;
    const back = await decodeOutcome(job, sent, [key]);
    expect(back.results).toEqual([result]);
    expect(back.trained?.state.params.get('w')).toEqual(params);
    expect(back.trained?.state.step).toBe(7);
  });

  it('refuses an outcome with other results than the job\'s, or a malformed one', async () => {
    const sent = JSON.parse(JSON.stringify(encodeOutcome([result], [], null))) as unknown;
    await expect(decodeOutcome(job, sent, [{ ...key, seed: 2 }])).rejects.toThrow(/holds results for standard_estimator\|80\|1, not for standard_estimator\|80\|2/);
    await expect(decodeOutcome(job, { format: 'gmn-job-outcome', results: 'x' }, [key])).rejects.toThrow(/malformed job outcome/);
  });
});
