// The run pane's final table: one row per model and training size, as report.md's summary. Each
// number cell keeps its full value in `data-value` (the cell shows 4 significant digits), so the
// page's table can be compared with `gmn run`'s results.json exactly.
import type { PlaygroundRunResult } from '../engine.js';

export function renderResults(table: HTMLTableElement, result: PlaygroundRunResult): void {
  table.replaceChildren();
  const caption = table.createCaption();
  caption.textContent = `${result.task}, preset ${result.preset}, on ${result.device} in ${result.seconds.toFixed(1)} s; test error: ${result.metric}`;
  const head = table.createTHead().insertRow();
  for (const title of ['model', 'train size', 'test error', '± std', 'seeds', 'params', 'seconds']) {
    const th = document.createElement('th');
    th.textContent = title;
    head.append(th);
  }
  const body = table.createTBody();
  for (const s of result.summaries) {
    const row = body.insertRow();
    row.dataset['model'] = s.model;
    row.dataset['trainSize'] = String(s.trainSize);
    row.insertCell().textContent = s.model;
    numberCell(row, s.trainSize, String(s.trainSize));
    numberCell(row, s.mean, s.mean.toPrecision(4)).dataset['field'] = 'mean';
    numberCell(row, s.std, s.seeds < 2 ? '–' : s.std.toPrecision(2)).dataset['field'] = 'std';
    numberCell(row, s.seeds, String(s.seeds));
    numberCell(row, s.params, s.params.toLocaleString('en'));
    numberCell(row, s.seconds, s.seconds.toFixed(1));
  }
}

function numberCell(row: HTMLTableRowElement, value: number, shown: string): HTMLTableCellElement {
  const cell = row.insertCell();
  cell.textContent = shown;
  cell.dataset['value'] = String(value);
  cell.className = 'number';
  return cell;
}
