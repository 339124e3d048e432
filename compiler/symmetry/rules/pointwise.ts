// Ops that act on every (set element, site) position alike, with no learned position-specific
// weights: they commute with any permutation of the set and the sites.
import type { Rule } from './rule.js';
import { holds } from './rule.js';

export const unary: Rule = () => holds('pointwise');
export const binary: Rule = () => holds('pointwise (broadcasting missing axes is equivariant)');
export const scale: Rule = () => holds('pointwise');
export const select: Rule = () => holds('pointwise select');
export const bias: Rule = () => holds('channel bias shared by all positions');
export const layernorm: Rule = () => holds('per-position normalisation over channels');
export const layernorm_vjp: Rule = () => holds('per-position normalisation over channels (VJP)');
export const concat: Rule = () => holds('channel concatenation');
export const slice: Rule = () => holds('channel slice');
export const pad: Rule = () => holds('channel padding');
export const channel_sum: Rule = () => holds('sum over channels');
