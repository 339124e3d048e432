// Every kernel family the code generator has, instantiated once (with the default tile shapes and
// a representative fused chain). The compile-only test validates all of them on Dawn's null
// backend, and `gmn doctor --kernels` style checks can walk the same list.
import type { UnaryFn } from '../ir/ops.js';
import { attentionDKernel, attentionKernel, attentionStatsKernel, attentionVjpKernel, attentionVjpKvKernel } from './attention.js';
import { concatKernel } from './concat.js';
import { fillKernel, mapKernel } from './elementwise.js';
import { gatherKernel, scatterKernel, sparseSiteKernel } from './incidence.js';
import type { Kernel } from './kernel.js';
import { layernormKernel, layernormVjpKernel } from './layernorm.js';
import { contractColumnKernel, contractGroup, contractKernel, fitTile, GENERIC_TILE, LAVAPIPE_TILE, matmulFastKernel, matmulKernel, matvecKernel } from './matmul.js';
import { adamKernel, clipKernel, sgdKernel, sumSquaresKernel } from './optimizers.js';
import { batchedMatmulKernel, batchedMatmulVec4Kernel, batchedMatvecKernel, batchedMatvecVec4Kernel } from './matmul-batched.js';
import { batchedSetSumsKernel } from './matmul-set-sums.js';
import { reduceKernel, reduceMiddleKernel, segmentMeanKernel } from './reduce.js';
import { siteKeyContractKernel, siteKeyReadKernel, siteKeySumKernel, siteTermsReadKernel } from './site-term.js';

const UNARY: UnaryFn[] = ['relu', 'gelu', 'tanh', 'sigmoid', 'silu', 'sin', 'cos', 'exp', 'log', 'neg', 'square', 'sqrt', 'abs', 'relu_grad', 'gelu_grad', 'tanh_grad', 'sigmoid_grad', 'silu_grad', 'sign'];

export function kernelCatalog(): Kernel[] {
  const x = (index: number) => ({ kind: 'input' as const, index });
  return [
    mapKernel(x(0), 'copy'),
    fillKernel(),
    ...UNARY.map((fn) => mapKernel({ kind: 'unary', fn, x: x(0) }, fn)),
    ...(['add', 'sub', 'mul', 'div'] as const).map((fn) => mapKernel({ kind: 'binary', fn, a: x(0), b: x(1) }, fn)),
    mapKernel({ kind: 'scale', x: x(0), factor: 1 }, 'scale'),
    mapKernel({ kind: 'binary', fn: 'mul', a: x(0), b: x(1) }, 'mul_contiguous', { contiguity: { out: true, inputs: [true, true] } }),
    mapKernel({ kind: 'binary', fn: 'add', a: x(0), b: x(1) }, 'add_broadcast', { contiguity: { out: true, inputs: [true, false] } }),
    mapKernel({ kind: 'unary', fn: 'gelu', x: { kind: 'binary', fn: 'add', a: x(0), b: x(1) } }, 'fused_lanes', { contiguity: { out: true, inputs: [true, false] }, lanes: 4 }),
    mapKernel({ kind: 'select', mask: x(0), a: x(1), b: x(2) }, 'select'),
    mapKernel({ kind: 'unary', fn: 'relu', x: { kind: 'binary', fn: 'add', a: { kind: 'scale', x: x(0), factor: 1 }, b: x(1) } }, 'fused'),
    mapKernel({ kind: 'binary', fn: 'mul', a: x(0), b: { kind: 'unary', fn: 'relu_grad', x: x(1) } }, 'fused_vec4', { contiguity: { out: true, inputs: [true, false] }, vec4: { inputs: [true, false] } }),
    mapKernel({ kind: 'binary', fn: 'mul', a: x(0), b: x(1) }, 'fused_vec4_runs', { contiguity: { out: true, inputs: [false, true] }, vec4: { inputs: [true, true], runs: 4 } }),
    mapKernel({ kind: 'unary', fn: 'relu', x: { kind: 'binary', fn: 'add', a: x(0), b: x(1) } }, 'fused_gathered', { contiguity: { out: true, inputs: [false, false] }, vec4: { inputs: [true, false] }, gathered: [true, true] }),
    mapKernel({ kind: 'unary', fn: 'gelu', x: x(0) }, 'gelu_gathered', { lanes: 2, gathered: [true] }),
    reduceKernel(),
    reduceMiddleKernel(),
    segmentMeanKernel(),
    gatherKernel(),
    gatherKernel(true),
    scatterKernel(),
    scatterKernel(true),
    sparseSiteKernel(),
    siteKeySumKernel(),
    siteKeySumKernel(true),
    siteKeyReadKernel(),
    siteKeyContractKernel(),
    siteTermsReadKernel(),
    concatKernel(1),
    concatKernel(7),
    batchedMatmulKernel(),
    batchedMatvecKernel(),
    batchedMatmulVec4Kernel(),
    batchedMatvecVec4Kernel(),
    batchedSetSumsKernel({ expr: { kind: 'unary', fn: 'relu', x: { kind: 'binary', fn: 'add', a: x(0), b: x(1) } }, acc: 0, vec4Inputs: new Set([1]) }, true),
    batchedSetSumsKernel({ expr: { kind: 'unary', fn: 'relu', x: { kind: 'binary', fn: 'add', a: x(0), b: x(1) } }, acc: 0 }, false),
    matmulKernel(GENERIC_TILE),
    matmulKernel({ tm: 3, tn: 5, wx: 4, wy: 4 }),
    matmulFastKernel(LAVAPIPE_TILE),
    matmulFastKernel({ tm: 4, tn: 4, wx: 8, wy: 8 }),
    matmulFastKernel(fitTile(LAVAPIPE_TILE, 16), false),
    contractKernel(8, 8),
    contractKernel(4, 8),
    contractKernel(6, 8),
    contractKernel(8, 8, ...contractGroup(16, 16, 8, 8)),
    contractKernel(8, 8, ...contractGroup(16, 16, 8, 8), true),
    contractColumnKernel(),
    matvecKernel(),
    matmulFastKernel(LAVAPIPE_TILE, false),
    matmulFastKernel(LAVAPIPE_TILE, true, { expr: { kind: 'select', mask: x(2), a: { kind: 'unary', fn: 'relu_grad', x: x(0) }, b: { kind: 'scale', x: x(1), factor: 1 } }, acc: 0 }),
    matmulFastKernel(LAVAPIPE_TILE, false, { expr: { kind: 'unary', fn: 'relu', x: { kind: 'binary', fn: 'add', a: x(0), b: x(1) } }, acc: 1 }),
    matmulFastKernel(LAVAPIPE_TILE, true, { expr: { kind: 'binary', fn: 'add', a: x(0), b: x(1) }, acc: 0, vec4Inputs: new Set([1]) }),
    layernormKernel(),
    layernormVjpKernel(),
    attentionKernel(8),
    attentionKernel(8, true),
    attentionDKernel(8),
    attentionStatsKernel(8),
    attentionVjpKernel('q', 8),
    attentionVjpKernel('k', 8),
    attentionVjpKernel('v', 3),
    attentionVjpKvKernel(8),
    adamKernel(),
    sgdKernel(),
    sumSquaresKernel(),
    clipKernel(),
  ];
}
