// An INR editor may read `block_scale: weights(T)[1]`: per parameter block the training INRs' RMS of
// θ there, the same for every INR, to scale its Δθ by (a SIREN's blocks differ in scale by about ω0).
// blockScale's numbers by hand, the task feeding it to an editor that asks, and refusing it in any
// other type.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { DiagnosticError } from '../../compiler/diagnostics/diagnostic.js';
import { inrEditingConfig } from '../../runtime/tasks/inr-editing/config.js';
import { batchInputs, blockScale, type EditDataset } from '../../runtime/tasks/inr-editing/data.js';
import { inrEditingModels } from '../../runtime/tasks/inr-editing/models.js';
import { taskTarget } from '../../runtime/tasks/task-target.js';
import { Rng } from '../../runtime/util/rng.js';
import { tempDir } from '../fixtures/temp-dir.js';

function task(net: string) {
  const file = join(tempDir('gmn-block-scale-'), 'edit.gmn');
  writeFileSync(file, `target Inr = mlp(widths: [2, 3, 2, 1], activation: sine(omega0: 30.0), init: siren)
${net}
task edit {
  kind: inr_editing,
  target: Inr,
  data: fitted_inrs(count: 6, points: 4),
  edits: [dilate(images: mnist)],
  splits: { test: 1, validation: 1 },
  models: [scaled()],
  optimizer: adamw(),
  learning_rates: [0.005],
  batch: 2,
  steps: 2,
  seeds: [1],
}
`);
  const { program, diagnostics } = checkFiles([file]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const module = program.roots[0]!;
  const decl = [...module.symbols.tasks.values()][0]!;
  const config = inrEditingConfig(decl, 'default');
  return { program, module, task: decl, config, target: taskTarget(module, decl, config.target) };
}

const SCALED = `net scaled(theta: weights(T)[1], block_scale: weights(T)[1]) -> pixels(28)[1] {
  return render(theta + linear(theta, 1, zero: true) * block_scale, side: 28)
}`;

describe('block_scale', () => {
  it('is, at every entry of a block, the RMS of θ over the items and the block\'s entries', () => {
    const { target } = task(SCALED);
    const P = target.paramCount;
    const rng = new Rng(3);
    const items = 4;
    const theta = Float32Array.from({ length: items * P }, () => rng.normal());
    const scale = blockScale(target, theta, items);
    expect(scale.length).toBe(P);
    for (const b of target.params) {
      const size = b.rows * (b.cols ?? 1);
      let sq = 0;
      for (let e = 0; e < items; e++) for (let i = 0; i < size; i++) sq += theta[e * P + b.offset + i]! ** 2;
      for (let i = 0; i < size; i++) expect(scale[b.offset + i]).toBeCloseTo(Math.sqrt(sq / (items * size)), 6);
    }
    // A block of zeros scales by 1, not 0, so that an editor can still move it.
    expect([...blockScale(target, new Float32Array(P), 1)]).toEqual(new Array(P).fill(1));
  });

  it('is fed to an editor that reads it, the same for every INR of a batch', () => {
    const setup = task(SCALED);
    const [model] = inrEditingModels(setup);
    expect([...model!.inputs.keys()].sort()).toEqual(['block_scale', 'theta']);
    const P = setup.target.paramCount;
    const scale = Float32Array.from({ length: P }, (_, i) => 0.5 + i);
    const data = { layout: setup.target, theta: new Float32Array(3 * P), blockScale: scale } as unknown as EditDataset;
    const t = batchInputs(data, model!.inputs, 4, [2, 0]).get('block_scale')!;
    expect(t.shape).toEqual([2, P, 1]);
    expect([...t.data]).toEqual([...scale, ...scale]);
  });

  it('in any other type is refused at the editor, with what the task feeds', () => {
    const setup = task(SCALED.replace('block_scale: weights(T)[1]', 'block_scale: neurons(T)[1]').replace('* block_scale', '* rows(block_scale)'));
    const refused = (() => { try { inrEditingModels(setup); } catch (e) { return e; } return null; })();
    expect(refused).toBeInstanceOf(DiagnosticError);
    const d = (refused as DiagnosticError).diagnostics[0]!;
    expect(d.message).toMatch(/cannot feed input `block_scale`/);
    expect(d.hint).toMatch(/block_scale: weights\(T\)\[1\]/);
  });
});
