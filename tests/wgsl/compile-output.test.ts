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

/** Every dispatch names a written kernel file with as many bindings, to listed buffers, computing a value of graph.ir. */
function expectConsistent(dir: string): PlanJson {
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as PlanJson;
  const ir = readFileSync(join(dir, 'graph.ir'), 'utf8');
  const defined = new Set([...ir.matchAll(/^ {2}%(\d+) = /gm)].map((m) => Number(m[1])));
  const kernels = new Map(plan.kernels.map((k) => [k.file, k]));
  for (const k of plan.kernels) expect(existsSync(join(dir, k.file))).toBe(true);
  for (const d of plan.dispatches) {
    const k = kernels.get(d.kernel)!;
    expect(d.bindings.length).toBe(k.bindings.length);
    for (const b of d.bindings) expect(plan.buffers[b]).toBeDefined();
    expect(Object.keys(d.uniforms).sort()).toEqual(k.uniforms.map((u) => u.split(':')[0]!).sort());
    expect(defined.has(d.value)).toBe(true);
  }
  for (const o of plan.outputs) expect(defined.has(o.value)).toBe(true);
  expect(new Set(plan.dispatches.map((d) => d.kernel))).toEqual(new Set(kernels.keys()));
  expect(Object.keys(plan.inputs).length).toBeGreaterThan(0);
  return plan;
}

describe('gmn compile', () => {
  it('writes kernels and a consistent plan for every model of the curvature task', async () => {
    const code = await compileCommand.run([join(import.meta.dirname, '../../dsl-examples/curvature.gmn'), '--out', out, '--preset', 'quick']);
    expect(code).toBe(0);
    for (const net of ['gradmetanet', 'gradmetanet_pp', 'mlp_concat', 'standard_estimator']) {
      for (const part of ['forward', 'train_step']) {
        const plan = expectConsistent(join(out, 'curvature', net, part));
        expect(plan.batch).toBe(16); // the quick preset's batch
        // The training step reads back the loss and one gradient per parameter.
        if (part === 'train_step' && net !== 'standard_estimator') expect(plan.outputs.length).toBe(Object.keys(plan.params).length + 1);
      }
    }
  });

  it('a file without tasks: the forward pass of each net for each target, at --set-size and --batch', async () => {
    const dir = join(out, 'editing');
    const code = await compileCommand.run([join(import.meta.dirname, '../fixtures/inr-editors.gmn'), '--out', dir, '--set-size', '8', '--batch', '4']);
    expect(code).toBe(0);
    for (const net of ['dws_editor', 'dws_gradmetanet_editor']) {
      for (const target of ['MnistInr', 'CifarInr']) {
        const plan = expectConsistent(join(dir, net, target, 'forward'));
        expect(plan.batch).toBe(4);
      }
    }
    expect(readFileSync(join(dir, 'dws_gradmetanet_editor', 'MnistInr', 'forward', 'graph.ir'), 'utf8')).toContain('b=8');
  });

  it('a file with neither tasks nor targets, or a bad size, is a usage error', async () => {
    await expect(compileCommand.run([join(import.meta.dirname, '../../std/layers.gmn'), '--out', out])).rejects.toThrow(/declares no task, and no net and target/);
    await expect(compileCommand.run([join(import.meta.dirname, '../fixtures/inr-editors.gmn'), '--out', out, '--batch', '0'])).rejects.toThrow(/--batch must be a positive integer/);
  });
});
