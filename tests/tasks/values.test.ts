// Task fields with preset overrides: a preset replaces a field, and a record merges into a record
// or into a call's named arguments.
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../compiler/syntax/parse.js';
import type { TaskDecl } from '../../compiler/syntax/ast.js';
import { taskConfig } from '../../runtime/tasks/task-config.js';

function task(text: string): TaskDecl {
  const { program, diagnostics } = parseSource(text, 'test.gmn');
  expect(diagnostics).toEqual([]);
  const decl = program.declarations.find((d) => d.kind === 'task');
  if (decl === undefined || decl.kind !== 'task') throw new Error('no task');
  return decl;
}

const SOURCE = `
task t {
  target: Siren,
  data: random_targets(models: 3000, points: 128, label_points: 1024, seed: 7),
  label: fisher_diag,
  splits: { test: 500, validation: 500 },
  train_sizes: [10, 2000],
  models: [gradmetanet(width: 32), standard_estimator()],
  loss: mse,
  optimizer: adam(lr: 1e-3),
  batch: 32,
  epochs: 100,
  seeds: [1, 2, 3],
  preset quick { data: { models: 160 }, splits: { test: 40 }, epochs: 3, seeds: [1], optimizer: sgd(lr: 0.1) },
}`;

describe('task configuration', () => {
  it('reads the fields as written under the default preset', () => {
    const c = taskConfig(task(SOURCE), 'default');
    expect(c.target).toBe('Siren');
    expect(c.data).toEqual({ generator: 'random_targets', models: 3000, points: 128, labelPoints: 1024, inputs: 'mixture', seed: 7 });
    expect(c.splits).toEqual({ test: 500, validation: 500 });
    expect(c.trainSizes).toEqual([10, 2000]);
    expect(c.models.map((m) => [m.net, Object.fromEntries(m.args)])).toEqual([['gradmetanet', { width: 32 }], ['standard_estimator', {}]]);
    expect(c.optimizer).toMatchObject({ kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999 });
    expect([c.batch, c.epochs, c.seeds]).toEqual([32, 100, [1, 2, 3]]);
  });

  it('merges a preset: records into call arguments and records, plain values replaced', () => {
    const c = taskConfig(task(SOURCE), 'quick');
    expect(c.data).toMatchObject({ models: 160, points: 128, labelPoints: 1024, seed: 7 });
    expect(c.splits).toEqual({ test: 40, validation: 500 });
    expect([c.epochs, c.seeds]).toEqual([3, [1]]);
    expect(c.optimizer).toMatchObject({ kind: 'sgd', lr: 0.1, momentum: 0.9 });
    expect(c.batch).toBe(32);
  });

  it('refuses an unknown preset, naming the ones that exist', () => {
    expect(() => taskConfig(task(SOURCE), 'huge')).toThrow(/no preset `huge`/);
  });
});
