// The learned-optimization task on the job queue, against a real Redis (tests/fixtures/redis.ts):
// its jobs (meta-training per optimizer, Adam per grid point) run by two workers give exactly the
// local run's results; a worker SIGKILLed in the middle of a meta-training job leaves its PES
// checkpoint in Redis, another worker resumes from it, and the job is recorded once, with the
// same φ, bit for bit, as the local run's.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueSession } from '../fixtures/queue-session.js';
import { CLI, ROOT, waitFor, type GmnProcess } from '../fixtures/redis.js';

const QUICK = join(ROOT, 'dsl-examples/learned_optimizer.gmn');
const FIXTURE = join(ROOT, 'tests/fixtures/queue-learned-optimizer.gmn');

const session = new QueueSession();

/** results.json without its wall-clock time: what must equal the local run's. */
function results(dir: string): unknown {
  return (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: unknown }).results;
}

function localRun(file: string, out: string, extra: string[] = []): void {
  const run = spawnSync(process.execPath, [CLI, 'run', file, '--out', out, ...extra], { cwd: session.work, encoding: 'utf8', timeout: 100_000 });
  expect(run.stderr).not.toMatch(/internal error|at .*\.m?js:\d+/);
  expect(run.status).toBe(0);
}

function worker(queue: string, name: string): GmnProcess {
  return session.worker(name, { queue, flags: ['--backend', 'reference', '--lock-seconds', '2'] });
}

function submit(file: string, queue: string, out: string, extra: string[] = []): GmnProcess {
  return session.submit(file, out, { queue, flags: extra });
}

beforeAll(() => session.open('gmn-lopt-queue-'), 60_000);
afterAll(() => session.close());

describe('a learned-optimization run on the job queue', () => {
  it('the quick preset with a submitter and two workers: results.json equal to the local run\'s', async () => {
    localRun(QUICK, join(session.work, 'quick-local'), ['--preset', 'quick']);
    const workers = [worker('quick', 'a'), worker('quick', 'b')];
    const out = join(session.work, 'quick-queued');
    const submitter = submit(QUICK, 'quick', out, ['--preset', 'quick']);
    expect(await submitter.exited).toBe(0);
    expect(results(out)).toEqual(results(join(session.work, 'quick-local')));
    // The meta-trained optimizers, as gmn verify and gmn optimize read them, are the local run's too.
    for (const f of readdirSync(join(session.work, 'quick-local', 'trained'))) {
      expect(readFileSync(join(out, 'trained', f), 'utf8')).toBe(readFileSync(join(session.work, 'quick-local', 'trained', f), 'utf8'));
    }
    for (const w of workers) expect(w.output()).toMatch(/: done\n/);
    for (const p of [submitter, ...workers]) session.expectClean(p);
  }, 180_000);

  it('a worker SIGKILLed mid-meta-training: another resumes the job from its checkpoint in Redis; recorded once, bit-identical', async () => {
    localRun(FIXTURE, join(session.work, 'fixture-local'));
    const a = worker('kill', 'a');
    const out = join(session.work, 'killed-worker');
    const submitter = submit(FIXTURE, 'kill', out);
    let id = '';
    await waitFor('a checkpointed meta-training job', () => {
      id = /job "([^"]+)": unf_gradmetanet\(hidden: 8, width: 8\) on linear_regression: started/.exec(a.output())?.[1] ?? '';
      return id !== '' && session.redis.cli('exists', `gmn:kill:${id}:gmn-checkpoint`) === '1';
    }, 90_000);
    a.child.kill('SIGKILL');
    const b = worker('kill', 'b');
    expect(await submitter.exited).toBe(0);
    expect(b.output()).toMatch(new RegExp(`resumed job ${id} from its checkpoint after outer step \\d+`));
    expect(results(out)).toEqual(results(join(session.work, 'fixture-local')));
    const trained = 'linear_regression-unf_gradmetanet_hidden__8__width__8_.json';
    expect(readFileSync(join(out, 'trained', trained), 'utf8')).toBe(readFileSync(join(session.work, 'fixture-local', 'trained', trained), 'utf8'));
    // Done once (by b), recorded once (one outcome per job), nothing left in Redis.
    expect(`${a.output()}${b.output()}`.split(`job "${id}": unf_gradmetanet(hidden: 8, width: 8) on linear_regression: done\n`)).toHaveLength(2);
    expect(readdirSync(join(out, 'outcomes')).sort()).toEqual(readdirSync(join(session.work, 'fixture-local', 'outcomes')).sort());
    expect(session.redis.cli('keys', 'gmn:kill:*checkpoint')).toBe('');
    // The same command again finds every job recorded: nothing is queued or recomputed.
    const again = submit(FIXTURE, 'kill', out);
    expect(await again.exited).toBe(0);
    expect(again.output()).toMatch(/queue: 0 jobs queued/);
    expect(results(out)).toEqual(results(join(session.work, 'fixture-local')));
    for (const p of [submitter, b, again]) session.expectClean(p);
  }, 240_000);
});
