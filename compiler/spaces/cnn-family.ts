// The `cnn(channels:, kernel:, height:, width:, head:, activation:)` target family (issue 30;
// architecture and layout: cnn.ts). Every position of an example is one element of Γ's set.
import type { CallExpr, Expr } from '../syntax/ast.js';
import { argsByName, fail, parseActivation, positiveInt, positiveInts, type Elaborated } from './arguments.js';
import { cnnLayout, type CnnSpec } from './cnn.js';
import type { TargetFamily } from './family.js';

const int = { kind: 'int' } as const;
const intList = { kind: 'int_list' } as const;
const ORDER = ['channels', 'kernel', 'height', 'width', 'head', 'activation'] as const;

export const CNN_FAMILY: TargetFamily<CnnSpec> = {
  name: 'cnn',
  doc: 'a small convolutional network: k×k "same" convolutions (stride 1) over a height×width image, global average pooling, a dense head; its hidden channels are permuted',
  params: [
    { name: 'channels', type: intList },
    { name: 'kernel', type: int },
    { name: 'height', type: int },
    { name: 'width', type: int },
    { name: 'head', type: intList },
    { name: 'activation', type: { kind: 'activation' } },
  ],
  spec: cnnSpec,
  layout: cnnLayout,
  itemsPerExample: (spec) => spec.height * spec.width,
  describe: (spec) => `cnn[${spec.channels.join(',')}; k${spec.kernel}; ${spec.height}x${spec.width}; head ${spec.head.join(',')}]`,
};

function cnnSpec(call: CallExpr): Elaborated<CnnSpec> {
  const args = argsByName(call, ORDER);
  for (const key of ORDER) {
    if (!args.has(key)) return fail('spaces/missing-argument', `cnn needs \`${key}\``, call.span, `e.g. ${EXAMPLE}`);
  }
  const arg = (key: (typeof ORDER)[number]): Expr => args.get(key)!.value;
  const channels = sizeList(arg('channels'), 2, 'a cnn needs the image\'s channels and at least one conv layer\'s: `channels: [C0, C1, ...]`', 'a channel count');
  if (!channels.ok) return channels;
  const kernel = positiveInt(arg('kernel'), '`kernel`');
  if (!kernel.ok) return kernel;
  if (kernel.value % 2 === 0) {
    return fail('spaces/bad-size', `\`kernel\` must be odd, not ${kernel.value}: a "same" convolution centres its k×k kernel on every position`, arg('kernel').span,
      `use kernel: ${kernel.value + 1} or ${kernel.value - 1 || 1}`);
  }
  const height = positiveInt(arg('height'), '`height`');
  if (!height.ok) return height;
  const width = positiveInt(arg('width'), '`width`');
  if (!width.ok) return width;
  const reach = (kernel.value - 1) / 2;
  if (reach >= Math.min(height.value, width.value)) {
    // A tap at offset |δ| ≥ H (or W) reads padding at every position: its weights would never train.
    return fail('spaces/bad-size', `a ${kernel.value}×${kernel.value} kernel reaches past a ${height.value}×${width.value} image: its outer taps only ever read zero padding`,
      arg('kernel').span, `use a kernel of at most ${2 * Math.min(height.value, width.value) - 1}`);
  }
  const head = sizeList(arg('head'), 1, 'a cnn needs at least its output layer in `head: [..., outputs]`', 'a head width');
  if (!head.ok) return head;
  const activation = parseActivation(arg('activation'));
  if (!activation.ok) return activation;
  return {
    ok: true,
    value: { kind: 'cnn', channels: channels.value, kernel: kernel.value, height: height.value, width: width.value, head: head.value, activation: activation.value },
  };
}

const EXAMPLE = '`cnn(channels: [1, 4, 8], kernel: 3, height: 6, width: 6, head: [16, 1], activation: relu)`';

/** A list of at least `least` positive integers (`channels`, `head`). */
function sizeList(expr: Expr, least: number, tooShort: string, what: string): Elaborated<number[]> {
  if (expr.kind !== 'list') return fail('spaces/bad-size', `expected a list: ${what} per layer`, expr.span, `e.g. ${EXAMPLE}`);
  if (expr.items.length < least) return fail('spaces/bad-size', tooShort, expr.span, `e.g. ${EXAMPLE}`);
  return positiveInts(expr, what);
}
