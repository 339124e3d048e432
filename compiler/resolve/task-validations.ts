// The rules for `task` declarations (registered in validations.ts), driven by task-schema.ts: the
// task's `kind` picks the schema its fields are checked against.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { CallExpr, Expr, FunctionDecl, RecordField, TaskDecl } from '../syntax/ast.js';
import { bindArguments, fromBuiltin, functionCallee, paramArgKind, signature, type Callee } from './callee.js';
import type { ExprSite, ValidationContext } from './context.js';
import { kindProblems } from './kinds.js';
import { didYouMean } from './suggest.js';
import { KIND_FIELD, taskField, taskKind, type TaskValueSpec } from './task-schema.js';

const MODULE_SITE: ExprSite = { role: 'value', scope: undefined };

function unknownTaskFields(task: TaskDecl, ctx: ValidationContext): void {
  const kind = taskKind(task.fields);
  if (kind === undefined) return; // the bad `kind` value is reported by taskFieldValues
  const names = [KIND_FIELD.name, ...kind.fields.map((f) => f.name)];
  const all = [...task.fields, ...task.presets.flatMap((p) => p.fields)];
  for (const f of all) {
    if (f.key.name === '' || taskField(kind, f.key.name)) continue;
    ctx.report(error('task/unknown-field', `unknown task field \`${f.key.name}\``, f.key.span,
      didYouMean(f.key.name, names) ?? `fields of a ${kind.name} task: ${names.join(', ')}`));
  }
}

function duplicateTaskFields(task: TaskDecl, ctx: ValidationContext): void {
  reportDuplicates(task.fields, 'task field', ctx);
  for (const p of task.presets) reportDuplicates(p.fields, `field of preset \`${p.name.name}\``, ctx);
  const presets = new Set<string>();
  for (const p of task.presets) {
    if (presets.has(p.name.name)) ctx.report(error('task/duplicate-preset', `preset \`${p.name.name}\` is declared twice`, p.name.span));
    presets.add(p.name.name);
  }
}

function reportDuplicates(fields: RecordField[], what: string, ctx: ValidationContext): void {
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.key.name)) ctx.report(error('task/duplicate-field', `${what} \`${f.key.name}\` is given twice`, f.key.span));
    seen.add(f.key.name);
  }
}

function missingTaskFields(task: TaskDecl, ctx: ValidationContext): void {
  const kind = taskKind(task.fields);
  if (kind === undefined) return;
  const present = new Set(task.fields.map((f) => f.key.name));
  const missing = kind.fields.filter((f) => f.required && !present.has(f.name)).map((f) => `\`${f.name}\``);
  if (missing.length > 0) {
    ctx.report(error('task/missing-field', `task \`${task.name.name}\` is missing field${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`, task.name.span,
      kind.name === 'curvature' && !present.has(KIND_FIELD.name) ? `a task without \`kind\` is a curvature task; kinds: ${KIND_FIELD.value.kind === 'enum' ? KIND_FIELD.value.values.join(', ') : ''}` : undefined));
  }
}

function taskFieldValues(task: TaskDecl, ctx: ValidationContext): void {
  const kind = taskKind(task.fields);
  for (const f of task.fields) {
    const spec = kind === undefined ? (f.key.name === KIND_FIELD.name ? KIND_FIELD : undefined) : taskField(kind, f.key.name);
    if (spec) for (const d of valueProblems(spec.value, f.value, f.key.name, ctx)) ctx.report(d);
  }
}

/** A preset value replaces the task's, except a record, which merges into a call or a record. */
function presetFieldValues(task: TaskDecl, ctx: ValidationContext): void {
  const kind = taskKind(task.fields);
  if (kind === undefined) return;
  for (const p of task.presets) {
    for (const f of p.fields) {
      if (f.key.name === KIND_FIELD.name) {
        ctx.report(error('task/preset-kind', `a preset cannot change the task's \`kind\``, f.key.span, `set \`kind\` once, in the task \`${task.name.name}\` itself`));
        continue;
      }
      const spec = taskField(kind, f.key.name);
      if (!spec) continue;
      const problems = f.value.kind === 'record' && spec.value.kind === 'call'
        ? overrideProblems(task, f.key.name, f.value.fields, spec.value, ctx)
        : valueProblems(spec.value, f.value, f.key.name, ctx);
      for (const d of problems) ctx.report(d);
    }
  }
}

