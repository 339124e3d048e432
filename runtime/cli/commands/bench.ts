// `gmn bench`: throughput benchmarks on the current adapter, one line each:
//   bench: NAME key=value ...
// `--json FILE` writes the same figures (and the adapter) as JSON.
import { writeFileSync } from 'node:fs';
import { benchCurvature, QUICK_MODELS, type CurvatureBench } from '../../../bench/curvature.js';
import { benchInrFit } from '../../../bench/inr.js';
import { benchInrEditor } from '../../../bench/inr-editor.js';
import { benchMatmul } from '../../../bench/matmul.js';
import { GpuDevice, INSTALL_HINT, type KernelTimes } from '../../device/index.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure kernel and training-step throughput on the current WebGPU adapter',
  usage: [
    'usage: gmn bench [--json FILE] [--busy-poll] [--size N] [--only NAME] [--profile]',
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
    '',
    'options:',
    '  --json FILE   also write the figures as JSON',
    '  --busy-poll   keep dawn.node\'s busy polling (default: the polling throttle is on, which frees',
    '                a core for lavapipe)',
    '  --size N      matmul size (default 512)',
    '  --only NAME   run one benchmark (matmul, curvature, quick or inr)',
    '  --profile     print the time of every kernel of one training step of each model (timestamp',
    '                queries; each dispatch then gets its own pass, so totals grow a little)',
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
    });
    if (values.only !== undefined && !['matmul', 'curvature', 'quick', 'inr'].includes(values.only)) {
      throw new UsageError(`--only must be matmul, curvature, quick or inr, got ${values.only}`, this);
    }
    const size = values.size === undefined ? 512 : Number(values.size);
    if (!Number.isInteger(size) || size < 8 || size % 8 !== 0) {
      throw new UsageError(`--size must be a positive multiple of 8, got ${values.size}`, this);
    }
    const gpu = await GpuDevice.open({ throttlePolling: !(values['busy-poll'] ?? false), profile: values.profile ?? false });
    if (gpu === null) {
      process.stderr.write(`gmn bench: no WebGPU adapter; nothing to measure. To fix: ${INSTALL_HINT}\n`);
      return EXIT.diagnostics;
    }
    const adapter = gpu.description;
    process.stdout.write(`adapter: ${adapter.path} (${adapter.description || adapter.device}, backend ${adapter.backend})\n`);
    const results: Record<string, Record<string, number>> = {};
    const print = (name: string, figures: Record<string, number>): void => {
      results[name] = figures;
      process.stdout.write(`bench: ${name} ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    };
    if (values.only !== 'curvature' && values.only !== 'inr') {
      const matmul = await benchMatmul(gpu, size);
      print(`matmul_${size}`, { gflops: round(matmul.gflops), ms: round(matmul.ms) });
    }
    const trainFigures = (c: CurvatureBench): Record<string, number> =>
      ({ examples_per_s: round(c.examplesPerS), step_ms: round(c.trainStepMs), step_cpu_ms: round(c.trainCpuMs), infer_examples_per_s: round(c.inferExamplesPerS), params: c.params });
    if (values.only === undefined || values.only === 'curvature') {
      const c = await benchCurvature(gpu);
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
      print('inr_fit', { inr_steps_per_s: round(inr.inrStepsPerS), step_ms: round(inr.stepMs), inrs: inr.count });
      const editor = await benchInrEditor(gpu);
      print('inr_editor_train_step', { examples_per_s: round(editor.examplesPerS), step_ms: round(editor.stepMs), batch: editor.batch });
    }
    if (values.json !== undefined) {
      writeFileSync(values.json, `${JSON.stringify({ adapter, throttlePolling: !(values['busy-poll'] ?? false), results }, null, 2)}\n`);
    }
    gpu.destroy();
    return EXIT.ok;
  },
};

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
