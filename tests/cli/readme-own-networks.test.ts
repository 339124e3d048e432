// README.md's "Your own networks" runs as written: its blocks, in order, in an empty folder — each
// ```gmn and ```python block saved under the name on its first line (python ones then run), each
// ```sh block run with `gmn` on the PATH. Then the outputs are checked: gmn predict's two estimates,
// and that the standard estimator gmn computes from the PyTorch-hook factors reproduces their labels
// closely (so the hooks write the documented layout). Needs python3 with numpy and PyTorch; skips
// visibly without them.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '../../runtime/targets/npy.js';
import { torchMissing } from '../fixtures/python.js';
import { tempDir } from '../fixtures/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Block { lang: string; text: string }

function sectionBlocks(): Block[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Your own networks');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));
}

describe.skipIf(torchMissing('README "Your own networks" examples not run') !== null)('README: Your own networks', () => {
  let work: string;
  const ran: string[] = [];

  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
    work = tempDir('gmn-readme-');
    const bin = join(work, '.bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'gmn'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'dist/gmn.mjs')}" "$@"\n`);
    chmodSync(join(bin, 'gmn'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    for (const block of sectionBlocks()) {
      const name = /^(?:\/\/|#) ([\w.-]+)\n/.exec(block.text)?.[1];
      if (block.lang === 'sh') {
        const r = spawnSync('bash', ['-e', '-c', block.text], { cwd: work, env, encoding: 'utf8', timeout: 300_000 });
        expect(r.status, `${block.text}\n${r.stderr}`).toBe(0);
        ran.push(block.text.trim());
        continue;
      }
      expect(name, `a ${block.lang} block without its file name on the first line`).toBeDefined();
      writeFileSync(join(work, name!), block.text);
      if (block.lang === 'python') {
        const r = spawnSync('python3', [name!], { cwd: work, env, encoding: 'utf8', timeout: 300_000 });
        expect(r.status, `${name}\n${r.stderr}`).toBe(0);
        ran.push(name!);
      }
    }
  }, 240_000);

  it('runs every block: two gmn runs, gmn predict and both python scripts', () => {
    expect(ran).toEqual([
      'gmn run siren8.gmn --out runs/siren8 --backend reference', 'my_net.py',
      'gmn predict runs/siren8 --weights my-net/weights --inputs my-net/samples.npy --out my-net/fisher',
      'make_grads.py', 'gmn run my-task.gmn --out runs/mine --backend reference',
    ]);
  });

  it('writes the estimate and the standard estimator, [97] each', () => {
    for (const file of ['predicted.npy', 'standard_estimator.npy']) {
      const array = decodeNpy(readFileSync(join(work, 'my-net/fisher', file)));
      expect(array.shape).toEqual([97]);
      expect(Array.from(array.data).every(Number.isFinite)).toBe(true);
      // The estimator is a mean of squares.
      if (file === 'standard_estimator.npy') expect(Array.from(array.data).every((v) => v >= 0)).toBe(true);
    }
  });

  it('trains on the PyTorch-hook gradients, whose standard estimator reproduces their labels', () => {
    const results = readFileSync(join(work, 'runs/mine/results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { model: string; testError: number });
    expect(results.map((r) => r.model).sort()).toEqual(['gradmetanet', 'standard_estimator', 'standard_estimator+recalibrated']);
    // 8 samples against 512: a few per cent of the labels' variance, if the factors are laid out as documented.
    expect(results.find((r) => r.model === 'standard_estimator')!.testError).toBeLessThan(0.05);
    expect(readFileSync(join(work, 'runs/mine/report.md'), 'utf8')).toMatch(/\| gradmetanet \| 1090 \|/);
  });
});
