// docs/language.md stays in step with the code: every builtin and task vocabulary entry is
// documented, and the page's example checks cleanly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { checkFiles } from '../../compiler/check.js';
import { BUILTINS } from '../../compiler/resolve/builtins.js';
import { BASE_TASKS, BASELINES, DATA_GENERATORS, EDITS, INR_DATA, KIND_FIELD, META_TRAINERS, OPTIMIZERS, TASK_KINDS } from '../../compiler/resolve/task-schema.js';

const page = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'language.md'), 'utf8');

it('documents every builtin, task field, generator and optimizer', () => {
  for (const b of [...BUILTINS, ...DATA_GENERATORS, ...OPTIMIZERS, ...BASE_TASKS, ...META_TRAINERS, ...BASELINES, ...INR_DATA, ...EDITS]) expect(page, b.name).toContain(`| \`${b.name}(`);
  for (const f of [KIND_FIELD, ...TASK_KINDS.flatMap((k) => k.fields)]) expect(page, f.name).toContain(`\`${f.name}\``);
  for (const k of TASK_KINDS) expect(page, k.name).toContain(`\`${k.name}\``);
});

it('the example on the page checks without diagnostics', () => {
  const example = /```gmn\n([^]*?)```/.exec(page)![1]!;
  const virtual = join(import.meta.dirname, 'doc-example.gmn');
  const { diagnostics } = checkFiles([virtual], { readFile: (p) => (p === virtual ? example : (() => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } })()) });
  expect(diagnostics).toEqual([]);
});
