// Pointwise nonlinearities of targets and their derivatives, in float64.
import type { Activation } from '../../compiler/spaces/target.js';

/** √(2/π), the constant of GELU's tanh approximation. */
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** GELU, tanh approximation (Hendrycks & Gimpel): ½u(1 + tanh(√(2/π)(u + 0.044715u³))). */
export function gelu(u: number): number {
  return 0.5 * u * (1 + Math.tanh(GELU_K * (u + GELU_C * u * u * u)));
}

export function geluDerivative(u: number): number {
  const t = Math.tanh(GELU_K * (u + GELU_C * u * u * u));
  return 0.5 * (1 + t) + 0.5 * u * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * u * u);
}

/** σ(u). SIREN's sine is sin(ω0·u) of the pre-activation u = Wx + b. */
export function activate(act: Activation, u: number): number {
  switch (act.kind) {
    case 'relu': return u > 0 ? u : 0;
    case 'gelu': return gelu(u);
    case 'tanh': return Math.tanh(u);
    case 'sine': return Math.sin(act.omega0 * u);
  }
}

/** σ'(u); relu's derivative at 0 is taken as 0. */
export function activateDerivative(act: Activation, u: number): number {
  switch (act.kind) {
    case 'relu': return u > 0 ? 1 : 0;
    case 'gelu': return geluDerivative(u);
    case 'tanh': {
      const t = Math.tanh(u);
      return 1 - t * t;
    }
    case 'sine': return act.omega0 * Math.cos(act.omega0 * u);
  }
}
