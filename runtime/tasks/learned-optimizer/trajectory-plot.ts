// Figure 8 of the paper: the θ paths of Adam, SGDM and the learned optimizers on the 2-parameter
// linear regression, drawn over the loss's contours. The expected loss is the quadratic form
// θᵀAθ (linear-regression.ts), so its level sets are ellipses, drawn exactly (A's eigenvectors
// and eigenvalues) at geometrically spaced levels between the paths' lowest and highest loss. The
// view is square in θ units (so the ellipses keep their shape) and framed on the paths; each path
// starts at the shared θ₀ (black square); the minimum θ* = 0 is a black cross; the GradMetaNet-augmented
// optimizers' paths are dashed.
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../plot.js';
import { regressionExpectedLoss } from './linear-regression.js';

const LEVELS = 9;
const CONTOUR_POINTS = 160;

/** A of the loss θᵀAθ, read off the loss itself: [a11, a12, a22]. */
function quadraticForm(): [number, number, number] {
  const a11 = regressionExpectedLoss([1, 0]);
  const a22 = regressionExpectedLoss([0, 1]);
  return [a11, (regressionExpectedLoss([1, 1]) - a11 - a22) / 2, a22];
}

/** The ellipse θᵀAθ = level as a closed polyline. */
export function contour(level: number): [number, number][] {
  const [a, b, c] = quadraticForm();
  // Eigen-decomposition of the symmetric 2×2 A.
  const mean = (a + c) / 2;
  const radius = Math.hypot((a - c) / 2, b);
  const [l1, l2] = [mean + radius, mean - radius];
  const raw = b !== 0 ? [l1 - c, b] : a >= c ? [1, 0] : [0, 1];
  const u = [raw[0]! / Math.hypot(raw[0]!, raw[1]!), raw[1]! / Math.hypot(raw[0]!, raw[1]!)];
  const v = [-u[1]!, u[0]!];
  return Array.from({ length: CONTOUR_POINTS + 1 }, (_, k) => {
    const t = (2 * Math.PI * k) / CONTOUR_POINTS;
    const p = Math.sqrt(level / l1) * Math.cos(t);
    const q = Math.sqrt(level / l2) * Math.sin(t);
    return [p * u[0]! + q * v[0]!, p * u[1]! + q * v[1]!];
  });
}

export async function trajectoryPlot(title: string, trajectories: Record<string, number[][]>): Promise<string> {
  const points = Object.values(trajectories).flat();
  const losses = points.map((p) => regressionExpectedLoss(p)).filter((l) => l > 0);
  const high = Math.max(...losses) * 1.5;
  const low = Math.max(Math.min(...losses), high * 1e-4);
  const levels = Array.from({ length: LEVELS }, (_, k) => low * (high / low) ** (k / (LEVELS - 1)));
  // A square window around the paths and θ* = 0.
  const xs = [0, ...points.map((p) => p[0]!)];
  const ys = [0, ...points.map((p) => p[1]!)];
  const centre = [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
  const half = 0.6 * Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 1e-3);
  const domain = (c: number) => [c - half, c + half];
  const contours = levels.flatMap((level, k) => contour(level).map((p, i) => ({ level: k, i, t0: p[0], t1: p[1] })));
  const paths = Object.entries(trajectories).flatMap(([optimizer, path]) => path.map((p, step) => ({ optimizer, step, t0: p[0], t1: p[1] })));
  const start = Object.values(trajectories)[0]?.[0] ?? [0, 0];
  const x = { field: 't0', type: 'quantitative', title: 'θ₁', scale: { domain: domain(centre[0]!), nice: false, zero: false } } as const;
  const y = { field: 't1', type: 'quantitative', title: 'θ₂', scale: { domain: domain(centre[1]!), nice: false, zero: false } } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle: `contours of the expected loss at ${levels.map((l) => l.toPrecision(2)).join(', ')}` },
    width: 460,
    height: 460,
    layer: [
      {
        data: { values: contours },
        mark: { type: 'line', stroke: '#b8b8b8', strokeWidth: 1, clip: true },
        encoding: { x, y, detail: { field: 'level', type: 'nominal' }, order: { field: 'i', type: 'quantitative' } },
      },
      {
        data: { values: paths },
        mark: { type: 'line', point: { size: 22, filled: true }, strokeWidth: 1.6, clip: true },
        encoding: {
          x, y,
          order: { field: 'step', type: 'quantitative' },
          color: { field: 'optimizer', type: 'nominal', title: 'optimizer', scale: { scheme: 'tableau10' } },
          strokeDash: { condition: { test: "indexof(datum.optimizer, 'gradmetanet') >= 0", value: [5, 3] }, value: [1, 0] },
          tooltip: [{ field: 'optimizer' }, { field: 'step' }],
        },
      },
      {
        data: { values: [{ t0: start[0], t1: start[1], what: 'θ₀' }, { t0: 0, t1: 0, what: 'θ* = 0' }] },
        mark: { type: 'point', filled: true, size: 90, color: 'black' },
        encoding: { x, y, shape: { field: 'what', type: 'nominal', title: 'marks', scale: { domain: ['θ₀', 'θ* = 0'], range: ['square', 'cross'] } } },
      },
    ],
  };
  return renderSvg(spec);
}
