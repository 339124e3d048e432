// `gmn fmt`: every committed well-formed .gmn file is formatted (CI runs this through `npm test`),
// formatting changes only whitespace and keeps every comment, formatting twice changes nothing,
// and `--check`, syntax errors and missing files answer with clear messages and exit 1.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/temp-dir.js';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'dist', 'gmn.mjs');

function gmn(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The .gmn files under `dir`, but the corpus of deliberately malformed files. */
function gmnFiles(dir: string): string[] {
  return readdirSync(join(repo, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.gmn'))
    .map((e) => relative(repo, join(e.parentPath, e.name)))
    .filter((f) => !f.startsWith(join('tests', 'corpus', 'invalid')));
}

const MESSY = `// A net with comments everywhere.
use   std/layers
/* a block
   comment, kept as written */
net f( x : grads(T,b) [2],width:int=4 )->weights (T)[1]{
let z=relu( set_layer(x,width) )   // trailing comment, its spacing kept
      let y = mean(z,over:set)*-1.0 + 2 // after an operator
  return eqlinear(rows(y),
                    weights(T)[1])
        }


task t {
        target: Siren, data: random_targets(models: 10,
  points: 4),
  splits: {test:1,validation :1},
  preset quick {}
}
`;

const FORMATTED = `// A net with comments everywhere.
use std/layers
/* a block
   comment, kept as written */
net f(x: grads(T, b)[2], width: int = 4) -> weights(T)[1] {
  let z = relu(set_layer(x, width))   // trailing comment, its spacing kept
  let y = mean(z, over: set) * -1.0 + 2 // after an operator
  return eqlinear(rows(y),
                  weights(T)[1])
}

task t {
  target: Siren, data: random_targets(models: 10,
                                      points: 4),
  splits: { test: 1, validation: 1 },
  preset quick {}
}
`;

const stripWhitespace = (text: string): string => text.replace(/\s+/g, '');

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: repo });
});

describe('gmn fmt', () => {
  it('--check passes on every committed well-formed .gmn file', () => {
    const files = [...gmnFiles('dsl-examples'), ...gmnFiles('std'), ...gmnFiles('tests')];
    expect(files).toEqual(expect.arrayContaining([join('dsl-examples', 'curvature.gmn'), join('std', 'layers.gmn')]));
    const r = gmn('fmt', '--check', ...files);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('changes only whitespace, keeps every comment, and a second run changes nothing', () => {
    const dir = tempDir('gmn-fmt-');
    const file = join(dir, 'messy.gmn');
    writeFileSync(file, MESSY);
    expect(gmn('fmt', '--check', file)).toMatchObject({ code: 1, stderr: `${file}: not formatted\n  hint: run \`gmn fmt FILE...\` to format them in place\n` });
    expect(readFileSync(file, 'utf8')).toBe(MESSY);
    expect(gmn('fmt', file)).toMatchObject({ code: 0, stderr: '' });
    const once = readFileSync(file, 'utf8');
    expect(once).toBe(FORMATTED);
    expect(stripWhitespace(once)).toBe(stripWhitespace(MESSY));
    for (const comment of MESSY.match(/\/\/[^\n]*|\/\*[^]*?\*\//g)!) expect(once).toContain(comment);
    expect(gmn('fmt', file)).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(file, 'utf8')).toBe(once);
    expect(gmn('fmt', '--check', file)).toMatchObject({ code: 0, stderr: '' });
  });

  it('formats every committed file to itself, and a file of theirs re-indented back to it', () => {
    const dir = tempDir('gmn-fmt-');
    for (const path of ['std/gradmetanet.gmn', 'dsl-examples/learned_optimizer.gmn', 'dsl-examples/inr_editing.gmn']) {
      const committed = readFileSync(join(repo, path), 'utf8');
      // Every line flush left and every run of spaces doubled: only whitespace differs.
      const mangled = committed.split('\n').map((l) => l.trimStart().replace(/ +/g, '  ')).join('\n');
      const file = join(dir, path.replace('/', '-'));
      writeFileSync(file, mangled);
      expect(gmn('fmt', file).code).toBe(0);
      const formatted = readFileSync(file, 'utf8');
      expect(stripWhitespace(formatted)).toBe(stripWhitespace(committed));
      // Comments keep their own inner spacing, so compare the code lines only.
      const code = (text: string): string[] => text.split('\n').filter((l) => !l.includes('//'));
      expect(code(formatted)).toEqual(code(committed));
    }
  });

  it('leaves a file with syntax errors alone and says where they are', () => {
    const dir = tempDir('gmn-fmt-');
    const file = join(dir, 'broken.gmn');
    const broken = readFileSync(join(repo, 'tests/corpus/invalid/syntax-missing-rparen.gmn'), 'utf8');
    writeFileSync(file, broken);
    const r = gmn('fmt', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:3:17: error: expected \`)\` to close the argument list of \`relu\``);
    expect(r.stderr).toContain(`${file}: not formatted: fix the errors above first`);
    expect(readFileSync(file, 'utf8')).toBe(broken);
  });

  it('reports a missing file with a hint, and no files as a usage error', () => {
    const missing = gmn('fmt', 'no/such/file.gmn');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('no/such/file.gmn: error: cannot read the file (ENOENT)\n  hint: check the path; gmn fmt takes .gmn files\n');
    expect(gmn('fmt').code).toBe(2);
  });
});
