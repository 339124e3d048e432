// gmn bench --json: every figure with the load it was measured under, and the machine and code it
// was measured on (what docs/performance/ keeps beside each quoted figure).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchCommand } from '../../runtime/cli/commands/bench.js';
import { openTestGpu } from '../device/gpu-fixture.js';
import { tempDir } from '../fixtures/temp-dir.js';
import { capture } from './capture.js';

const gpu = await openTestGpu();
gpu?.destroy();

describe('gmn bench --json', () => {
  it.skipIf(gpu === null)('writes each line\'s figures with its load average, the machine, the commit and the options', async () => {
    const file = join(tempDir('gmn-bench-json-'), 'bench.json');
    const { code, stdout } = await capture(benchCommand, '--only', 'matmul', '--size', '64', '--json', file);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^bench: matmul_64 gflops=[\d.]+ ms=[\d.]+$/m);
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      machine: { cpu: string; cores: number; memory_gib: number; node: string; commit: string | null };
      argv: string[];
      started: { time: string; load: number[] };
      finished: { time: string; load: number[] };
      results: Record<string, Record<string, number>>;
    };
    expect(json.machine.cores).toBeGreaterThan(0);
    expect(json.machine.cpu).not.toBe('');
    expect(json.machine.memory_gib).toBeGreaterThan(0);
    expect(json.machine.node).toBe(process.version);
    expect(json.machine.commit).toMatch(/^[0-9a-f]{40}(\+dirty)?$/);
    expect(json.argv).toEqual(['--only', 'matmul', '--size', '64', '--json', file]);
    for (const at of [json.started, json.finished]) {
      expect(Number.isNaN(Date.parse(at.time))).toBe(false);
      expect(at.load).toHaveLength(3);
    }
    expect(Object.keys(json.results)).toEqual(['matmul_64']);
    expect(json.results.matmul_64!.gflops).toBeGreaterThan(0);
    expect(json.results.matmul_64!.load_1m).toBeGreaterThanOrEqual(0);
  });
});
