// The abstract syntax tree of a .gmn file. Every node carries the source span it came from, so
// every later stage (resolve, IR lowering, the symmetry checker) can point at the user's text.

export interface Position {
  /** 0-based character offset. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

export interface Span {
  file: string;
  start: Position;
  /** Exclusive end. */
  end: Position;
}

export interface Node {
  span: Span;
}

export interface Identifier extends Node {
  name: string;
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

export type Expr =
  | NumberLiteral
  | StringLiteral
  | BoolLiteral
  | NameRef
  | CallExpr
  | IndexExpr
  | ListExpr
  | RecordExpr
  | BinaryExpr
  | UnaryExpr;

export interface NumberLiteral extends Node {
  kind: 'number';
  value: number;
  /** True when written without a fractional part or exponent (`32`, not `32.0` or `1e3`). */
  isInteger: boolean;
}

export interface StringLiteral extends Node {
  kind: 'string';
  value: string;
}

export interface BoolLiteral extends Node {
  kind: 'bool';
  value: boolean;
}

export interface NameRef extends Node {
  kind: 'name';
  name: string;
}

export interface Argument extends Node {
  /** Present for `name: value` arguments. */
  name?: Identifier;
  value: Expr;
}

/** `callee(args)`: an op, a block, a net, a target constructor, a space (`grads(T, b)`). */
export interface CallExpr extends Node {
  kind: 'call';
  callee: Identifier;
  args: Argument[];
}

/** `base[index]`: channels of a space, e.g. `grads(T, b)[2]`, `vector[out]`. */
export interface IndexExpr extends Node {
  kind: 'index';
  base: Expr;
  index: Expr;
}

export interface ListExpr extends Node {
  kind: 'list';
  items: Expr[];
}

export interface RecordField extends Node {
  key: Identifier;
  value: Expr;
}

/** `{ key: value, ... }`: used in task fields and preset overrides. */
export interface RecordExpr extends Node {
  kind: 'record';
  fields: RecordField[];
}

export type BinaryOperator = '+' | '-' | '*' | '/';

export interface BinaryExpr extends Node {
  kind: 'binary';
  op: BinaryOperator;
  left: Expr;
  right: Expr;
}

export interface UnaryExpr extends Node {
  kind: 'unary';
  op: '-';
  operand: Expr;
}

// ---------------------------------------------------------------------------------------------
// Statements (bodies of nets and blocks)
// ---------------------------------------------------------------------------------------------

export type Statement = LetStatement | RepeatStatement | ReturnStatement;

/** `let x = expr`. Re-binding a name is allowed (it shadows), which is how `repeat` stacks layers. */
export interface LetStatement extends Node {
  kind: 'let';
  name: Identifier;
  value: Expr;
}

/** `repeat n { ... }`: the body is unrolled n times in the enclosing scope. */
export interface RepeatStatement extends Node {
  kind: 'repeat';
  count: Expr;
  body: Statement[];
}

export interface ReturnStatement extends Node {
  kind: 'return';
  value: Expr;
}

// ---------------------------------------------------------------------------------------------
// Declarations
// ---------------------------------------------------------------------------------------------

export type Declaration = UseDecl | TargetDecl | FunctionDecl | TaskDecl;

/** `use std/gradmetanet` or `use ./local/file`. */
export interface UseDecl extends Node {
  kind: 'use';
  /** The path as written, e.g. `std/gradmetanet`. */
  path: string;
}

/** `target Siren = mlp(widths: [1, 32, 32, 1], activation: sine(omega0: 30))`. */
export interface TargetDecl extends Node {
  kind: 'target';
  name: Identifier;
  value: Expr;
}

/**
 * A parameter of a net or block. Its type is either a scalar kind (`int`, `float`, `bool`,
 * `string`, `target`) or a space type expression such as `grads(T, b)[2]`; the latter makes it a
 * tensor input. Names free in a space type (T, b, c) are type variables bound by unification.
 */
export interface Parameter extends Node {
  name: Identifier;
  type: Expr;
  default?: Expr;
}

/** `@breaks(set, neurons)`: a net declared not to respect some symmetries (asymmetric baselines). */
export interface Annotation extends Node {
  name: Identifier;
  args: Argument[];
}

/** `net` (a model a task can train, certified on its own) or `block` (a reusable, inlined function). */
export interface FunctionDecl extends Node {
  kind: 'net' | 'block';
  annotations: Annotation[];
  name: Identifier;
  params: Parameter[];
  returnType: Expr;
  body: Statement[];
}

export interface TaskField extends Node {
  key: Identifier;
  value: Expr;
}

/** `preset quick { epochs: 3, data: { models: 100 } }`: overrides merged into the task's fields. */
export interface Preset extends Node {
  name: Identifier;
  fields: TaskField[];
}

export interface TaskDecl extends Node {
  kind: 'task';
  name: Identifier;
  fields: TaskField[];
  presets: Preset[];
}

export interface Program extends Node {
  declarations: Declaration[];
}
