// What a validation sees: the module being checked, where to report, and for expressions inside a
// net or block, the scope (parameters, type variables and `let` bindings defined so far).
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { FunctionDecl } from '../syntax/ast.js';
import type { ResolvedModule } from './symbols.js';

/** The coarse kind of a value, enough to catch an int where a target is expected and the like. */
export type ValueKind =
  | 'tensor' | 'int' | 'float' | 'bool' | 'string' | 'target' | 'space'
  /** A name free in a space type (T, b, c): bound later by unification, so it may be anything. */
  | 'typevar'
  | 'list' | 'record' | 'unknown';

export const SCALAR_TYPES: ReadonlyMap<string, ValueKind> = new Map<string, ValueKind>([
  ['int', 'int'], ['float', 'float'], ['bool', 'bool'], ['string', 'string'], ['target', 'target'],
]);

export interface Scope {
  fn: FunctionDecl;
  /** Names bound so far and their kinds. */
  bindings: Map<string, ValueKind>;
  /** Every name some `let` of the function binds (to tell "used before its definition" apart). */
  letNames: Set<string>;
}

/**
 * Where an expression sits. `value`: names are looked up; `type`: a parameter or return type, names
 * may be type variables; `target`: the constructor call of a target declaration; `activation`: an
 * activation call (`sine(omega0: 30)`); `symbol`: a bare word checked by its argument kind
 * (`over: set`, `activation: relu`).
 */
export type Role = 'value' | 'type' | 'target' | 'activation' | 'symbol';

export interface ExprSite {
  role: Role;
  scope: Scope | undefined;
}

export interface ValidationContext {
  module: ResolvedModule;
  report(d: Diagnostic): void;
}
