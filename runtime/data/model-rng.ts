// One independent random stream per generated model, derived from (seed, model index) alone, so
// model i is the same whatever the number of models generated (growing `models` keeps the first
// ones) and models can be generated in any order.
import { Rng } from '../util/rng.js';

/** The streams one model draws from, kept apart so that e.g. changing `points` leaves θ unchanged. */
export interface ModelStreams {
  /** θ (the target's init). */
  theta: Rng;
  /** The input distribution's parameter p and the input set's points. */
  inputs: Rng;
  /** The fresh points the label is computed on. */
  labels: Rng;
}

export function modelStreams(seed: number, index: number): ModelStreams {
  // fmix32 is a bijection of 32-bit integers: distinct indices give distinct generator seeds.
  const root = new Rng(fmix32((fmix32(seed >>> 0) + index) >>> 0));
  return { theta: root.fork(), inputs: root.fork(), labels: root.fork() };
}

/** MurmurHash3's 32-bit finaliser. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
