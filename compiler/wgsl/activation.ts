// Target activations σ and σ' as WGSL expressions, shared by the target kernels
// (runtime/targets/gpu-*.ts) and the render kernels (render.ts).
import type { Activation } from '../spaces/target.js';

/** tanh with its argument clamped: tanh(±20) is ±1 in f32, and some drivers overflow past ~±44. */
export const TANH = 'fn tanh_safe(x: f32) -> f32 { return tanh(clamp(x, -20.0, 20.0)); }\n';
const GELU_K = Math.sqrt(2 / Math.PI).toFixed(9);

/** σ(s) and σ'(s) as WGSL expressions of `s` (the sine's ω0 is the uniform `omega0`). */
export function activationWgsl(act: Activation): { value: string; derivative: string } {
  switch (act.kind) {
    case 'relu': return { value: 'max(s, 0.0)', derivative: 'select(0.0, 1.0, s > 0.0)' };
    case 'tanh': return { value: 'tanh_safe(s)', derivative: '1.0 - tanh_safe(s) * tanh_safe(s)' };
    case 'sine': return { value: 'sin(u.omega0 * s)', derivative: 'u.omega0 * cos(u.omega0 * s)' };
    case 'gelu': {
      const t = `tanh_safe(${GELU_K} * (s + 0.044715 * s * s * s))`;
      return {
        value: `0.5 * s * (1.0 + ${t})`,
        derivative: `0.5 * (1.0 + ${t}) + 0.5 * s * (1.0 - ${t} * ${t}) * ${GELU_K} * (1.0 + 3.0 * 0.044715 * s * s)`,
      };
    }
  }
}
