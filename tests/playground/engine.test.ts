// The playground engine (runtime/playground/engine.ts) against the CLI's own code paths: the same
// diagnostics at the same ranges as `gmn check`, the same certificate text as `gmn explain`, the
// same kernels as `gmn compile` (and they compile on the device), every example and std module
// embedded and up to date.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { explainText } from '../../compiler/symmetry/explain-text.js';
import { kernelFiles } from '../../compiler/wgsl/kernel-files.js';
import { explain as explainFile } from '../../runtime/api/check.js';
import { planFile } from '../../runtime/api/plan-file.js';
import { analyse, examples, explain, irDump, kernels } from '../../runtime/playground/engine.js';
import { openTestGpu } from '../device/gpu-fixture.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NON_EQUIVARIANT = join(ROOT, 'tests/corpus/symmetry/reject/dense-over-neurons.gmn');
const TINY = join(ROOT, 'tests/fixtures/tiny-curvature.gmn');
const gpu = await openTestGpu();

describe('analyse', () => {
  it('puts a non-equivariant layer\'s diagnostic on the layer, where gmn check puts it', () => {
    const source = readFileSync(NON_EQUIVARIANT, 'utf8');
    const got = analyse(source, 'spec.gmn');
    const want = checkFiles([NON_EQUIVARIANT]).diagnostics;
    expect(got.map((d) => [d.code, d.from, d.to, d.line, d.column, d.message])).toEqual(
      want.map((d) => [d.code, d.span.start.offset, d.span.end.offset, d.span.start.line, d.span.start.column, d.message]));
    const [breaks] = got;
    expect(breaks).toMatchObject({ severity: 'error', file: 'spec.gmn', line: 4, column: 10 });
    expect(breaks!.message).toMatch(/breaks S_3/);
    expect(source.slice(breaks!.from, breaks!.to)).toMatch(/^dense\(z, weights\(T\)\[1\]\)$/);
  });

  it('resolves `use std/...` from the embedded std and reports a misspelt module at its `use`', () => {
    expect(analyse(readFileSync(TINY, 'utf8'))).toEqual([]);
    const source = 'use std/gradmetanett\n';
    const [missing] = analyse(source);
    expect(missing).toMatchObject({ code: 'resolve/missing-module', file: 'playground.gmn', from: 0 });
    expect(missing!.hint).toMatch(/did you mean `std\/gradmetanet`/);
  });
});

describe('explain and irDump', () => {
  it('print what gmn explain prints for a file without errors', () => {
    const { nets } = explainFile(TINY);
    const source = readFileSync(TINY, 'utf8');
    // The CLI names the file by its path; the playground's text is playground.gmn.
    const named = (text: string) => text.replaceAll('tests/fixtures/tiny-curvature.gmn', 'playground.gmn');
    expect(explain(source)).toBe(named(nets.map((r) => explainText(r, false)).join('\n')));
    const ir = irDump(source);
    for (const r of nets) expect(ir).toContain(`// net ${r.net}  (${named(r.file)}, ${r.instance})`);
    expect(ir).toMatch(/%\d+ = param/);
  });

  it('show the diagnostics first when the text has errors', () => {
    const text = explain(readFileSync(NON_EQUIVARIANT, 'utf8'));
    expect(text).toMatch(/^playground\.gmn:4:10: error: dense layer over axis neurons/);
    expect(text).toContain('not certified');
  });
});

describe('examples', () => {
  const onDisk = (dir: string) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.gmn')).sort()
    .map((f) => ({ name: `${dir}/${f}`, source: readFileSync(join(ROOT, dir, f), 'utf8') }));

  // std/ decides what `use std/...` means, so a stale copy would give other diagnostics than gmn check.
  it('holds std/ and every example as they are on disk (else run npm run build)', () => {
    const embedded = examples();
    expect(embedded.filter((e) => e.name.startsWith('std/'))).toEqual(onDisk('std'));
    expect(embedded.filter((e) => e.name.startsWith('dsl-examples/'))).toEqual(onDisk('dsl-examples'));
    expect(embedded.map((e) => e.name.split('/')[0])).toEqual([...embedded.map((e) => e.name.split('/')[0])].sort());
  });
});

describe('kernels', () => {
  it('are the kernels gmn compile writes, named by where it writes them', () => {
    const checked = checkFiles([TINY]);
    const planned = planFile(checked.program, checked.program.roots[0]!, { setSize: 16, batch: 32 });
    if (!planned.ok) throw new Error(planned.problem);
    const want = planned.plans.flatMap(({ path, plan }) => plan.kernels.map((k, i) => ({ name: [...path, kernelFiles(plan)[i]].join('/'), wgsl: k.source })));
    const got = kernels(readFileSync(TINY, 'utf8'));
    expect(got).toEqual(want);
    // Each model of the task: its forward pass and its training step.
    const folders = new Set(got.map((k) => k.name.split('/').slice(0, 3).join('/')));
    expect([...folders].sort()).toEqual(['gradmetanet', 'mlp_concat', 'standard_estimator'].flatMap((net) => [`tiny_curvature/${net}/forward`, `tiny_curvature/${net}/train_step`]));
  });

  it('refuse a text with errors, saying where', () => {
    expect(() => kernels(readFileSync(NON_EQUIVARIANT, 'utf8'))).toThrow(/playground\.gmn:4:10: error/);
  });

  it.skipIf(gpu === null)('compile on the device without errors', async () => {
    const device = gpu!.device;
    const distinct = [...new Map(kernels(readFileSync(TINY, 'utf8')).map((k) => [k.wgsl, k.name])).entries()];
    for (const [wgsl, name] of distinct) {
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code: wgsl, label: name });
      const info = await module.getCompilationInfo();
      const error = await device.popErrorScope();
      expect(info.messages.filter((m) => m.type === 'error').map((m) => `${name}: ${m.message}`)).toEqual([]);
      expect(error?.message, name).toBeUndefined();
    }
    gpu!.destroy();
  });
});
