// Measures what the job queue costs per job (docs/distributed.md, "Cost and scaling"): a sweep of N
// tiny training jobs (one epoch of a 1→4→4→1 SIREN's GradMetaNet, float64 reference executor) run
// locally and through a Redis queue with one warm worker, alternately, R times each. With
// `--task learned-optimizer` the N jobs are a learned-optimization run's: N − 1 Adam grid points
// and one meta-training (SGDM, 2 outer steps) on the 2-D regression (float64). The overhead
// per job is (queued wall time − local wall time) / N: the same jobs, the same process start-up
// and lowering in both, so what remains is queueing, payload checks, the per-epoch checkpoint in
// Redis, the outcome's round trip and its recording.
//
//   node scripts/queue-overhead.mjs [--jobs N] [--repeats R] [--task curvature|learned-optimizer] [--cli dist/gmn.mjs]
//
// Starts its own redis-server (loopback, random password) and stops it. Run under the load you
// want to report (and say what it was).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '20' }, repeats: { type: 'string', default: '3' }, task: { type: 'string', default: 'curvature' }, cli: { type: 'string', default: 'dist/gmn.mjs' } } });
if (values.task !== 'curvature' && values.task !== 'learned-optimizer') throw new Error(`--task is curvature or learned-optimizer, not ${values.task}`);
const jobs = Number(values.jobs);
const repeats = Number(values.repeats);
const cli = resolve(values.cli);
const work = mkdtempSync(join(tmpdir(), 'gmn-queue-overhead-'));
const fixture = join(work, 'overhead.gmn');
writeFileSync(fixture, values.task === 'learned-optimizer' ? `use std/optimizers
task overhead {
  kind: learned_optimization,
  base_tasks: [linear_regression(horizon: 10, batch: 32)],
  optimizers: [sgdm],
  baseline: adam_grid(step: 0.0005, multiples: [${Array.from({ length: jobs - 1 }, (_, i) => i + 1).join(', ')}]),
  meta_training: pes(outer_steps: 2, pairs: 2, truncation: 5, sigma: 0.01, outer_lr: 3e-3, clip: 1.0),
  seeds: [1],
}
` : `use std/gradmetanet
target Tiny = mlp(widths: [1, 4, 4, 1], activation: sine(omega0: 1.0), init: gaussian)
task overhead {
  target: Tiny,
  data: random_targets(models: 20, points: 8, label_points: 32, inputs: mixture, seed: 3),
  label: fisher_diag,
  splits: { test: 6, validation: 6 },
  train_sizes: [8],
  models: [gradmetanet(width: 4, k1: 1, pe: 4)],
  loss: mse,
  optimizer: adam(lr: 1e-2),
  batch: 4,
  epochs: 1,
  seeds: [${Array.from({ length: jobs }, (_, i) => i + 1).join(', ')}],
}
`);

const port = await new Promise((done) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = probe.address();
    probe.close(() => done(p));
  });
});
const password = randomBytes(12).toString('hex');
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no', '--dir', work], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const env = { ...process.env, GMN_REDIS_PASSWORD: password };
const queue = ['--queue', `redis://127.0.0.1:${port}`];

let n = 0;
const timed = (args) => {
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, 'run', fixture, '--out', join(work, `run-${n++}`), ...args], { cwd: work, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gmn run ${args.join(' ')} failed:\n${r.stderr}`);
  return (performance.now() - started) / 1000;
};

const worker = spawn(process.execPath, [cli, 'worker', ...queue, '--backend', 'reference'], { cwd: work, env, stdio: 'ignore' });
try {
  timed(['--backend', 'reference']);
  timed(queue); // warms the worker: it keeps the task's models and data between jobs
  const local = [];
  const queued = [];
  for (let i = 0; i < repeats; i++) {
    local.push(timed(['--backend', 'reference']));
    queued.push(timed(queue));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
  console.log(`${jobs} jobs; local: ${fmt(local)} s; queued (one warm worker): ${fmt(queued)} s`);
  console.log(`overhead per job (medians): ${((1000 * (median(queued) - median(local))) / jobs).toFixed(0)} ms`);
} finally {
  worker.kill('SIGKILL');
  redis.kill('SIGKILL');
}
