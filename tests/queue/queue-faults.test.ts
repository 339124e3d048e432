// The job queue against a real Redis (a redis-server of the test's own, with a password), on a small
// sweep (tests/fixtures/queue-curvature.gmn) trained by the float64 reference executor, so each
// queued run can be compared exactly with a local run: a worker SIGKILLed in the middle of a job, a
// worker stopped by SIGTERM together with a SIGKILLed submitter, a job whose training diverges,
// malformed and oversized payloads, and logins that must be refused.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueSession } from '../fixtures/queue-session.js';
import { CLI, ROOT, waitFor, type GmnProcess } from '../fixtures/redis.js';

const FIXTURE = join(ROOT, 'tests/fixtures/queue-curvature.gmn');

interface Row { model: string; trainSize: number; seed: number; testError: number; validationError: number | null; bestEpoch: number }

const session = new QueueSession();
let local: Row[];

/** results.jsonl without timings and devices, sorted: what must equal the local run's. */
function results(dir: string): Row[] {
  return readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row)
    .map(({ model, trainSize, seed, testError, validationError, bestEpoch }) => ({ model, trainSize, seed, testError, validationError, bestEpoch }))
    .sort((a, b) => `${a.model}|${a.seed}`.localeCompare(`${b.model}|${b.seed}`));
}

/** Each (model, size, seed) once in results.jsonl, and each epoch once in metrics.jsonl. */
function expectRecordedOnce(dir: string): void {
  const keys = (file: string, key: (r: Record<string, unknown>) => string): string[] =>
    readFileSync(join(dir, file), 'utf8').trim().split('\n').map((l) => key(JSON.parse(l) as Record<string, unknown>));
  const runs = keys('results.jsonl', (r) => `${String(r['model'])}|${String(r['trainSize'])}|${String(r['seed'])}`);
  expect(new Set(runs).size).toBe(runs.length);
  const epochs = keys('metrics.jsonl', (r) => `${String(r['model'])}|${String(r['seed'])}|${String(r['epoch'])}`);
  expect(new Set(epochs).size).toBe(epochs.length);
  expect(epochs.length).toBe(2 * 20);
}

function worker(queue: string, name: string, lockSeconds = 2): GmnProcess {
  return session.worker(name, { queue, flags: ['--backend', 'reference', '--lock-seconds', String(lockSeconds)] });
}

function submit(queue: string, out: string, extra: string[] = []): GmnProcess {
  return session.submit(FIXTURE, out, { queue, flags: extra });
}

/** The id of the first training job `w` started, once its checkpoint (after at least one epoch) is in Redis. */
async function midJob(w: GmnProcess, queue: string): Promise<string> {
  let id = '';
  await waitFor('a checkpointed training job', () => {
    id = /job "([^"]+-n8-s\d)": gradmetanet n=8 seed=\d: started/.exec(w.output())?.[1] ?? '';
    return id !== '' && session.redis.cli('exists', `gmn:${queue}:${id}:gmn-checkpoint`) === '1';
  }, 60_000);
  return id;
}

beforeAll(async () => {
  await session.open('gmn-queue-');
  const { work } = session;
  const run = spawnSync(process.execPath, [CLI, 'run', FIXTURE, '--backend', 'reference', '--out', join(work, 'local')], { cwd: work, encoding: 'utf8', timeout: 100_000 });
  expect(run.status).toBe(0);
  local = results(join(work, 'local'));
}, 120_000);

afterAll(() => session.close());

