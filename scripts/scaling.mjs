#!/usr/bin/env node
// The curvature training step's time as the set size b, the width and the target grow, gmn
// (`gmn bench --only curvature`) next to the PyTorch anchor (torch_gmn.py), always in alternation
// (gmn, PyTorch, gmn, PyTorch, ...) because the machines it runs on are shared.
//
//   node scripts/scaling.mjs measure --out FILE.json [--sweep anchor|b|width|target,...] [--pairs N]
//        [--gmn dist/gmn.mjs] [--anchor ../shared/bench/torch_gmn.py] [--python /usr/bin/python3]
//        [--device cpu|cuda] [--modes eager,compile] [--threads N] [--torch-max-b B]
//   node scripts/scaling.mjs plot FILE.json... --svg OUT.svg   (also prints the medians as a markdown table)
//
// measure adds to FILE.json after every run, so an interrupted sweep keeps what it measured and a
// second call extends it. gmn halves its batch of 32 until one [batch, b, neurons, width] activation
// fits lavapipe's 128 MiB binding limit (b = 256 → 16, ...), so the figures compare time per
// example. On a
// CPU, PyTorch runs as torch_gmn.py's header says: tcmalloc preloaded, OpenBLAS's overrides unset.
// torch_gmn.py's target is fixed (SIREN 1→32→32→1), so the target sweep times gmn alone; PyTorch
// also skips set sizes above --torch-max-b (its 20 timed steps take minutes there on 2 busy cores).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const TCMALLOC = '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4';
// lavapipe's maxStorageBufferBindingSize: gmn's bench step does not split a batch into micro-batches.
const BINDING_LIMIT = 128 * 1024 * 1024;
const ANCHOR = { b: 128, width: 64, target: '1,32,32,1' };
// Each sweep leaves out the anchor configuration: its point in every panel comes from `anchor`.
const SWEEPS = {
  anchor: [ANCHOR],
  b: [32, 64, 256, 512, 1024].map((b) => ({ ...ANCHOR, b })),
  width: [16, 32, 128].map((width) => ({ ...ANCHOR, width })),
  target: ['1,16,16,1', '1,64,64,1', '1,32,32,32,1'].map((target) => ({ ...ANCHOR, target })),
};

const [verb, ...rest] = process.argv.slice(2);
if (verb === 'measure') await measure(rest);
else if (verb === 'plot') await plot(rest);
else fail('usage: scaling.mjs measure --out FILE.json [options] | plot FILE.json... --svg OUT.svg');

async function measure(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' }, sweep: { type: 'string', default: 'anchor' }, pairs: { type: 'string', default: '1' },
      gmn: { type: 'string', default: 'dist/gmn.mjs' }, anchor: { type: 'string', default: '../shared/bench/torch_gmn.py' },
      python: { type: 'string', default: '/usr/bin/python3' }, device: { type: 'string', default: 'cpu' },
      modes: { type: 'string', default: 'eager' }, threads: { type: 'string', default: '2' },
      'torch-max-b': { type: 'string', default: 'Infinity' },
    },
  });
  if (values.out === undefined) fail('measure needs --out FILE.json');
  const sweeps = values.sweep.split(',');
  for (const s of sweeps) if (!(s in SWEEPS)) fail(`unknown sweep ${s}; one of ${Object.keys(SWEEPS).join(', ')}`);
  const torchEnv = { ...process.env };
  delete torchEnv.OPENBLAS_CORETYPE;
  delete torchEnv.OPENBLAS_L2_SIZE;
  if (values.device === 'cpu' && existsSync(TCMALLOC)) torchEnv.LD_PRELOAD = TCMALLOC;
  const runs = existsSync(values.out) ? JSON.parse(readFileSync(values.out, 'utf8')).runs.filter((r) => r.error === undefined) : [];
  const done = (system, sweep, config) => runs.filter((r) => r.system === system && r.sweep === sweep && r.b === config.b && r.width === config.width && r.target === config.target).length;
  const save = () => writeFileSync(values.out, `${JSON.stringify({ machine: machine(), device: values.device, runs }, null, 2)}\n`);
  const tmp = mkdtempSync(join(tmpdir(), 'gmn-scaling-'));
  for (const sweep of sweeps) {
    for (const config of SWEEPS[sweep]) {
      for (let pair = 0; pair < Number(values.pairs); pair++) {
        if (done('gmn', sweep, config) <= pair) {
          runs.push(gmnRun(values.gmn, config, sweep, join(tmp, 'bench.json')));
          save();
        }
        if (config.target !== ANCHOR.target || config.b > Number(values['torch-max-b'])) continue;
        for (const mode of values.modes.split(',')) {
          if (done(`pytorch-${values.device}-${mode}`, sweep, config) > pair) continue;
          runs.push(torchRun(values, torchEnv, mode, config, sweep));
          save();
        }
      }
    }
  }
  rmSync(tmp, { recursive: true });
}

function gmnRun(gmn, config, sweep, json) {
  const load = loadavg()[0];
  const neurons = config.target.split(',').map(Number).reduce((a, w) => a + w, 0);
  let batch = 32;
  while (batch > 1 && batch * config.b * neurons * config.width * 4 > BINDING_LIMIT) batch /= 2;
  const args = [gmn, 'bench', '--only', 'curvature', '--set-size', String(config.b), '--width', String(config.width), '--target', config.target, '--batch', String(batch), '--json', json];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const base = { system: 'gmn', sweep, ...config, batch, load, time: new Date().toISOString() };
  if (r.status !== 0) return report({ ...base, error: (r.stderr || r.stdout).trim() });
  const figures = JSON.parse(readFileSync(json, 'utf8')).results.curvature_train_step;
  return report({ ...base, stepMs: figures.step_ms, inferMs: (batch * 1000) / figures.infer_examples_per_s, cpuMs: figures.step_cpu_ms });
}

