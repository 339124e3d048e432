// gmn verify reports progress on stderr: a line per net as it starts, then its runs (f(x) and one per
// comparison) — as plain lines when stderr is not a terminal, the last one when the net is done —
// and stdout keeps only the result.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('gmn verify progress', () => {
  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
  });

  it('names each net on stderr as it starts and ends it with its last comparison; stdout stays JSON', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/gmn.mjs'), 'verify', '--json', 'std/gradmetanet.gmn'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    const nets = (JSON.parse(run.stdout) as { nets: { net: string }[] }).nets.map((n) => n.net);
    expect(nets).toEqual(['gradmetanet', 'gradmetanet_vec', 'gradmetanet_theta']);
    // Each net: its start line, then its runs' lines (every 10 s: none for these quick nets on a quiet
    // machine) and, last, its final run's, `[n/n] net: check`.
    const starts = run.stderr.split(/^(?=verify \[)/m);
    expect(starts.map((block) => block.split('\n')[0])).toEqual(nets.map((net, i) => `verify [${i + 1}/3] net ${net} (probe)`));
    starts.forEach((block, i) => {
      const runs = block.trimEnd().split('\n').slice(1);
      for (const line of runs) expect(line).toMatch(new RegExp(`^\\[\\d+/\\d+\\] ${nets[i]}: (f\\(x\\)|equivariance|invariance|sensitivity \\S+) \\(ETA \\d+ s\\)$`));
      expect(runs.at(-1)).toMatch(new RegExp(`^\\[(\\d+)/\\1\\] ${nets[i]}: sensitivity decoupled \\(ETA 0 s\\)$`));
    });
  });
});