describe('gmn run --queue / gmn worker against a real Redis', () => {
  it('a worker SIGKILLed mid-job: another resumes the job from its checkpoint; every run recorded once, results equal to the local run', async () => {
    const a = worker('kill', 'a');
    const out = join(session.work, 'killed-worker');
    const submitter = submit('kill', out);
    const id = await midJob(a, 'kill');
    a.child.kill('SIGKILL');
    const b = worker('kill', 'b');
    expect(await submitter.exited).toBe(0);
    expect(b.output()).toMatch(new RegExp(`resumed job ${id} from its checkpoint after epoch \\d+`));
    expect(results(out)).toEqual(local);
    expectRecordedOnce(out);
    expect(session.redis.cli('keys', 'gmn:kill:*checkpoint')).toBe('');
    for (const p of [submitter, b]) session.expectClean(p);
  }, 180_000);

  it('SIGTERM: the worker checkpoints its job, hands it back and exits 0; a SIGKILLed submitter, started again, picks the queue up', async () => {
    const a = worker('stop', 'a', 30);
    const out = join(session.work, 'stopped');
    const first = submit('stop', out);
    const id = await midJob(a, 'stop');
    a.child.kill('SIGTERM');
    first.child.kill('SIGKILL');
    expect(await a.exited).toBe(0);
    expect(a.output()).toMatch(new RegExp(`job "${id}": .*: stopped after epoch \\d+ \\(checkpointed\\), returned to the queue`));
    const b = worker('stop', 'b');
    const second = submit('stop', out);
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/found there from an earlier submission/);
    expect(b.output()).toMatch(new RegExp(`resumed job ${id} from its checkpoint after epoch \\d+`));
    expect(results(out)).toEqual(local);
    expectRecordedOnce(out);
    for (const p of [a, second, b]) session.expectClean(p);
  }, 180_000);

  it('a job whose training diverges fails once, and the submitter prints the diagnostic at the model', async () => {
    worker('diverge', 'a');
    const submitter = submit('diverge', join(session.work, 'diverges'), ['--preset', 'diverges']);
    expect(await submitter.exited).toBe(1);
    expect(submitter.output()).toMatch(/failed on a worker:\nqueue-curvature\.gmn:15:12: error: training gradmetanet \(n=8, seed 1\) diverged in epoch 1/);
    const id = /job (\S+) \(gradmetanet n=8 seed=1\) failed/.exec(submitter.output())![1]!;
    expect(session.redis.cli('hget', `gmn:diverge:${id}`, 'atm')).toBe('1');
    session.expectClean(submitter);
  }, 120_000);

  it('malformed and oversized payloads are rejected once, with the reason logged', async () => {
    const w = worker('bad', 'a');
    const queue = new Queue('bad', { connection: { host: '127.0.0.1', port: session.redis.port, password: session.redis.password }, prefix: 'gmn' });
    try {
      const task = { file: 'x.gmn', source: 'task t {}', task: 't', preset: 'default' };
      const malformed = await queue.add('curvature-train', { format: 'gmn-job', version: 1, task: { ...task, path: '/etc/passwd' }, job: { kind: 'train', model: 'm', trainSize: 1, seed: 1 } }, { attempts: 3 });
      const oversized = await queue.add('curvature-train', { format: 'gmn-job', version: 1, task: { ...task, source: 'x'.repeat(400_000) }, job: { kind: 'evaluate', model: 'm' } }, { attempts: 3 });
      const reasons = [
        new RegExp(`rejected job "${malformed.id}": malformed payload: payload/task must NOT have additional properties`),
        new RegExp(`rejected job "${oversized.id}": the payload has \\d+ bytes, over the limit of 262144`),
      ];
      await waitFor('both rejections logged', () => reasons.every((r) => r.test(w.output())), 30_000);
      await waitFor('both jobs to fail', () => session.redis.cli('zcard', 'gmn:bad:failed') === '2', 30_000);
      for (const job of [malformed, oversized]) expect(session.redis.cli('hget', `gmn:bad:${job.id}`, 'atm')).toBe('1');
      session.expectClean(w);
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('a wrong password, a missing one and credentials in the URL are refused, each with the way out', () => {
    const gmn = (args: string[], password: string | undefined) => spawnSync(process.execPath, [CLI, ...args], {
      cwd: session.work, encoding: 'utf8', timeout: 30_000, env: { ...process.env, GMN_REDIS_PASSWORD: password ?? '' },
    });
    const wrong = gmn(['worker', '--queue', session.redis.url, '--backend', 'reference'], 'not-the-password');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/refused the login: WRONGPASS.*\n  hint: set GMN_REDIS_PASSWORD/);
    expect(wrong.stderr).not.toContain('not-the-password');
    const none = gmn(['run', FIXTURE, '--queue', session.redis.url, '--out', join(session.work, 'no-password')], undefined);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/refused the login: NOAUTH/);
    const inUrl = gmn(['worker', '--queue', `redis://default:${session.redis.password}@127.0.0.1:${session.redis.port}`], undefined);
    expect(inUrl.status).toBe(1);
    expect(inUrl.stderr).toMatch(/the queue URL carries credentials/);
    expect(inUrl.stderr).not.toContain(session.redis.password);
  });
});
