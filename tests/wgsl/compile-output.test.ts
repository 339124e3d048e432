// `gmn compile` output is self-consistent: for the forward pass and the training step of every
// model, every dispatch names a written kernel file, binds as many buffers as that kernel declares,
// to buffers the plan lists, and computes a value of graph.ir; every kernel file is used.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PlanJson } from '../../compiler/wgsl/emit.js';
import { compileCommand } from '../../runtime/cli/commands/compile.js';

const out = mkdtempSync(join(tmpdir(), 'gmn-compile-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('gmn compile', () => {
  it('writes kernels and a consistent plan for every model of the curvature task', async () => {
    const code = await compileCommand.run([join(import.meta.dirname, '../../dsl-examples/curvature.gmn'), '--out', out, '--preset', 'quick']);
    expect(code).toBe(0);
    for (const [net, part] of ['gradmetanet', 'gradmetanet_pp', 'mlp_concat', 'standard_estimator'].flatMap((n) => [[n, 'forward'], [n, 'train_step']])) {
      const dir = join(out, 'curvature', net!, part!);
      const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as PlanJson;
      const ir = readFileSync(join(dir, 'graph.ir'), 'utf8');
      const defined = new Set([...ir.matchAll(/^ {2}%(\d+) = /gm)].map((m) => Number(m[1])));
      for (const d of plan.dispatches) expect(defined.has(d.value)).toBe(true);
      for (const o of plan.outputs) expect(defined.has(o.value)).toBe(true);
      // The training step reads back the loss and one gradient per parameter.
      if (part === 'train_step' && net !== 'standard_estimator') expect(plan.outputs.length).toBe(Object.keys(plan.params).length + 1);
      expect(plan.batch).toBe(32);
      const kernels = new Map(plan.kernels.map((k) => [k.file, k]));
      for (const k of plan.kernels) expect(existsSync(join(dir, k.file))).toBe(true);
      for (const d of plan.dispatches) {
        const k = kernels.get(d.kernel)!;
        expect(d.bindings.length).toBe(k.bindings.length);
        for (const b of d.bindings) expect(plan.buffers[b]).toBeDefined();
        expect(Object.keys(d.uniforms).sort()).toEqual(k.uniforms.map((u) => u.split(':')[0]!).sort());
      }
      expect(new Set(plan.dispatches.map((d) => d.kernel))).toEqual(new Set(kernels.keys()));
      expect(Object.keys(plan.inputs).length).toBeGreaterThan(0);
    }
  });

  it('a file without tasks is a usage error', async () => {
    await expect(compileCommand.run([join(import.meta.dirname, '../../std/layers.gmn'), '--out', out])).rejects.toThrow(/declares no task/);
  });
});
