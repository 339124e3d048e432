// A readable, stable text form of an IR graph (golden tests, `gmn explain --ir`): one line per node,
//   %id = op operands attributes : type   # label @line:col
// Operands are `%n`; attributes are written `key=value` in the op's field order.
import { baseName } from '../resolve/posix-path.js';
import { familyOf } from '../spaces/families.js';
import type { Graph, Node, Op, SiteTerm } from './ops.js';
import { OPERAND_FIELDS } from './operands.js';
import { formatType, type Instantiation } from './types.js';


export function dumpGraph(graph: Graph, inst?: Instantiation): string {
  const lines: string[] = [];
  const header = [`net ${graph.name}`];
  if (inst !== undefined) {
    for (const t of inst.targets.values()) {
      const spec = familyOf(t.spec).describe(t.spec);
      header.push(`${t.name} = ${spec} (N=${t.neuronCount}, P=${t.paramCount})`);
    }
  }
  if (graph.declaredBreaks.length > 0) header.push(`@breaks(${graph.declaredBreaks.join(', ')})`);
  lines.push(header.join('  '));
  for (const node of graph.nodes) lines.push(`  ${dumpNode(node)}`);
  lines.push(`  return %${graph.output}`);
  return `${lines.join('\n')}\n`;
}

export function dumpNode(node: Node): string {
  return `%${node.id} = ${dumpOp(node.op)} : ${formatType(node.type)}   # ${node.label} @${baseName(node.span.file)}:${node.span.start.line}:${node.span.start.column}`;
}

export function dumpOp(op: Op): string {
  const parts: string[] = [op.op];
  for (const [key, value] of Object.entries(op)) {
    if (key === 'op') continue;
    if (OPERAND_FIELDS.has(key) && typeof value === 'number') parts.push(`%${value}`);
    else if (key === 'xs' && Array.isArray(value)) parts.push(value.map((v) => `%${String(v)}`).join(' '));
    else if (key === 'term') parts.push(`term=${siteTermText(value as SiteTerm)}`);
    else if (key === 'terms') parts.push(`terms=[${(value as SiteTerm[]).map(siteTermText).join(' ')}]`);
    else parts.push(`${key}=${attr(value)}`);
  }
  return parts.join(' ');
}

function attr(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(attr).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}:${attr(x)}`).join(',')}}`;
  return String(v);
}

function siteTermText(t: SiteTerm): string {
  const cell = (c: SiteTerm['out']): string => (c === null ? '·' : `${c.space}#${c.index}`);
  const labels = t.labels.map((l) => ('class' in l ? String.fromCharCode(97 + (l.class % 26)) : `#${l.at}`)).join(',');
  return `${cell(t.out)}←${cell(t.in)}[${labels}]`;
}