function overrideProblems(task: TaskDecl, key: string, fields: RecordField[], spec: Extract<TaskValueSpec, { kind: 'call' }>, ctx: ValidationContext): Diagnostic[] {
  const base = task.fields.find((f) => f.key.name === key)?.value;
  const baseName = base?.kind === 'call' ? base.callee.name : base?.kind === 'name' ? base.name : undefined;
  const builtin = spec.callees.find((c) => c.name === baseName);
  if (builtin === undefined) return [];
  const callee = fromBuiltin(builtin, spec.noun, 'unknown')!;
  const out: Diagnostic[] = [];
  for (const f of fields) {
    const param = callee.params.find((p) => p.name === f.key.name);
    if (param === undefined) {
      out.push(error('task/unknown-field', `\`${f.key.name}\` is not an argument of \`${callee.name}\` (the task's \`${key}\`)`, f.key.span,
        didYouMean(f.key.name, callee.params.map((p) => p.name)) ?? `signature: ${signature(callee)}`));
    } else out.push(...kindProblems(param.kind, f.value, param.name, `\`${callee.name}\``, MODULE_SITE, ctx));
  }
  return out;
}

function valueProblems(spec: TaskValueSpec, value: Expr, key: string, ctx: ValidationContext): Diagnostic[] {
  switch (spec.kind) {
    case 'target': {
      if (value.kind === 'name' && ctx.module.visible.get(value.name)?.kind === 'target') return [];
      const targets = [...ctx.module.visible.values()].filter((s) => s.kind === 'target').map((s) => s.name);
      const name = value.kind === 'name' ? value.name : undefined;
      return [error('task/bad-field', name ? `unknown target \`${name}\`` : '`target` must name a declared target', value.span,
        (name && didYouMean(name, targets)) || (targets.length > 0 ? `targets: ${targets.join(', ')}` : 'declare one: `target T = mlp(...)`'))];
    }
    case 'call': {
      const name = value.kind === 'call' ? value.callee.name : value.kind === 'name' ? value.name : undefined;
      const builtin = spec.callees.find((c) => c.name === name);
      const names = spec.callees.map((c) => c.name);
      if (builtin === undefined) {
        return [error('task/bad-field', name ? `unknown ${spec.noun} \`${name}\`` : `\`${key}\` must be a call such as \`${names[0]}(...)\``,
          value.kind === 'call' ? value.callee.span : value.span, (name && didYouMean(name, names)) || `${spec.noun}s: ${names.join(', ')}`)];
      }
      return value.kind === 'call' ? callProblems(value, fromBuiltin(builtin, spec.noun, 'unknown')!, ctx) : [];
    }
    case 'enum':
      return kindProblems({ kind: 'enum', values: spec.values }, value, key, 'the task', MODULE_SITE, ctx);
    case 'record': {
      if (value.kind !== 'record') return [error('task/bad-field', `\`${key}\` must be a record \`{ key: value }\``, value.span)];
      return value.fields.flatMap((f) => {
        const param = spec.fields.find((p) => p.name === f.key.name);
        if (param === undefined) {
          return [error('task/unknown-field', `\`${key}\` has no field \`${f.key.name}\``, f.key.span,
            didYouMean(f.key.name, spec.fields.map((p) => p.name)) ?? `fields: ${spec.fields.map((p) => p.name).join(', ')}`)];
        }
        return kindProblems(param.type, f.value, `${key}.${param.name}`, 'the task', MODULE_SITE, ctx);
      });
    }
    case 'int':
      return kindProblems({ kind: 'int' }, value, key, 'the task', MODULE_SITE, ctx);
    case 'int_list':
      return kindProblems({ kind: 'int_list' }, value, key, 'the task', MODULE_SITE, ctx);
    case 'float_list':
      return kindProblems({ kind: 'float_list' }, value, key, 'the task', MODULE_SITE, ctx);
    case 'models':
      if (value.kind !== 'list') return [error('task/bad-field', '`models` must be a list of net calls, e.g. `[gradmetanet(width: 32)]`', value.span)];
      return value.items.flatMap((item) => modelProblems(item, ctx));
    case 'call_list':
      if (value.kind !== 'list') return [error('task/bad-field', `\`${key}\` must be a list of calls such as \`[${spec.callees[0]!.name}(...)]\``, value.span)];
      return value.items.flatMap((item) => valueProblems({ kind: 'call', noun: spec.noun, callees: spec.callees }, item, key, ctx));
    case 'update_nets':
      if (value.kind !== 'list') return [error('task/bad-field', `\`${key}\` must be a list such as \`[sgdm, ds_optimizer()]\``, value.span)];
      return value.items.flatMap((item) => updateNetProblems(item, ctx));
  }
}

/** The update rule alone: the learned SGD with momentum (β = 0), a baseline with no net. */
export const SGDM = 'sgdm';
const UPDATE_NET_SIGNATURE = 'an update net reads `weights(T)[19]` (the standard features), optionally `grads(T, b)[14]`, and returns `weights(T)[1]`';

