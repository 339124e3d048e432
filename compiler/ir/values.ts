// What a name or expression evaluates to while a net is lowered: a tensor (an IR value) or a
// compile-time value (number, flag, target, space type).
import type { ValueId } from './ops.js';
import type { TensorType } from './types.js';

export type Value =
  | { kind: 'tensor'; id: ValueId }
  | { kind: 'number'; value: number; isInteger: boolean }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'target'; name: string }
  /** A space type such as `neurons(T)[8]` (an argument of eqlinear or dense). */
  | { kind: 'space'; type: TensorType };

/** A scalar argument given to a net from outside (a task's `models:` entry, the CLI). */
export type ScalarArg = number | boolean | string;

export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'tensor': return 'a tensor';
    case 'number': return v.isInteger ? 'an int' : 'a float';
    case 'bool': return 'a bool';
    case 'string': return 'a string';
    case 'target': return `the target ${v.name}`;
    case 'space': return 'a space type';
  }
}
