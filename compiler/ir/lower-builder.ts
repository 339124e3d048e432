// Appends SSA nodes while a net is lowered: every node gets the span of the source expression it
// came from (graph-builder.ts is the span-less, type-inferring builder used by tests and autodiff).
import type { Span } from '../syntax/ast.js';
import type { Node, Op, ValueId } from './ops.js';
import type { TensorType } from './types.js';

export class GraphBuilder {
  readonly nodes: Node[] = [];

  add(op: Op, type: TensorType, span: Span, label: string): ValueId {
    const id = this.nodes.length;
    this.nodes.push({ id, op, type, span, label });
    return id;
  }

  type(id: ValueId): TensorType {
    return this.nodes[id]!.type;
  }
}
