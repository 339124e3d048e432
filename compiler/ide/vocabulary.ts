// Every builtin an editor can name, document and complete: the language's ops, spaces, targets and
// activations (resolve/builtins.ts) and the calls and fields of tasks (resolve/task-schema.ts).
import { BUILTINS, type ArgKind, type Builtin } from '../resolve/builtins.js';
import {
  BASE_TASKS, BASELINES, CURVATURE_FIELDS, DATA_GENERATORS, EDITS, INR_DATA, INR_EDITING_FIELDS, KIND_FIELD,
  LEARNED_OPTIMIZATION_FIELDS, META_TRAINERS, OPTIMIZERS, type TaskFieldSpec,
} from '../resolve/task-schema.js';

/** The keywords of the lexer (syntax/tokens.ts), for completion. */
export const KEYWORDS = ['use', 'target', 'net', 'block', 'task', 'preset', 'let', 'repeat', 'return', 'true', 'false'] as const;

export const TASK_CALLS: readonly Builtin[] = [...DATA_GENERATORS, ...OPTIMIZERS, ...BASE_TASKS, ...META_TRAINERS, ...BASELINES, ...INR_DATA, ...EDITS];

/** Every task field of every task kind, once by name (the first kind's documentation wins). */
export const TASK_FIELDS: readonly TaskFieldSpec[] = [KIND_FIELD, ...CURVATURE_FIELDS, ...LEARNED_OPTIMIZATION_FIELDS, ...INR_EDITING_FIELDS]
  .filter((f, i, all) => all.findIndex((g) => g.name === f.name) === i);

/** The builtins called `name`, those that fit `inTask` first (`relu` is an op and an activation). */
export function builtinsNamed(name: string, inTask: boolean): Builtin[] {
  const language = BUILTINS.filter((b) => b.name === name);
  const task = TASK_CALLS.filter((b) => b.name === name);
  return inTask ? [...task, ...language] : [...language, ...task];
}

/** `eqlinear(x: tensor, out: int | space, group?: coarse | fine | np, ...)`. */
export function builtinSignature(b: Builtin): string {
  const params = b.params.map((p) => `${p.rest ? '...' : ''}${p.name}${p.optional ? '?' : ''}: ${argKindText(p.type)}`);
  return `${b.name}(${params.join(', ')})`;
}

function argKindText(kind: ArgKind): string {
  if (kind.kind === 'enum') return kind.values.join(' | ');
  if (kind.kind === 'enum_list') return `[${kind.values.join(' | ')}]`;
  if (kind.kind === 'int_or_space') return 'int | space';
  return kind.kind.replace('_', ' ');
}
