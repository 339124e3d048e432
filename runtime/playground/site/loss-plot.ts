// The run pane's loss plot: one line per model, training loss against epoch, on a log scale (losses
// of different models span decades), drawn on a canvas and redrawn whole on each new point.
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const MARGIN = { left: 56, right: 200, top: 12, bottom: 28 };

export class LossPlot {
  private readonly series = new Map<string, number[]>();

  constructor(private readonly canvas: HTMLCanvasElement) {}

  clear(): void {
    this.series.clear();
    this.draw();
  }

  add(model: string, loss: number): void {
    if (!Number.isFinite(loss) || loss <= 0) return;
    const points = this.series.get(model) ?? [];
    points.push(loss);
    this.series.set(model, points);
    this.draw();
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d');
    if (ctx === null) return;
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    const all = [...this.series.values()].flat();
    if (all.length === 0) return;
    const lo = Math.floor(Math.log10(Math.min(...all)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all))));
    const epochs = Math.max(2, ...[...this.series.values()].map((p) => p.length));
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = height - MARGIN.top - MARGIN.bottom;
    const x = (i: number) => MARGIN.left + (i / (epochs - 1)) * plotW;
    const y = (v: number) => MARGIN.top + ((hi - Math.log10(v)) / (hi - lo)) * plotH;

    ctx.font = '11px system-ui, sans-serif';
    ctx.strokeStyle = '#ddd';
    ctx.fillStyle = '#555';
    for (let d = lo; d <= hi; d++) {
      ctx.beginPath();
      ctx.moveTo(MARGIN.left, y(10 ** d));
      ctx.lineTo(MARGIN.left + plotW, y(10 ** d));
      ctx.stroke();
      ctx.fillText(`1e${d}`, 8, y(10 ** d) + 4);
    }
    ctx.fillText('epoch', MARGIN.left + plotW / 2 - 14, height - 6);
    ctx.fillText('1', x(0) - 3, height - 14);
    ctx.fillText(String(epochs), x(epochs - 1) - 6, height - 14);

    [...this.series].forEach(([model, points], k) => {
      const colour = COLOURS[k % COLOURS.length]!;
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      points.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))));
      ctx.stroke();
      ctx.fillStyle = colour;
      ctx.fillText(model, MARGIN.left + plotW + 8, MARGIN.top + 12 + k * 14);
    });
  }
}
