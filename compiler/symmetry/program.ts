// The symmetry stage over a whole resolved program (what `gmn check` and `gmn explain` run).
//
// Every net is lowered and checked once per instantiation:
//   - a net a task trains is instantiated with that task's target and set size (`data: ...(points: n)`,
//     the number of gradients in each input set) and the scalar arguments its `models:` entry gives —
//     as the task is written, or with one of its presets applied (`gmn verify --preset quick`: the same
//     nets on a small instantiation, where a float64 check is cheap and exactly as convincing);
//   - a net of a file given on the command line that no task trains, against each target that file
//     declares, with b = PROBE_SET_SIZE examples (a net on Γ sees each example's items: a CNN's
//     positions, a transformer's tokens; compiler/spaces/set-size.ts);
//   - every other net (e.g. in std/) against the probe target PROBE (`mlp(widths: [2, 3, 4, 2])`)
//     with b = PROBE_SET_SIZE: the typing rules do not depend on sizes, only on which segments are
//     permuted, and the probe has two independent hidden groups and fixed inputs and outputs.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { lowerNet, type Lowered, type ScalarArg } from '../ir/lower.js';
import { lookup, type ResolvedModule, type ResolvedProgram } from '../resolve/resolve.js';
import { elaborateTarget, itemsPerExample } from '../spaces/elaborate.js';
import { mixedSetsError, setSizeOf } from '../spaces/set-size.js';
import { mlpLayout, type TargetLayout } from '../spaces/target.js';
import type { CallExpr, Expr, FunctionDecl, Preset, Span, TaskDecl, TaskField } from '../syntax/ast.js';
import { checkGraph, type Certificate } from './check.js';

export const PROBE: TargetLayout = mlpLayout('Probe', { kind: 'mlp', widths: [2, 3, 4, 2], activation: { kind: 'relu' }, init: 'kaiming' });
export const PROBE_SET_SIZE = 4;

export interface NetReport {
  net: string;
  /** The file that declares the net. */
  file: string;
  /** Where the instantiation came from: `task curvature`, `target Siren` or `probe`. */
  instance: string;
  lowered: Lowered | null;
  certificate: Certificate | null;
  diagnostics: Diagnostic[];
}

/** The `gmn check` stage: every diagnostic of every net instantiation. */
export function checkSymmetry(program: ResolvedProgram): Diagnostic[] {
  return certifyProgram(program).flatMap((r) => r.diagnostics);
}

export interface CertifyOptions {
  /** Instantiate each task's nets as this preset trains them (a task without it: as written). */
  preset?: string;
  /** Instantiate the nets no task trains on these of their file's targets only (default: every one). */
  targets?: readonly string[];
}

/** Lowers and checks every net: task instantiations first, then each remaining net once on the probe. */
export function certifyProgram(program: ResolvedProgram, options: CertifyOptions = {}): NetReport[] {
  const reports: NetReport[] = [];
  const covered = new Set<FunctionDecl>();
  const diagnosticsSeen = new Set<string>();
  for (const root of program.roots) {
    for (const decl of root.program.declarations) {
      if (decl.kind !== 'task') continue;
      const preset = decl.presets.find((p) => p.name.name === options.preset);
      for (const inst of taskInstances(root, decl, preset, reports)) {
        covered.add(inst.decl);
        const instance = preset === undefined ? `task ${decl.name.name}` : `task ${decl.name.name}, preset ${preset.name.name}`;
        reports.push(run(program, root, inst.decl, inst.args, inst.target, inst.setSize, instance));
      }
    }
  }
  for (const root of program.roots) {
    const targets = root.program.declarations.flatMap((d) => (d.kind === 'target' && (options.targets?.includes(d.name.name) ?? true) ? [d] : []));
    for (const decl of root.program.declarations) {
      if (decl.kind !== 'net' || covered.has(decl) || targets.length === 0) continue;
      covered.add(decl);
      for (const target of targets) {
        const layout = elaborateTarget(target);
        if (!layout.ok) continue;
        const setSize = instanceSetSize(decl, PROBE_SET_SIZE, layout.value, decl.name.span, reports);
        if (setSize !== null) reports.push(run(program, root, decl, new Map(), layout.value, setSize, `target ${target.name.name}`));
      }
    }
  }
  for (const module of program.modules.values()) {
    for (const decl of module.program.declarations) {
      if (decl.kind !== 'net' || covered.has(decl)) continue;
      reports.push(run(program, module, decl, new Map(), PROBE, PROBE_SET_SIZE, 'probe'));
    }
  }
  // A net used by several tasks reports the same problem once.
  for (const r of reports) {
    r.diagnostics = r.diagnostics.filter((d) => {
      const key = `${d.span.file}:${d.span.start.offset}:${d.message}`;
      return !diagnosticsSeen.has(key) && diagnosticsSeen.add(key) !== undefined;
    });
  }
  return reports;
}