function torchRun(values, env, mode, config, sweep) {
  const load = loadavg()[0];
  const args = [values.anchor, values.threads, String(config.width), values.device, mode, String(config.b)];
  const r = spawnSync(values.python, args, { encoding: 'utf8', env });
  const base = { system: `pytorch-${values.device}-${mode}`, sweep, ...config, batch: 32, load, time: new Date().toISOString() };
  const step = /train_step_ms=([\d.]+)/.exec(r.stdout ?? '');
  const infer = /infer_ms=([\d.]+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || step === null || infer === null) return report({ ...base, error: lastLine(r.stderr || r.stdout) });
  return report({ ...base, stepMs: Number(step[1]), inferMs: Number(infer[1]) });
}

function report(run) {
  const what = run.error === undefined ? `${run.stepMs.toFixed(1)} ms/step` : `failed: ${run.error}`;
  process.stdout.write(`${run.time} load ${run.load.toFixed(2)} ${run.system} b=${run.b} width=${run.width} target=${run.target} batch=${run.batch}: ${what}\n`);
  return run;
}

function machine() {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown';
  return { cpu, cores: Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) };
}

async function plot(argv) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { svg: { type: 'string' } } });
  if (positionals.length === 0 || values.svg === undefined) fail('plot needs FILE.json... and --svg OUT.svg');
  const files = positionals.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  const m = files[0].machine;
  const runs = files.flatMap((f) => f.runs);
  // One point per system and configuration: the median of its runs.
  const groups = new Map();
  for (const r of runs) {
    if (r.error !== undefined) continue;
    const key = `${r.sweep}|${r.system}|${r.b}|${r.width}|${r.target}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const points = [...groups.values()].map((rs) => ({
    ...rs[0],
    batch: rs[0].batch ?? 32,
    msPerExample: median(rs.map((r) => r.stepMs / (r.batch ?? 32))),
    runs: rs.length,
    loads: [Math.min(...rs.map((r) => r.load)), Math.max(...rs.map((r) => r.load))],
  }));
  // The set layers run over the target's neurons, so the cost follows them rather than its parameters.
  const neurons = (target) => target.split(',').map(Number).reduce((a, w) => a + w, 0);
  const panel = (sweep, field, title, scale) => ({
    title,
    data: { values: points.filter((p) => p.sweep === sweep || p.sweep === 'anchor').map((p) => ({ ...p, x: field === 'target' ? neurons(p.target) : p[field] })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale, title: field === 'target' ? 'target neurons (1→w→w→1 for w = 16, 32, 64; 1→32→32→32→1)' : field },
      y: { field: 'msPerExample', type: 'quantitative', scale: { type: 'log' }, title: 'training ms per example (median)' },
      color: { field: 'system', type: 'nominal' },
    },
    width: 260, height: 220,
  });
  const sweeps = new Set(points.map((p) => p.sweep));
  const panels = [
    sweeps.has('b') && panel('b', 'b', 'set size b (width 64)', { type: 'log', base: 2 }),
    sweeps.has('width') && panel('width', 'width', 'width (b = 128)', { type: 'log', base: 2 }),
    sweeps.has('target') && panel('target', 'target', 'target size (b = 128, width 64)', { type: 'log' }),
  ].filter(Boolean);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `curvature training step (PyTorch batch 32; gmn smaller where an activation would pass 128 MiB): ${m.cpu}, ${m.cores} cores`,
    hconcat: panels,
    background: 'white',
  };
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  writeFileSync(values.svg, await view.toSVG());
  view.finalize();
  process.stdout.write(table(points));
}

/** The medians, one row per configuration, gmn and each PyTorch mode side by side. */
function table(points) {
  const systems = [...new Set(points.map((p) => p.system))].sort();
  const rows = new Map();
  for (const p of points) {
    const key = `${p.b}|${p.width}|${p.target}`;
    rows.set(key, { ...rows.get(key), config: p, [p.system]: p });
  }
  const load = ([lo, hi]) => (Math.round(lo) === Math.round(hi) ? `${Math.round(lo)}` : `${Math.round(lo)}–${Math.round(hi)}`);
  const cell = (p) => (p === undefined ? '—' : `${p.msPerExample.toFixed(1)} (${p.runs}, load ${load(p.loads)})`);
  const lines = [...rows.values()]
    .sort((a, b) => a.config.b - b.config.b || a.config.width - b.config.width || a.config.target.localeCompare(b.config.target))
    .map((r) => {
      const gmn = r.gmn;
      const ratios = systems.filter((s) => s !== 'gmn').map((s) => (gmn === undefined || r[s] === undefined ? '—' : (r[s].msPerExample / gmn.msPerExample).toFixed(2)));
      return `| ${r.config.b} | ${r.config.width} | ${r.config.target} | ${gmn?.batch ?? '—'} | ${systems.map((s) => cell(r[s])).join(' | ')} | ${ratios.join(' | ')} |`;
    });
  const others = systems.filter((s) => s !== 'gmn');
  return [
    `| b | width | target | gmn batch | ${systems.map((s) => `${s} ms/example (runs, load)`).join(' | ')} | ${others.map((s) => `${s} / gmn`).join(' | ')} |`,
    `| ${Array(4 + systems.length + others.length).fill('---').join(' | ')} |`,
    ...lines,
    '',
  ].join('\n');
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function lastLine(text) {
  return (text ?? '').trim().split('\n').pop() ?? '';
}

function fail(message) {
  process.stderr.write(`scaling.mjs: ${message}\n`);
  process.exit(2);
}
