// The built executable: exit codes, --json, --help, --version, and what a user sees for a
// malformed file (location, source line, caret, and never a stack trace).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'dist', 'gmn.mjs');

function gmn(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: repo });
});

describe('gmn check', () => {
  it('exits 0 on the std library and the examples', () => {
    const r = gmn('check', 'std/baselines.gmn', 'std/gradmetanet.gmn', 'std/gradmetanet_pp.gmn', 'std/layers.gmn', 'std/optimizers.gmn', 'dsl-examples/curvature.gmn');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('exits 1 and renders file:line:col, the source line and a caret, without a stack trace', () => {
    const r = gmn('check', 'tests/corpus/invalid/syntax-missing-rparen.gmn');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tests/corpus/invalid/syntax-missing-rparen.gmn:3:17: error: expected `)` to close the argument list of `relu`');
    expect(r.stderr).toContain(' 3 |   let y = relu(x\n   |                 ^\n');
    expect(r.stderr).not.toMatch(/\n\s+at .*\(|internal error/);
  });

  it('prints hints under the caret', () => {
    const r = gmn('check', 'tests/corpus/invalid/resolve-unknown-activation.gmn');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('  hint: did you mean `relu`?');
  });

  it('--json prints an array of diagnostics on stdout', () => {
    const r = gmn('check', '--json', 'tests/corpus/invalid/resolve-several-errors.gmn');
    expect(r.code).toBe(1);
    const out: unknown = JSON.parse(r.stdout);
    expect(out).toEqual([
      expect.objectContaining({ file: 'tests/corpus/invalid/resolve-several-errors.gmn', line: 5, col: 11, endLine: 5, endCol: 15, severity: 'error', code: 'resolve/unknown-name', message: 'unknown function `rleu`', hint: 'did you mean `relu`?' }),
      expect.objectContaining({ line: 6, col: 25, message: 'unknown value `neuron` for `over` of `mean`', hint: 'did you mean `neurons`?' }),
      expect.objectContaining({ line: 7, col: 23, code: 'resolve/unknown-argument', message: '`linear` has no parameter `bais`' }),
    ]);
  });

  it('--json on clean files prints an empty array and exits 0', () => {
    const r = gmn('check', '--json', 'dsl-examples/curvature.gmn');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('reports a missing file as a diagnostic (exit 1)', () => {
    const r = gmn('check', 'no/such/file.gmn');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no/such/file.gmn:1:1: error: cannot read `no/such/file.gmn`');
  });
});

describe('usage', () => {
  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(gmn('--version')).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('--help lists the commands; help CMD prints its usage', () => {
    const top = gmn('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/usage: gmn <command>/);
    expect(top.stdout).toMatch(/\n {2}check +parse and check/);
    const check = gmn('help', 'check');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^usage: gmn check \[--json\] FILE\.\.\./);
    expect(gmn('check', '--help').stdout).toBe(check.stdout);
  });

  it('exits 2 on an unknown command, an unknown flag, no files, or no command', () => {
    const unknown = gmn('chek');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('gmn: unknown command `chek`');
    const flag = gmn('check', '--jsn', 'x.gmn');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("gmn check: Unknown option '--jsn'");
    expect(flag.stderr).toContain('usage: gmn check');
    expect(gmn('check').code).toBe(2);
    expect(gmn().code).toBe(2);
    expect(gmn('--frobnicate').code).toBe(2);
  });
});
