// `pes(outer_schedule: cosine)`: the example's `fmnist` preset decays its outer rate, the others keep
// it constant, and a schedule the language does not know is a compile error at its place.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { learnedOptimizationConfig } from '../../runtime/tasks/learned-optimizer/config.js';

const EXAMPLE = resolve(import.meta.dirname, '../../dsl-examples/learned_optimizer.gmn');

function check(file: string, source?: string) {
  return checkFiles([file], { readFile: (p) => (p === file && source !== undefined ? source : existsSync(p) ? readFileSync(p, 'utf8') : undefined) });
}

describe('the outer learning rate\'s schedule', () => {
  it('is cosine in the example\'s fmnist preset and constant where a preset does not ask', () => {
    const { program, diagnostics } = check(EXAMPLE);
    expect(diagnostics).toEqual([]);
    const task = program.roots[0]!.symbols.tasks.get('learned_optimizer')!;
    expect(learnedOptimizationConfig(task, 'fmnist').pes).toMatchObject({ outerLr: 3e-2, outerSchedule: 'cosine', outerSteps: 300 });
    for (const preset of ['default', 'long', 'paper']) expect(learnedOptimizationConfig(task, preset).pes.outerSchedule, preset).toBe('constant');
  });

  it('rejects a schedule it does not know, at the value, naming the ones it does', () => {
    const file = join(import.meta.dirname, 'outer-schedule.gmn');
    const source = [
      'use std/optimizers',
      'target Mlp = mlp(widths: [4, 3, 2], activation: relu)',
      'task t {',
      '  kind: learned_optimization,',
      '  base_tasks: [linear_regression(horizon: 4)],',
      '  optimizers: [sgdm],',
      '  baseline: adam_grid(multiples: [2]),',
      '  meta_training: pes(outer_steps: 2, outer_schedule: linear),',
      '  seeds: [1],',
      '}',
    ].join('\n');
    const { diagnostics } = check(file, source);
    expect(diagnostics.length).toBeGreaterThan(0);
    const d = diagnostics[0]!;
    expect(`${d.message} ${d.hint ?? ''}`).toMatch(/constant.*cosine|cosine.*constant/);
    expect(d.span.start.line).toBe(8);
  });
});
