// The INR-editing task on the job queue, against a real Redis (tests/fixtures/redis.ts), on the
// machine's WebGPU adapter (lavapipe in CI): the quick preset's fitting batches and editor training
// runs done by two workers give exactly the local run's results and trained editors. Submitter and
// workers each start with an empty cache, so the fits are queued jobs and travel through Redis.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestGpu } from '../device/gpu-fixture.js';
import { QueueSession } from '../fixtures/queue-session.js';
import { CLI, ROOT } from '../fixtures/redis.js';

const FILE = join(ROOT, 'dsl-examples/inr_editing.gmn');

const gpu = await openTestGpu();
gpu?.destroy();

const session = new QueueSession();

/** results.json without wall-clock times (`seconds`, `dataSeconds`) and devices: what must equal the local run's. */
function results(dir: string): unknown {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'), (k, v: unknown) => (/seconds$/i.test(k) || k === 'device' ? undefined : v));
}

/** Every file under trained/ with its bytes. */
function trained(dir: string): Map<string, string> {
  const root = join(dir, 'trained');
  return new Map(readdirSync(root, { recursive: true, encoding: 'utf8' }).sort().filter((f) => statSync(join(root, f)).isFile())
    .map((f) => [f, readFileSync(join(root, f)).toString('base64')]));
}

/** A fresh working folder: its own .cache, so the fits are computed, not found. */
function folder(name: string): string {
  const dir = join(session.work, name);
  mkdirSync(dir);
  return dir;
}

beforeAll(async () => {
  if (gpu !== null) await session.open('gmn-inr-queue-');
}, 60_000);

afterAll(() => session.close());

describe.skipIf(gpu === null)('an INR-editing run on the job queue', () => {
  it('the quick preset with a submitter and two workers: results.json and the trained editors equal the local run\'s', async () => {
    const local = join(session.work, 'local');
    const run = spawnSync(process.execPath, [CLI, 'run', FILE, '--preset', 'quick', '--out', local], { cwd: folder('local-cwd'), encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr).not.toMatch(/internal error|at .*\.m?js:\d+/);
    expect(run.status).toBe(0);
    const workers = ['a', 'b'].map((name) => session.worker(name, { cwd: folder(`worker-${name}`) }));
    const queued = join(session.work, 'queued');
    const submitter = session.submit(FILE, queued, { flags: ['--preset', 'quick'], cwd: folder('submitter-cwd') });
    expect(await submitter.exited).toBe(0);
    expect(results(queued)).toEqual(results(local));
    expect(trained(local).size).toBeGreaterThan(0);
    expect(trained(queued)).toEqual(trained(local));
    // The fits were a job, and the workers read them from Redis; the run removed them afterwards.
    expect(workers.map((w) => w.output()).join('')).toMatch(/mnist INRs 0…: done/);
    expect(session.redis.cli('keys', 'gmn:gmn:inr-fits:*')).toBe('');
    for (const p of [submitter, ...workers]) session.expectClean(p);
  }, 240_000);
});