function run(program: ResolvedProgram, module: ResolvedModule, decl: FunctionDecl, args: ReadonlyMap<string, ScalarArg>,
  target: TargetLayout, setSize: number, instance: string): NetReport {
  const base = { net: decl.name.name, file: decl.span.file, instance };
  const lowered = lowerNet({ program, module, net: decl.name.name, args, target, setSize });
  if (!lowered.ok) return { ...base, lowered: null, certificate: null, diagnostics: lowered.diagnostics };
  const checked = checkGraph(lowered.value, decl.name.span);
  return { ...base, lowered: lowered.value, certificate: checked.certificate, diagnostics: checked.diagnostics };
}

/**
 * The set size of a net reading `examples` examples of the target (compiler/spaces/set-size.ts), or
 * null with a diagnostic at `at` when the net reads both Γ and Θ_b of a target with several items per
 * example (`gmn run` refuses such a net for the same reason).
 */
function instanceSetSize(decl: FunctionDecl, examples: number, target: TargetLayout, at: Span, reports: NetReport[]): number | null {
  const size = setSizeOf(decl, examples, target.spec);
  if (size.kind === 'size') return size.size;
  reports.push({
    net: decl.name.name, file: at.file, instance: `target ${target.name}`, lowered: null, certificate: null,
    diagnostics: [mixedSetsError('ir/mixed-sets', decl.name.name, size, target.name, at)],
  });
  return null;
}

interface Instance {
  decl: FunctionDecl;
  args: Map<string, ScalarArg>;
  target: TargetLayout;
  setSize: number;
}

/** The nets a task (with a preset's fields first) trains, with its target, set size and each model's scalar arguments. */
function taskInstances(module: ResolvedModule, task: TaskDecl, preset: Preset | undefined, reports: NetReport[]): Instance[] {
  const own = (fields: readonly TaskField[], key: string): Expr | undefined => fields.find((f) => f.key.name === key)?.value;
  const field = (key: string): Expr | undefined => own(preset?.fields ?? [], key) ?? own(task.fields, key);
  const optimizers = field('optimizers');
  if (optimizers?.kind === 'list') return optimizerInstances(module, optimizers.items, [own(preset?.fields ?? [], 'base_tasks'), own(task.fields, 'base_tasks')]);
  const targetExpr = field('target');
  const models = field('models');
  if (targetExpr?.kind !== 'name' || models?.kind !== 'list') return [];
  const sym = lookup(module, targetExpr.name);
  if (sym?.kind !== 'target') return [];
  const layout = elaborateTarget(sym.decl);
  if (!layout.ok) {
    reports.push({ net: '', file: task.span.file, instance: `task ${task.name.name}`, lowered: null, certificate: null, diagnostics: layout.diagnostics });
    return [];
  }
  // A preset's `data: { points: 16 }` overrides one argument of the task's `data: random_targets(...)`;
  // a net on Γ sees each point's items (a CNN's positions, a transformer's tokens), one on Θ_b the points.
  const points = pointsOf(own(preset?.fields ?? [], 'data')) ?? pointsOf(own(task.fields, 'data')) ?? PROBE_SET_SIZE;
  const out: Instance[] = [];
  for (const m of models.items) {
    if (m.kind !== 'call') continue;
    const net = lookup(module, m.callee.name);
    if (net?.kind !== 'net') continue;
    const setSize = instanceSetSize(net.decl, points, layout.value, m.callee.span, reports);
    if (setSize !== null) out.push({ decl: net.decl, args: scalarArgs(m), target: layout.value, setSize });
  }
  return out;
}

