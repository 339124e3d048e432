// The INR editors' optimizer comes from the task: `adamw(schedule: cosine)` decays the rate over the
// preset's steps (it was once dropped on the way to the trainer, which then ran at a constant rate),
// `adamw(warmup: W)` raises it over the first W steps, and `clip_norm: c` reaches the trainer.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { inrEditingConfig } from '../../runtime/tasks/inr-editing/config.js';
import { editorOptimizer } from '../../runtime/tasks/inr-editing/train.js';
import { learningRate } from '../../runtime/train/optimizers.js';
import { tempDir } from '../fixtures/temp-dir.js';

const EXAMPLE = resolve(import.meta.dirname, '../../dsl-examples/inr_editing.gmn');

function configOf(source: string, preset: string) {
  const file = join(tempDir('gmn-inr-opt-'), 'inr_editing.gmn');
  writeFileSync(file, source);
  const { program } = checkFiles([file]);
  const task = [...program.roots[0]!.symbols.tasks.values()][0]!;
  return inrEditingConfig(task, preset);
}

describe('editorOptimizer', () => {
  const example = readFileSync(EXAMPLE, 'utf8');

  it('keeps the task\'s AdamW settings at the grid\'s learning rate, constant by default', () => {
    const config = configOf(example, 'default');
    const o = editorOptimizer(config, 0.005);
    expect(o).toMatchObject({ kind: 'adamw', lr: 0.005, weightDecay: config.optimizer.weightDecay });
    expect(o.schedule).toBeUndefined();
    expect(learningRate(o, config.steps - 1)).toBe(0.005);
  });

  it('passes `schedule: cosine` on, decaying over the preset\'s steps', () => {
    const source = example.replace(/optimizer: adamw\(([^)]*)\)/, 'optimizer: adamw($1, schedule: cosine)');
    expect(source).not.toBe(example);
    const config = configOf(source, 'default');
    const o = editorOptimizer(config, 0.01);
    expect(o.schedule).toEqual({ kind: 'cosine', steps: config.steps });
    expect(learningRate(o, 0)).toBe(0.01);
    expect(learningRate(o, config.steps / 2)).toBeCloseTo(0.005, 12);
    expect(learningRate(o, config.steps)).toBeCloseTo(0, 12);
  });

  it('passes `warmup: W` on, with or without the cosine decay', () => {
    const source = example.replace(/optimizer: adamw\(([^)]*)\)/, 'optimizer: adamw($1, warmup: 50)');
    expect(source).not.toBe(example);
    const o = editorOptimizer(configOf(source, 'default'), 0.004);
    expect(o.schedule).toEqual({ kind: 'constant', steps: configOf(source, 'default').steps, warmup: 50 });
    expect(learningRate(o, 0)).toBeCloseTo(0.004 / 50, 15);
    expect(learningRate(o, 24)).toBeCloseTo(0.002, 15);
    expect(learningRate(o, 49)).toBe(0.004);
    const both = editorOptimizer(configOf(source.replace('warmup: 50', 'warmup: 50, schedule: cosine'), 'default'), 0.004);
    expect(both.schedule).toMatchObject({ kind: 'cosine', warmup: 50 });
    expect(learningRate(both, 0)).toBeCloseTo(0.004 / 50 * 0.5 * (1 + Math.cos(0)), 15);
  });

  it('passes `clip_norm: c` on (absent: no clipping)', () => {
    expect(editorOptimizer(configOf(example, 'default'), 0.005).clipNorm).toBeUndefined();
    const source = example.replace(/optimizer: adamw\(([^)]*)\)/, 'optimizer: adamw($1, clip_norm: 10.0)');
    expect(editorOptimizer(configOf(source, 'default'), 0.005).clipNorm).toBe(10);
  });
});
