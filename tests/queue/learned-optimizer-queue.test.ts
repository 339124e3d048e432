// The learned-optimization task on the job queue, against a real Redis (tests/fixtures/redis.ts):
// its jobs (meta-training per optimizer, Adam per grid point) run by two workers give exactly the
// local run's results; a worker SIGKILLed in the middle of a meta-training job leaves its PES
// checkpoint in Redis, another worker resumes from it, and the job is recorded once, with the
// same φ, bit for bit, as the local run's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, startGmn, startRedis, stopProcess, waitFor, type GmnProcess, type RedisServer } from '../fixtures/redis.js';

const QUICK = join(ROOT, 'dsl-examples/learned_optimizer.gmn');
const FIXTURE = join(ROOT, 'tests/fixtures/queue-learned-optimizer.gmn');

let redis: RedisServer;
let work: string;
const started: GmnProcess[] = [];

/** results.json without its wall-clock time: what must equal the local run's. */
function results(dir: string): unknown {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: unknown }).results;
}

function localRun(file: string, out: string, extra: string[] = []): void {
  const run = spawnSync(process.execPath, [CLI, 'run', file, '--out', out, ...extra], { cwd: work, encoding: 'utf8', timeout: 100_000 });
  expect(run.stderr).not.toMatch(/internal error|at .*\.m?js:\d+/);
  expect(run.status).toBe(0);
}

function worker(queue: string, name: string): GmnProcess {
  const p = startGmn(['worker', '--queue', redis.url, '--queue-name', queue, '--backend', 'reference', '--cache', join(work, `cache-${name}`),
    '--lock-seconds', '2'], { GMN_REDIS_PASSWORD: redis.password }, work);
  started.push(p);
  return p;
}

function submit(file: string, queue: string, out: string, extra: string[] = []): GmnProcess {
  const p = startGmn(['run', file, '--queue', redis.url, '--queue-name', queue, '--out', out, ...extra], { GMN_REDIS_PASSWORD: redis.password }, work);
  started.push(p);
  return p;
}

function expectClean(p: GmnProcess): void {
  expect(p.output()).not.toMatch(/internal error|at .*\.m?js:\d+/);
  expect(p.output()).not.toContain(redis.password);
}

beforeAll(async () => {
  expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
  redis = await startRedis();
  work = mkdtempSync(join(tmpdir(), 'gmn-lopt-queue-'));
}, 60_000);

afterAll(async () => {
  await Promise.all(started.map((p) => stopProcess(p.child)));
  await redis?.stop();
});

describe('a learned-optimization run on the job queue', () => {
  it('the quick preset with a submitter and two workers: results.json equal to the local run\'s', async () => {
    localRun(QUICK, join(work, 'quick-local'), ['--preset', 'quick']);
    const workers = [worker('quick', 'a'), worker('quick', 'b')];
    const out = join(work, 'quick-queued');
    const submitter = submit(QUICK, 'quick', out, ['--preset', 'quick']);
    expect(await submitter.exited).toBe(0);
    expect(results(out)).toEqual(results(join(work, 'quick-local')));
    // The meta-trained optimizers, as gmn verify and gmn optimize read them, are the local run's too.
    for (const f of readdirSync(join(work, 'quick-local', 'trained'))) {
      expect(readFileSync(join(out, 'trained', f), 'utf8')).toBe(readFileSync(join(work, 'quick-local', 'trained', f), 'utf8'));
    }
    for (const w of workers) expect(w.output()).toMatch(/: done\n/);
    for (const p of [submitter, ...workers]) expectClean(p);
  }, 180_000);

  it('a worker SIGKILLed mid-meta-training: another resumes the job from its checkpoint in Redis; recorded once, bit-identical', async () => {
    localRun(FIXTURE, join(work, 'fixture-local'));
    const a = worker('kill', 'a');
    const out = join(work, 'killed-worker');
    const submitter = submit(FIXTURE, 'kill', out);
    let id = '';
    await waitFor('a checkpointed meta-training job', () => {
      id = /job "([^"]+)": unf_gradmetanet\(hidden: 8, width: 8\) on linear_regression: started/.exec(a.output())?.[1] ?? '';
      return id !== '' && redis.cli('exists', `gmn:kill:${id}:gmn-checkpoint`) === '1';
    }, 90_000);
    a.child.kill('SIGKILL');
    const b = worker('kill', 'b');
    expect(await submitter.exited).toBe(0);
    expect(b.output()).toMatch(new RegExp(`resumed job ${id} from its checkpoint after outer step \\d+`));
    expect(results(out)).toEqual(results(join(work, 'fixture-local')));
    const trained = 'linear_regression-unf_gradmetanet_hidden__8__width__8_.json';
    expect(readFileSync(join(out, 'trained', trained), 'utf8')).toBe(readFileSync(join(work, 'fixture-local', 'trained', trained), 'utf8'));
    // Done once (by b), recorded once (one outcome per job), nothing left in Redis.
    expect(`${a.output()}${b.output()}`.split(`job "${id}": unf_gradmetanet(hidden: 8, width: 8) on linear_regression: done\n`)).toHaveLength(2);
    expect(readdirSync(join(out, 'outcomes')).sort()).toEqual(readdirSync(join(work, 'fixture-local', 'outcomes')).sort());
    expect(redis.cli('keys', 'gmn:kill:*checkpoint')).toBe('');
    // The same command again finds every job recorded: nothing is queued or recomputed.
    const again = submit(FIXTURE, 'kill', out);
    expect(await again.exited).toBe(0);
    expect(again.output()).toMatch(/queue: 0 jobs queued/);
    expect(results(out)).toEqual(results(join(work, 'fixture-local')));
    for (const p of [submitter, b, again]) expectClean(p);
  }, 240_000);
});
