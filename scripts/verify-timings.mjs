#!/usr/bin/env node
// How long `gmn verify FILE` (no flags: the float64 reference, every net as the file instantiates
// it) takes on each shipped example: wall clock, CPU time and peak memory of the process (through
// GNU time), with the load average before and after, since the machines it runs on are shared and
// the wall clock follows the load while the CPU time does not.
//
//   node scripts/verify-timings.mjs --out FILE.json [--gmn dist/gmn.mjs] [--label NAME] [--timeout S] [EXAMPLE.gmn ...]
//
// Examples default to every dsl-examples/*.gmn. Each run is appended to FILE.json as it ends (so
// runs of two builds, e.g. before and after a change, can alternate into one file), labelled with
// --label (default: the gmn build's path). A run past --timeout seconds (default 900) is stopped and
// recorded with `finished: false` and what it used until then.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const TIME = '/usr/bin/time';
const { values, positionals } = parseArgs({
  options: { out: { type: 'string' }, gmn: { type: 'string', default: 'dist/gmn.mjs' }, label: { type: 'string' }, timeout: { type: 'string', default: '900' } },
  allowPositionals: true,
});
if (values.out === undefined) fail('--out FILE.json is required');
if (!existsSync(TIME)) fail(`${TIME} (GNU time) is needed for the CPU time and peak memory: apt-get install time`);
if (!existsSync(values.gmn)) fail(`${values.gmn} does not exist: npm run build`);
const timeout = Number(values.timeout);
const examples = positionals.length > 0 ? positionals : readdirSync('dsl-examples').filter((f) => f.endsWith('.gmn')).sort().map((f) => join('dsl-examples', f));

const file = existsSync(values.out) ? JSON.parse(readFileSync(values.out, 'utf8')) : {
  machine: { cpu: cpus()[0]?.model.trim(), cores: cpus().length, memory_gib: Math.round(totalmem() / 2 ** 29) / 2, node: process.version },
  command: 'gmn verify FILE (no flags)',
  runs: [],
};
for (const example of examples) {
  const before = loads();
  const started = new Date().toISOString();
  // timeout(1) stops the run (exit 124) and GNU time still reports what it used until then.
  const r = spawnSync(TIME, ['-f', 'gnu-time %e %U %S %M', 'timeout', String(timeout), process.execPath, values.gmn, 'verify', example], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const figures = /gnu-time ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  if (figures === null) fail(`no figures from ${TIME} for ${example}: ${r.stderr}`);
  const run = {
    label: values.label ?? values.gmn, example, started, load_before: before, load_after: loads(),
    finished: r.status !== 124, exit: r.status,
    wall_s: Number(figures[1]), user_s: Number(figures[2]), sys_s: Number(figures[3]), max_rss_mb: Math.round(Number(figures[4]) / 1024),
    nets: (r.stdout.match(/^net /gm) ?? []).length,
    verified: (r.stdout.match(/^net .*  verified$/gm) ?? []).length,
  };
  file.runs.push(run);
  writeFileSync(values.out, `${JSON.stringify(file, null, 2)}\n`);
  const what = `${run.finished ? '' : `stopped after ${timeout} s: `}${run.wall_s} s wall, ${run.user_s} + ${run.sys_s} s CPU, ${run.max_rss_mb} MB`;
  process.stdout.write(`${run.label} ${example}: ${what}; ${run.verified}/${run.nets} nets verified; load ${before[0]} -> ${run.load_after[0]}\n`);
}

function loads() {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}

function fail(message) {
  process.stderr.write(`verify-timings: ${message}\n`);
  process.exit(2);
}