function updateNetProblems(item: Expr, ctx: ValidationContext): Diagnostic[] {
  const name = item.kind === 'call' ? item.callee.name : item.kind === 'name' ? item.name : undefined;
  if (name === SGDM && ctx.module.visible.get(name) === undefined) {
    return item.kind === 'call' && item.args.length > 0 ? [error('task/bad-model', '`sgdm` takes no arguments', item.args[0]!.span, 'its α, μ are set by the task\'s `rule`')] : [];
  }
  const problems = modelProblems(item, ctx);
  const sym = name === undefined ? undefined : ctx.module.visible.get(name);
  if (problems.length > 0 || sym?.kind !== 'net') return problems;
  const mismatch = updateNetMismatch(sym.decl);
  return mismatch === undefined ? [] : [error('task/bad-model', `\`${name}\` cannot be an update net: ${mismatch}`, item.kind === 'call' ? item.callee.span : item.span, UPDATE_NET_SIGNATURE)];
}

/** What keeps a net from being F_ϕ, in words, or `undefined`. */
function updateNetMismatch(decl: FunctionDecl): string | undefined {
  const tensors = decl.params.filter((p) => paramArgKind(p.type).kind === 'tensor').map((p) => ({ name: p.name.name, space: spaceOf(p.type) }));
  const features = tensors.filter((t) => t.space?.space === 'weights' && t.space.channels === 19);
  const grads = tensors.filter((t) => t.space?.space === 'grads' && t.space.channels === 14);
  const other = tensors.filter((t) => !features.includes(t) && !grads.includes(t));
  if (features.length !== 1) return `it has ${features.length} \`weights(T)[19]\` inputs`;
  if (grads.length > 1 || other.length > 0) return `its input${other.length === 1 ? '' : 's'} ${[...grads.slice(1), ...other].map((t) => `\`${t.name}\``).join(', ')} cannot be fed`;
  const out = spaceOf(decl.returnType);
  if (out?.space !== 'weights' || out.channels !== 1) return 'it does not return `weights(T)[1]`';
  return undefined;
}

/** `weights(T)[19]` → { space: 'weights', channels: 19 }; anything else → undefined. */
function spaceOf(type: Expr): { space: string; channels: number } | undefined {
  if (type.kind !== 'index' || type.base.kind !== 'call' || type.index.kind !== 'number') return undefined;
  return { space: type.base.callee.name, channels: type.index.value };
}

function modelProblems(item: Expr, ctx: ValidationContext): Diagnostic[] {
  const name = item.kind === 'call' ? item.callee.name : item.kind === 'name' ? item.name : undefined;
  const span = item.kind === 'call' ? item.callee.span : item.span;
  if (name === undefined) return [error('task/bad-model', 'a model must be a net call such as `gradmetanet(width: 32)`', item.span)];
  const sym = ctx.module.visible.get(name);
  if (sym?.kind === 'block') return [error('task/bad-model', `\`${name}\` is a block; a task trains nets`, span, 'declare it with `net` to train it')];
  if (sym?.kind !== 'net') {
    const nets = [...ctx.module.visible.values()].filter((s) => s.kind === 'net').map((s) => s.name);
    return [error('task/bad-model', `unknown net \`${name}\``, span, didYouMean(name, nets) ?? 'a model must be a net declared here or in a module this file uses')];
  }
  if (item.kind !== 'call') return [];
  const full = functionCallee(sym.decl);
  // Tensor inputs come from the task's data; a model call only sets the net's settings.
  const callee: Callee = { ...full, params: full.params.filter((p) => p.kind.kind !== 'tensor') };
  const positional = item.args.filter((a) => a.name === undefined);
  return [
    ...positional.map((a) => error('task/bad-model', `arguments of model \`${name}\` must be named`, a.span, `signature: ${signature(callee)}`)),
    ...callProblems({ ...item, args: item.args.filter((a) => a.name !== undefined) }, callee, ctx),
  ];
}

/** Unknown, repeated and extra arguments and argument kinds of a call against a table callee. */
function callProblems(call: CallExpr, callee: Callee, ctx: ValidationContext): Diagnostic[] {
  const b = bindArguments(call.args, callee.params);
  const names = callee.params.map((p) => p.name);
  return [
    ...b.unknownNamed.map((a) => error('resolve/unknown-argument', `\`${callee.name}\` has no parameter \`${a.name!.name}\``, a.name!.span,
      didYouMean(a.name!.name, names) ?? `signature: ${signature(callee)}`)),
    ...b.repeated.map((a) => error('resolve/duplicate-argument', `argument \`${a.name!.name}\` of \`${callee.name}\` is given twice`, a.span)),
    ...b.extra.map((a) => error('resolve/arity', `\`${callee.name}\` takes ${callee.params.length} arguments, but more were given`, a.span, `signature: ${signature(callee)}`)),
    ...b.matched.flatMap(({ arg, param }) => kindProblems(param.kind, arg.value, param.name, `\`${callee.name}\``, MODULE_SITE, ctx)),
  ];
}

export const TASK_VALIDATIONS: ((t: TaskDecl, ctx: ValidationContext) => void)[] = [
  unknownTaskFields, duplicateTaskFields, missingTaskFields, taskFieldValues, presetFieldValues,
];
