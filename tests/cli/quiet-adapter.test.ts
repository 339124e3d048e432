// Dawn's adapter-discovery chatter (on lavapipe: `Warning: maxDynamic…BuffersPerPipelineLayout
// artificially reduced …`) never reaches a user's terminal, pipe or log file; `--verbose` shows it.
// Run through a shell, as a user would: a Node parent's own pipes are sockets, which cannot be
// reopened (runtime/device/native-chatter.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findAdapter } from '../../runtime/device/index.js';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/gmn.mjs');
const CHATTER = /artificially reduced|^Warning: /m;
// Kept referenced for the file's lifetime: a collected GPU object takes the process down.
const adapter = await findAdapter();

function shell(command: string): string {
  const r = spawnSync('sh', ['-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(adapter === null)('no Dawn chatter in gmn output', () => {
  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
  });

  it('gmn doctor through a pipe shows the adapter and nothing of Dawn\'s; --verbose shows what Dawn said', () => {
    const quiet = shell(`"${process.execPath}" "${CLI}" doctor 2>&1 | cat`);
    expect(quiet).toMatch(/^adapter: /);
    expect(quiet).not.toMatch(CHATTER);
    const verbose = shell(`"${process.execPath}" "${CLI}" --verbose doctor 2>&1 | cat`);
    expect(verbose).toMatch(/adapter: /);
    // Only lavapipe says this; a hardware adapter may have nothing to say.
    if (/adapter: lavapipe/.test(verbose)) expect(verbose).toMatch(/artificially reduced/);
  });

  it('gmn run logged to a file (> log 2>&1): no chatter, and both streams intact', () => {
    const work = tempDir('gmn-quiet-');
    const log = join(work, 'run.log');
    shell(`"${process.execPath}" "${CLI}" run tests/fixtures/tiny-curvature.gmn --preset short --backend webgpu --out "${join(work, 'run')}" > "${log}" 2>&1`);
    const text = readFileSync(log, 'utf8');
    expect(text).not.toMatch(CHATTER);
    expect(text).toMatch(/^gmn run: task tiny_curvature, preset short, WebGPU/m);
    expect(text).toMatch(/^run directory: /m);
    expect(text).toMatch(new RegExp(`^report: ${join(work, 'run', 'report.md')}$`, 'm'));
  });
});
