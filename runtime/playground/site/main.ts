/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The playground page: an editor whose text the worker checks on every pause in typing (squiggles
// and a list of diagnostics), panes for the certificate, the IR and the WGSL of each kernel filled on
// demand, a run pane that trains a preset on the page's WebGPU with a live loss plot and the final
// table, an examples menu, and the text kept in the URL so that a link shares it.
import type { EditorView } from '@codemirror/view';
import type { PlaygroundDiagnostic, PlaygroundKernel, PlaygroundProgress } from '../engine.js';
import { createEditor, moveCursor, replaceText, showDiagnostics } from './editor.js';
import { LossPlot } from './loss-plot.js';
import { renderResults } from './results-table.js';
import { hashOf, sourceOfHash } from './share.js';
import { WorkerClient } from './worker-client.js';

const CHECK_DELAY_MS = 250;
const DEFAULT_EXAMPLE = 'dsl-examples/curvature.gmn';
const UNTITLED = 'playground.gmn';

type PaneName = 'certificate' | 'ir' | 'wgsl' | 'run';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`playground page: #${id} is missing`);
  return found;
}

const ui = {
  examples: element('examples', HTMLSelectElement),
  share: element('share', HTMLButtonElement),
  status: element('status', HTMLSpanElement),
  editor: element('editor', HTMLDivElement),
  diagnostics: element('diagnostics', HTMLOListElement),
  tabs: element('tabs', HTMLElement),
  certificate: element('certificate-text', HTMLPreElement),
  ir: element('ir-text', HTMLPreElement),
  kernel: element('kernel', HTMLSelectElement),
  wgsl: element('wgsl-text', HTMLPreElement),
  gpu: element('gpu', HTMLParagraphElement),
  preset: element('preset', HTMLInputElement),
  run: element('run', HTMLButtonElement),
  stop: element('stop', HTMLButtonElement),
  progress: element('progress', HTMLProgressElement),
  progressText: element('progress-text', HTMLSpanElement),
  runError: element('run-error', HTMLParagraphElement),
  plot: new LossPlot(element('loss', HTMLCanvasElement)),
  results: element('results', HTMLTableElement),
};

const worker = new WorkerClient(new URL('./worker.js', import.meta.url));

/** The state the panes are drawn from: which text they show, so a pane refreshes only when stale. */
const state = {
  fileName: UNTITLED,
  /** The text each pane was last filled from. */
  filled: new Map<PaneName, string>(),
  active: 'certificate' as PaneName,
  kernels: [] as PlaygroundKernel[],
  runningId: null as number | null,
  firstDiagnostics: true,
  checkTimer: 0,
};

const view: EditorView = createEditor(ui.editor, () => {
  window.clearTimeout(state.checkTimer);
  state.checkTimer = window.setTimeout(() => void textSettled(), CHECK_DELAY_MS);
});

function source(): string {
  return view.state.doc.toString();
}

/** After a pause in typing: check the text, refresh the visible pane, keep the link current. */
async function textSettled(): Promise<void> {
  const text = source();
  history.replaceState(null, '', await hashOf(text));
  await check(text);
  void fillPane(state.active);
}

async function check(text: string): Promise<void> {
  ui.status.textContent = 'checking…';
  try {
    const { value, ms } = await worker.call({ kind: 'analyse', source: text, fileName: state.fileName });
    if (text !== source()) return; // an answer for a text already edited away
    showDiagnostics(view, value, state.fileName);
    listDiagnostics(value);
    const errors = value.filter((d) => d.severity === 'error').length;
    ui.status.textContent = errors === 0 ? `no errors (checked in ${ms.toFixed(0)} ms)` : `${errors} error${errors === 1 ? '' : 's'}`;
    if (state.firstDiagnostics) {
      state.firstDiagnostics = false;
      // Read by scripts/playground-screenshot.mjs: time from navigation to the first diagnostics shown.
      performance.mark('gmn:first-diagnostics');
    }
  } catch (e) {
    ui.status.textContent = `the checker failed: ${messageOf(e)}`;
  }
}

function listDiagnostics(diagnostics: readonly PlaygroundDiagnostic[]): void {
  ui.diagnostics.replaceChildren(...diagnostics.map((d) => {
    const item = document.createElement('li');
    item.className = d.severity;
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = `${d.file === state.fileName ? '' : `${d.file}:`}${d.line}:${d.column}`;
    const text = document.createElement('span');
    text.textContent = ` ${d.severity} [${d.code}] ${d.message}`;
    item.append(where, text);
    if (d.hint !== undefined) {
      const hint = document.createElement('div');
      hint.className = 'hint';
      hint.textContent = `hint: ${d.hint}`;
      item.append(hint);
    }
    if (d.file === state.fileName) item.addEventListener('click', () => moveCursor(view, d.from));
    return item;
  }));
  if (diagnostics.length === 0) {
    const item = document.createElement('li');
    item.className = 'none';
    item.textContent = 'No problems: every net is certified.';
    ui.diagnostics.replaceChildren(item);
  }
}

// ---- panes -------------------------------------------------------------------------------------

function showPane(name: PaneName): void {
  selectTab(name);
  void fillPane(name);
}

function selectTab(name: PaneName): void {
  state.active = name;
  for (const tab of ui.tabs.querySelectorAll('button')) tab.setAttribute('aria-selected', String(tab.dataset['pane'] === name));
  for (const pane of document.querySelectorAll<HTMLElement>('.pane')) pane.hidden = pane.id !== `pane-${name}`;
}

