// Hover: what the name or expression under the cursor is (Markdown). A net shows its certificate
// line and parameter count for each instantiation, an expression its symmetry type and shape, a
// builtin its signature and documentation, a task field what it means.
import { elaborateTarget } from '../spaces/elaborate.js';
import { groupName } from '../symmetry/group.js';
import type { Expr, FunctionDecl, Node, Span } from '../syntax/ast.js';
import type { Analysis } from './analysis.js';
import { nodesAt } from './ast-walk.js';
import { nameAt, type Referent } from './scope.js';
import { valueTypeLines } from './value-types.js';
import { builtinSignature } from './vocabulary.js';

export interface Hover {
  markdown: string;
  span: Span;
}

const EXPRESSION_KINDS = new Set(['number', 'string', 'bool', 'name', 'call', 'index', 'list', 'record', 'binary', 'unary']);

export function hoverAt(analysis: Analysis, offset: number): Hover | undefined {
  const module = analysis.module;
  if (module === undefined) return undefined;
  const source = module.source;
  const name = nameAt(module, offset);
  const sections: string[] = [];
  if (name?.referent !== undefined) sections.push(...describeReferent(analysis, name.referent, source));
  // The expression's value types: the innermost expression under the cursor (a callee: its call;
  // a `let` name or a name bound by a `let`: the bound value).
  const path = nodesAt(module.program, offset);
  const expr = path.filter((n): n is Expr => 'kind' in n && EXPRESSION_KINDS.has(n.kind as string)).at(-1);
  const referent = name?.referent;
  const valueSpan = referent?.kind === 'let' ? referent.binding.value.span : expr?.span;
  if (valueSpan !== undefined) {
    const lines = valueTypeLines(analysis.reports, valueSpan);
    if (lines.length > 0) sections.push(lines.map((l) => `- ${l}`).join('\n'));
  }
  if (sections.length === 0) return undefined;
  return { markdown: sections.join('\n\n'), span: name?.span ?? expr?.span ?? path.at(-1)!.span };
}

function describeReferent(analysis: Analysis, referent: Referent, source: string): string[] {
  switch (referent.kind) {
    case 'decl': {
      const { symbol } = referent;
      const text = moduleSource(analysis, symbol.decl.span.file) ?? source;
      switch (symbol.kind) {
        case 'net':
        case 'block':
          return [code(header(symbol.decl, text)), ...certificates(analysis, symbol.decl)];
        case 'target': {
          const layout = elaborateTarget(symbol.decl);
          const group = layout.ok ? `\n\nsymmetry group of its neurons: ${groupName(layout.value)}, ${layout.value.paramCount} parameters` : '';
          return [code(slice(text, symbol.decl)) + group];
        }
        case 'task': {
          const presets = symbol.decl.presets.map((p) => `\`${p.name.name}\``).join(', ');
          return [code(`task ${symbol.name}`) + (presets === '' ? '' : `\n\npresets: ${presets}`)];
        }
      }
    }
    case 'param': {
      const text = moduleSource(analysis, referent.param.span.file) ?? source;
      return [code(`${slice(text, referent.param)}`) + `\n\nparameter of ${referent.decl.kind} \`${referent.decl.name.name}\``];
    }
    case 'let':
      return [code(`let ${referent.binding.name.name}`)];
    case 'builtin':
      return referent.builtins.map((b) => `${code(builtinSignature(b))}\n\n${b.doc}`);
    case 'argument':
      return referent.builtins.map((b) => `${code(builtinSignature(b))}\n\nargument \`${referent.name}\` of \`${b.name}\`: ${b.doc}`);
    case 'field':
      return [`${code(`${referent.spec.name}:`)}\n\n${referent.spec.doc}${referent.spec.required ? '' : ' (optional)'}`];
    case 'module':
      return [code(`use ${referent.use.path}`) + (referent.path === undefined ? '' : `\n\n${referent.path}`)];
  }
}

/** Each instantiation's certificate (or that it was rejected) and parameter count. */
function certificates(analysis: Analysis, decl: FunctionDecl): string[] {
  if (decl.kind !== 'net') return [];
  return analysis.reports.filter((r) => r.net === decl.name.name && r.file === decl.span.file).map((r) => (r.certificate === null
    ? `**${r.instance}**: not proved (see the diagnostics)`
    : `**${r.instance}**: ${r.certificate.statement}; ${r.certificate.paramCount} parameters`));
}

/** `@breaks(set) net name(params) -> type`: the declaration up to its body. */
function header(decl: FunctionDecl, text: string): string {
  return text.slice(decl.span.start.offset, decl.returnType.span.end.offset);
}

function slice(text: string, node: Node): string {
  return text.slice(node.span.start.offset, node.span.end.offset);
}

function moduleSource(analysis: Analysis, file: string): string | undefined {
  return [...analysis.program.modules.values()].find((m) => m.file === file)?.source;
}

function code(text: string): string {
  return `\`\`\`gmn\n${text}\n\`\`\``;
}
