// Figure 8's contours are the regression's level sets: every drawn point of the ellipse for a
// level has exactly that expected loss (closed form, linear-regression.ts); the figure draws every
// optimizer's path.
import { expect, it } from 'vitest';
import { regressionExpectedLoss } from '../../runtime/tasks/learned-optimizer/linear-regression.js';
import { contour, trajectoryPlot } from '../../runtime/tasks/learned-optimizer/trajectory-plot.js';

it('contour(level) lies on θᵀAθ = level and goes once around θ* = 0', () => {
  for (const level of [1e-3, 0.2, 7]) {
    const points = contour(level);
    for (const p of points) expect(regressionExpectedLoss(p) / level).toBeCloseTo(1, 12);
    // Closed, and winding once: the polar angle advances by 2π in total.
    expect(points[0]![0]).toBeCloseTo(points.at(-1)![0], 12);
    let turned = 0;
    for (let i = 1; i < points.length; i++) {
      let d = Math.atan2(points[i]![1], points[i]![0]) - Math.atan2(points[i - 1]![1], points[i - 1]![0]);
      if (d > Math.PI) d -= 2 * Math.PI;
      if (d < -Math.PI) d += 2 * Math.PI;
      turned += d;
    }
    expect(Math.abs(turned)).toBeCloseTo(2 * Math.PI, 9);
  }
});

it('draws every optimizer\'s path over the contours', async () => {
  const svg = await trajectoryPlot('paths', { adam: [[1, -1], [0.9, -0.9]], sgdm: [[1, -1], [0.2, -0.1], [0, 0.01]] });
  expect(svg).toContain('<svg');
  for (const name of ['adam', 'sgdm', 'θ₀', 'θ* = 0']) expect(svg).toContain(name);
});
