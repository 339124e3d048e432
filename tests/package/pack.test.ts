// The package as users get it: `npm pack` (which builds the CLI and API bundles and the
// declarations), installed into an empty project from the tarball. There `npx gmn check` and
// `npx gmn run` work on a task, docs/api.md's example runs as written, and TypeScript resolves the
// API's types (and rejects a misuse). The dependencies come from npm's cache (`--prefer-offline`:
// `npm ci` in this repository put them there; CI can also reach the registry).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/.bin/tsc');

function sh(command: string, args: string[], cwd: string) {
  return spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
}

/** The first ```js block of docs/api.md's "Example" section. */
function apiExample(): string {
  const doc = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Example'));
  const block = /```js\n([\s\S]*?)```/.exec(section);
  if (block === null) throw new Error('docs/api.md has no ```js example');
  return block[1]!;
}

describe('the packed package', () => {
  let app: string;
  let tarball: string;

  beforeAll(() => {
    const dir = tempDir('gmn-pack-');
    const packed = sh('npm', ['pack', '--pack-destination', dir], ROOT);
    expect(packed.status, packed.stderr).toBe(0);
    tarball = join(dir, packed.stdout.trim().split('\n').at(-1)!);
    app = join(dir, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const installed = sh('npm', ['install', '--prefer-offline', tarball], app);
    expect(installed.status, installed.stderr).toBe(0);
  }, 240_000);

  it('holds the CLI and API bundles, the declarations, std/ and the examples, and no tests', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of ['dist/gmn.mjs', 'dist/index.mjs', 'dist/types/runtime/api/index.d.ts', 'std/gradmetanet.gmn', 'dsl-examples/curvature.gmn', 'package.json', 'README.md']) {
      expect(files).toContain(`package/${f}`);
    }
    expect(files.filter((f) => f.startsWith('package/tests/') || f.startsWith('package/runtime/'))).toEqual([]);
  });

  it('runs npx gmn check and npx gmn run on a task', () => {
    copyFileSync(join(ROOT, 'tests/fixtures/tiny-curvature.gmn'), join(app, 'tiny-curvature.gmn'));
    const checked = sh('npx', ['gmn', 'check', 'tiny-curvature.gmn'], app);
    expect(checked.stderr).toBe('');
    expect(checked.status).toBe(0);
    const run = sh('npx', ['gmn', 'run', 'tiny-curvature.gmn', '--preset', 'short', '--backend', 'reference', '--out', 'run'], app);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.status).toBe(0);
    expect(readFileSync(join(app, 'run', 'report.md'), 'utf8')).toMatch(/\| gradmetanet \|/);
  });

  it('runs the docs/api.md example as written', () => {
    writeFileSync(join(app, 'example.mjs'), apiExample());
    const r = sh(process.execPath, ['example.mjs'], app);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('gradmetanet: S_8-invariant and S_4×S_4-equivariant: grads(Tiny, b=8)[2] → weights(Tiny)[1]');
    expect(r.stdout).toMatch(/gradmetanet n=12: relative test MSE \d/);
    expect(r.stdout).toContain('gradmetanet reads grads [8,10,2] and returns [1,33,1]');
    expect(existsSync(join(app, 'runs/tiny/report.md'))).toBe(true);
  });

  it('gives TypeScript the API\'s types: a correct use compiles, a misuse does not', () => {
    const tsc = (file: string) => sh(TSC, ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
      '--skipLibCheck', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), file], app);
    writeFileSync(join(app, 'typed.ts'), [
      "import { check, runTask, type RunTaskResult } from 'gmn';",
      "const checked = check('tiny-curvature.gmn');",
      'export const ok: boolean = checked.ok;',
      "export const run: Promise<RunTaskResult> = runTask({ file: checked, backend: 'reference' });", '',
    ].join('\n'));
    const good = tsc('typed.ts');
    expect(good.stdout + good.stderr).toBe('');
    expect(good.status).toBe(0);
    writeFileSync(join(app, 'misuse.ts'), "import { runTask } from 'gmn';\nexport const run = runTask({ file: 'x.gmn', backend: 'cuda' });\n");
    const bad = tsc('misuse.ts');
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/misuse\.ts.*error TS2322: Type '"cuda"' is not assignable/);
  });
});
