// `gmn bench`: throughput benchmarks on the current adapter, one line each:
//   bench: NAME key=value ...
// `--json FILE` writes the same figures as JSON, each with the 1-minute load average when it was
// measured, with the adapter, the machine, the commit and the load averages at start and end.
import { writeFileSync } from 'node:fs';
import { ANCHOR_MODEL, benchCurvature, QUICK_MODELS, type CurvatureBench, type CurvatureModel } from '../../../bench/curvature.js';
import { benchInrFit } from '../../../bench/inr.js';
import { benchInrEditor } from '../../../bench/inr-editor.js';
import { benchLearnedOptimizer } from '../../../bench/learned-optimizer.js';
import { benchLanguageModelOptimizers } from '../../../bench/learned-optimizer-lm.js';
import { loadAverages, machineInfo } from '../../../bench/machine.js';
import { benchMatmul } from '../../../bench/matmul.js';
import { GpuDevice, INSTALL_HINT, type KernelTimes } from '../../device/index.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure kernel and training-step throughput on the current WebGPU adapter',
  usage: [
    'usage: gmn bench [--json FILE] [--busy-poll] [--size N] [--only NAME] [--profile] [--set-size B] [--width F] [--target W,W,...] [--batch N]',
    '',
    'Prints one line per benchmark, `bench: NAME key=value ...`, after the adapter description:',
    '  matmul_N               GFLOP/s of the register-blocked channel matmul at N³ (default N = 512)',
    '  curvature_train_step   training examples/s of the curvature-task GradMetaNet (SIREN 1→32→32→1,',
    '                         b = 128, width 64, 2 set + 2 neuron layers, batch 32, Adam), and its',
    '                         forward-only examples/s',
    '  gradmetanet_b16_train_step, gradmetanet_pp_train_step, dws_concat_train_step, gmn_concat_train_step',
    '                         the same for GradMetaNet (width 32), GradMetaNet++ (width 16, 2 heads),',
    '                         DWS+Concat and GMN+Concat (width 30)',
    '                         at `curvature.gmn --preset quick` sizes (b = 16, batch 32)',
    '  inr_fit                INR-steps/s fitting 64 SIRENs 2→32→32→1 to MNIST digits at once (28×28 grid)',
    '  inr_editor_train_step  examples/s training the WS + GradMetaNet INR editor of inr_editing.gmn\'s default',
    '                         preset (batch 16, Γ_64[2], rendering θ + Δθ on the 28×28 grid, AdamW)',
    '  lopt_inner_step_adam, lopt_inner_step_ds, lopt_inner_step_unf, lopt_inner_step_unf_gradmetanet',
    '                         inner steps/s training learned_optimizer.gmn\'s Fashion-MNIST MLP (batch 128)',
    '                         with Adam, DS, UNF and UNF + GradMetaNet, one inner run on the device (the task\'s runner)',
    '  lopt_particle_steps_adam, _ds, _unf, _unf_gradmetanet',
    '                         particle-steps/s of the same with 16 runs batched (a PES estimate of 8 pairs)',
    '  lopt_pes_outer_step_unf, lopt_pes_outer_step_unf_gradmetanet',
    '                         ms per PES outer step there (UNF: 2 antithetic pairs, UNF + GradMetaNet: 8; truncation 5)',
    '  lopt_lm_inner_step_adam, _ds, _ds_gradmetanet, _unf_local; lopt_lm_particle_steps_* (4 runs batched)',
    '                         inner steps/s training the LM1B stand-in transformer (batch 8 × 8 bytes) with Adam,',
    '                         DS, DS + GradMetaNet and UNF-local (UNF\'s complete layer is refused on the LM),',
    '                         one inner run on the device',
    '',
    'options:',
    '  --json FILE   also write the figures as JSON, each with the 1-minute load average after it was',
    '                measured, and the machine (CPU, cores, memory, OS, node), the gmn version and',
    '                commit, the options and the load averages at start and end',
    '  --busy-poll   keep dawn.node\'s busy polling (default: the polling throttle is on, which frees',
    '                a core for lavapipe)',
    '  --size N      matmul size (default 512)',
    '  --only NAME   run one benchmark (matmul, curvature, quick, inr or lopt)',
    '  --profile     print the time of every kernel of one training step of each model (timestamp',
    '                queries; each dispatch then gets its own pass, so totals grow a little)',
    '  --set-size B, --width F, --target W,W,..., --batch N',
    '                curvature_train_step at another set size (default 128), width (64), target',
    '                SIREN widths (1,32,32,1) or batch (32): the scaling figures (scripts/scaling.mjs)',
    '',
    'exit codes: 0 ok, 1 no WebGPU adapter, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values } = parseCommandArgs(this, argv, {
      json: { type: 'string' },
      'busy-poll': { type: 'boolean' },
      size: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean' },
      'set-size': { type: 'string' },
      width: { type: 'string' },
      target: { type: 'string' },
      batch: { type: 'string' },
    });
    if (values.only !== undefined && !['matmul', 'curvature', 'quick', 'inr', 'lopt'].includes(values.only)) {
      throw new UsageError(`--only must be matmul, curvature, quick, inr or lopt, got ${values.only}`, this);
    }
    const size = values.size === undefined ? 512 : Number(values.size);
    if (!Number.isInteger(size) || size < 8 || size % 8 !== 0) {
      throw new UsageError(`--size must be a positive multiple of 8, got ${values.size}`, this);
    }
    const anchor = anchorModel(this, values['set-size'], values.width, values.target, values.batch);
    const gpu = await GpuDevice.open({ throttlePolling: !(values['busy-poll'] ?? false), profile: values.profile ?? false });
    if (gpu === null) {
      process.stderr.write(`gmn bench: no WebGPU adapter; nothing to measure. To fix: ${INSTALL_HINT}\n`);
      return EXIT.diagnostics;
    }
    const adapter = gpu.description;
    process.stdout.write(`adapter: ${adapter.path} (${adapter.description || adapter.device}, backend ${adapter.backend})\n`);
    const started = { time: new Date().toISOString(), load: loadAverages() };
    const results: Record<string, Record<string, number>> = {};
    const print = (name: string, figures: Record<string, number>): void => {
      results[name] = { ...figures, load_1m: loadAverages()[0] };
      process.stdout.write(`bench: ${name} ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    };
    if (values.only === undefined || values.only === 'matmul' || values.only === 'quick') {
      const matmul = await benchMatmul(gpu, size);
      print(`matmul_${size}`, { gflops: round(matmul.gflops), ms: round(matmul.ms) });
    }
    const trainFigures = (c: CurvatureBench): Record<string, number> =>
      ({ examples_per_s: round(c.examplesPerS), step_ms: round(c.trainStepMs), step_cpu_ms: round(c.trainCpuMs), infer_examples_per_s: round(c.inferExamplesPerS), params: c.params });
    if (values.only === undefined || values.only === 'curvature') {
      const c = await benchCurvature(gpu, 5, {}, anchor);
      print('curvature_train_step', trainFigures(c));
      if (values.profile === true) process.stdout.write(profileTable('curvature', c.profile));
    }
    if (values.only === undefined || values.only === 'quick') {
      for (const [name, model] of Object.entries(QUICK_MODELS)) {
        const c = await benchCurvature(gpu, 5, {}, model);
        print(`${name}_train_step`, trainFigures(c));
        if (values.profile === true) process.stdout.write(profileTable(name, c.profile));
      }
    }
    if (values.only === undefined || values.only === 'inr') {
      const inr = await benchInrFit(gpu);
      print('inr_fit', { inr_steps_per_s: round(inr.inrStepsPerS), step_ms: round(inr.stepMs), step_cpu_ms: round(inr.cpuMs), inrs: inr.count });
      const editor = await benchInrEditor(gpu);
      print('inr_editor_train_step', { examples_per_s: round(editor.examplesPerS), step_ms: round(editor.stepMs), step_cpu_ms: round(editor.cpuMs), batch: editor.batch });
      if (values.profile === true) process.stdout.write(profileTable('inr_editor', editor.profile));
    }
    if (values.only === undefined || values.only === 'lopt') {
      const lopt = await benchLearnedOptimizer(gpu);
      for (const i of lopt.inner) print(`lopt_inner_step_${i.name}`, { iters_per_s: round(i.itersPerS), step_ms: round(i.stepMs), params: lopt.params });
      for (const p of lopt.particles) print(`lopt_particle_steps_${p.name}`, { particle_steps_per_s: round(p.particleStepsPerS), step_ms: round(p.stepMs), runs: p.runs });
      for (const p of lopt.pes) print(`lopt_pes_outer_step_${p.name}`, { ms: round(p.ms), pairs: p.pairs, truncation: p.truncation });
      const lm = await benchLanguageModelOptimizers(gpu);
      for (const i of lm.inner) print(`lopt_lm_inner_step_${i.name}`, { iters_per_s: round(i.itersPerS), step_ms: round(i.stepMs), params: lm.params });
      for (const p of lm.particles) print(`lopt_lm_particle_steps_${p.name}`, { particle_steps_per_s: round(p.particleStepsPerS), step_ms: round(p.stepMs), runs: p.runs });
    }
    if (values.json !== undefined) {
      const finished = { time: new Date().toISOString(), load: loadAverages() };
      const json = { machine: machineInfo(), adapter, throttlePolling: !(values['busy-poll'] ?? false), argv, started, finished, results };
      writeFileSync(values.json, `${JSON.stringify(json, null, 2)}\n`);
    }
    gpu.destroy();
    return EXIT.ok;
  },
};

/** The anchor model, at the set size, width, target widths and batch asked for. */
function anchorModel(command: Command, setSize: string | undefined, width: string | undefined, target: string | undefined, batch: string | undefined): CurvatureModel {
  const positive = (flag: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got ${text}`, command);
    return n;
  };
  const widths = target?.split(',').map((w) => positive('--target', w));
  if (widths !== undefined && widths.length < 2) throw new UsageError(`--target needs at least two layer widths, got ${target}`, command);
  const f = width === undefined ? undefined : positive('--width', width);
  return {
    ...ANCHOR_MODEL,
    setSize: setSize === undefined ? ANCHOR_MODEL.setSize : positive('--set-size', setSize),
    batch: batch === undefined ? ANCHOR_MODEL.batch : positive('--batch', batch),
    args: ANCHOR_MODEL.args.map(([name, v]) => [name, name === 'width' && f !== undefined ? f : v]),
    ...(widths === undefined ? {} : { widths }),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The kernels of one step, slowest first, with their share of the step. */
function profileTable(model: string, times: KernelTimes | null): string {
  if (times === null) return 'profile: this adapter has no timestamp queries\n';
  const rows = [...times].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((a, [, t]) => a + t.ms, 0);
  const lines = rows.map(([name, t]) => `${t.ms.toFixed(2).padStart(9)} ms ${((100 * t.ms) / total).toFixed(1).padStart(5)}%  ${name}`);
  return `profile: one ${model} training step, ${rows.length} dispatches, ${total.toFixed(1)} ms of kernel time\n${lines.join('\n')}\n`;
}
