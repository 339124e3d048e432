// Every example has a `paper` preset, and every task with one is of a kind that a paper-preset test
// instantiates (paper-presets-curvature, -inr-editing, -learned-optimizer iterate over what they find,
// so a new example is covered without being listed, and a new task kind fails here until it is).
import { expect, it } from 'vitest';
import { PAPER, exampleFiles, exampleTasks } from '../fixtures/paper-presets.js';

const INSTANTIATED_KINDS = ['curvature', 'inr_editing', 'learned_optimization'];

it('every example declares a task with a `paper` preset, and checks without errors', () => {
  const tasks = exampleTasks();
  const files = exampleFiles();
  expect(files).toEqual(expect.arrayContaining(['curvature.gmn', 'curvature_scaled.gmn', 'inr_editing.gmn', 'learned_optimizer.gmn']));
  for (const file of files) {
    const own = tasks.filter((t) => t.file === file);
    expect(own.length, `${file} declares no task`).toBeGreaterThan(0);
    for (const { task, checked } of own) {
      expect(checked.diagnostics.filter((d) => d.severity === 'error'), file).toEqual([]);
      expect(task.presets.map((p) => p.name.name), `${file}: task ${task.name.name}`).toContain(PAPER);
    }
  }
});

it('every task kind with a `paper` preset is one a paper-preset test instantiates', () => {
  for (const t of exampleTasks()) expect(INSTANTIATED_KINDS, `${t.file}: task ${t.task.name.name}`).toContain(t.kind);
});