/**
 * A learned-optimization task's update nets (`optimizers:`) on the targets of its image and
 * language-model base tasks, with b = the gradient set GradMetaNet reads (an image task's batch, an
 * LM's batch × sequence tokens): the preset's base tasks, or, when the preset has none (the
 * regression's layout is the runtime's), the task's first MLP and first transformer target with
 * b = PROBE_SET_SIZE (the proof does not depend on b or the widths; a preset such as `quick` stays
 * cheap to verify). A base
 * task's `optimizers: [...]` limits the nets certified on its target.
 */
function optimizerInstances(module: ResolvedModule, items: readonly Expr[], baseTaskLists: (Expr | undefined)[]): Instance[] {
  const images = baseTaskLists.map((list, k) => (list?.kind === 'list' ? list.items : []).flatMap((b) => {
    if (b.kind !== 'call' || (b.callee.name !== 'image_mlp' && b.callee.name !== 'language_model')) return [];
    const t = b.args.find((a) => a.name?.name === 'target')?.value;
    const sym = t?.kind === 'name' ? lookup(module, t.name) : undefined;
    const layout = sym?.kind === 'target' ? elaborateTarget(sym.decl) : undefined;
    const batchArg = b.args.find((a) => a.name?.name === 'batch')?.value;
    const batch = batchArg?.kind === 'number' && batchArg.isInteger && batchArg.value >= 1 ? batchArg.value : b.callee.name === 'image_mlp' ? 128 : 8;
    const items = layout?.ok === true ? itemsPerExample(layout.value.spec) : 1;
    const setSize = k > 0 && baseTaskLists[0] !== undefined ? PROBE_SET_SIZE : batch * items;
    // A base task's `optimizers: [...]` names the nets that run on it; the others are not certified there.
    const only = b.args.find((a) => a.name?.name === 'optimizers')?.value;
    const nets = only === undefined ? undefined : new Set((only.kind === 'list' ? only.items : [only]).flatMap((n) => (n.kind === 'name' ? [n.name] : [])));
    return layout?.ok === true ? [{ target: layout.value, setSize, nets }] : [];
  }))
    // Without the preset's own base tasks, the task's first one of each target kind (MLP, transformer)
    // stands for the others of its kind (like b, the widths do not enter the proof).
    .map((l, k) => (k > 0 ? l.filter((x, i) => l.findIndex((y) => y.target.spec.kind === x.target.spec.kind) === i) : l)).find((l) => l.length > 0) ?? [];
  const out: Instance[] = [];
  for (const m of items) {
    if (m.kind !== 'call') continue;
    const net = lookup(module, m.callee.name);
    if (net?.kind !== 'net') continue;
    for (const { target, setSize, nets } of images) if (nets === undefined || nets.has(m.callee.name)) out.push({ decl: net.decl, args: scalarArgs(m), target, setSize });
  }
  return out;
}

/** `data: random_targets(points: 128, ...)` or a preset's `data: { points: 16 }`: the size of each input set. */
function pointsOf(data: Expr | undefined): number | null {
  const points = data?.kind === 'call' ? data.args.find((a) => a.name?.name === 'points')?.value
    : data?.kind === 'record' ? data.fields.find((f) => f.key.name === 'points')?.value
    : undefined;
  return points?.kind === 'number' && points.isInteger && points.value >= 1 ? points.value : null;
}

function scalarArgs(call: CallExpr): Map<string, ScalarArg> {
  const out = new Map<string, ScalarArg>();
  for (const a of call.args) {
    if (a.name === undefined) continue;
    const v = a.value;
    if (v.kind === 'number' || v.kind === 'bool' || v.kind === 'string') out.set(a.name.name, v.value);
    else if (v.kind === 'unary' && v.operand.kind === 'number') out.set(a.name.name, -v.operand.value);
  }
  return out;
}