/** Fills a text pane from the worker when the text changed since it was last filled. */
async function fillPane(name: PaneName): Promise<void> {
  const text = source();
  if (name === 'run' || state.filled.get(name) === text) return;
  state.filled.set(name, text);
  const target = name === 'certificate' ? ui.certificate : name === 'ir' ? ui.ir : ui.wgsl;
  target.classList.add('stale');
  try {
    if (name === 'certificate') ui.certificate.textContent = (await worker.call({ kind: 'explain', source: text })).value;
    else if (name === 'ir') ui.ir.textContent = (await worker.call({ kind: 'ir', source: text })).value;
    else showKernels((await worker.call({ kind: 'kernels', source: text })).value);
  } catch (e) {
    state.filled.delete(name);
    target.textContent = `Not available: ${messageOf(e)}`;
  }
  target.classList.remove('stale');
}

function showKernels(kernels: PlaygroundKernel[]): void {
  const chosen = ui.kernel.value;
  state.kernels = kernels;
  ui.kernel.replaceChildren(...kernels.map((k) => new Option(k.name, k.name, false, k.name === chosen)));
  if (kernels.length === 0) ui.wgsl.textContent = 'No kernels: the text has no net that compiles (see the diagnostics).';
  else showKernel();
}

function showKernel(): void {
  ui.wgsl.textContent = state.kernels.find((k) => k.name === ui.kernel.value)?.wgsl ?? '';
}

// ---- run ---------------------------------------------------------------------------------------

async function run(): Promise<void> {
  ui.run.disabled = true;
  ui.stop.disabled = false;
  ui.runError.textContent = '';
  ui.results.replaceChildren();
  ui.plot.clear();
  try {
    const { value } = await worker.call(
      { kind: 'run', source: source(), preset: ui.preset.value.trim() },
      { onProgress: showProgress, started: (id) => (state.runningId = id) },
    );
    ui.plot.clear();
    // One line per training run, named by what tells the runs apart.
    const sizes = new Set(value.epochs.map((e) => e.trainSize)).size > 1;
    const seeds = new Set(value.epochs.map((e) => e.seed)).size > 1;
    for (const e of value.epochs) ui.plot.add(`${e.model}${sizes ? ` n=${e.trainSize}` : ''}${seeds ? ` seed ${e.seed}` : ''}`, e.trainLoss);
    renderResults(ui.results, value);
    ui.progressText.textContent = `done in ${value.seconds.toFixed(1)} s`;
  } catch (e) {
    ui.runError.textContent = messageOf(e) === 'stopped' ? 'Stopped.' : `The run failed: ${messageOf(e)}`;
  } finally {
    state.runningId = null;
    ui.run.disabled = false;
    ui.stop.disabled = true;
  }
}

function showProgress(p: PlaygroundProgress): void {
  ui.progress.max = Math.max(1, p.total);
  ui.progress.value = p.step;
  ui.progressText.textContent = `${p.phase} ${p.step}/${p.total}${p.loss === undefined ? '' : `, loss ${p.loss.toPrecision(4)}`}`;
  // Until the run ends, one line per training run, fully named; then named by what tells the runs apart (run()).
  if (p.phase === 'train' && p.epoch !== undefined) ui.plot.add(`${p.epoch.model} n=${p.epoch.trainSize} seed ${p.epoch.seed}`, p.epoch.trainLoss);
}

async function probeGpu(): Promise<void> {
  const { value } = await worker.call({ kind: 'gpu' });
  ui.gpu.textContent = value.ok ? `WebGPU adapter: ${value.adapter}` : value.reason;
  ui.gpu.className = value.ok ? 'gpu-ok' : 'gpu-missing';
  ui.run.disabled = !value.ok;
}

// ---- start -------------------------------------------------------------------------------------

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function start(): Promise<void> {
  ui.tabs.addEventListener('click', (e) => {
    const pane = e.target instanceof HTMLButtonElement ? e.target.dataset['pane'] : undefined;
    if (pane === 'certificate' || pane === 'ir' || pane === 'wgsl' || pane === 'run') showPane(pane);
  });
  ui.kernel.addEventListener('change', showKernel);
  ui.run.addEventListener('click', () => void run());
  ui.stop.addEventListener('click', () => state.runningId !== null && worker.stop(state.runningId));
  ui.share.addEventListener('click', () => {
    void hashOf(source()).then((hash) => {
      history.replaceState(null, '', hash);
      return navigator.clipboard.writeText(location.href);
    }).then(() => (ui.status.textContent = 'link copied'), () => (ui.status.textContent = 'the link is in the address bar'));
  });

  const { value: examples } = await worker.call({ kind: 'examples' });
  ui.examples.replaceChildren(new Option('your text', ''), ...examples.map((e) => new Option(e.name, e.name)));
  ui.examples.addEventListener('change', () => {
    const example = examples.find((e) => e.name === ui.examples.value);
    if (example === undefined) return;
    state.fileName = example.name;
    replaceText(view, example.source);
  });

  const shared = await sourceOfHash(location.hash);
  const initial = shared ?? examples.find((e) => e.name === DEFAULT_EXAMPLE)?.source ?? '';
  if (shared === null) {
    ui.examples.value = DEFAULT_EXAMPLE;
    state.fileName = DEFAULT_EXAMPLE;
  }
  // The first check runs before any pane is filled, so that the diagnostics come first.
  selectTab('certificate');
  replaceText(view, initial);
  await probeGpu();
}

start().catch((e: unknown) => (ui.status.textContent = `The playground failed to start: ${messageOf(e)}`));
