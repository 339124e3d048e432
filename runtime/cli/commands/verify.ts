// `gmn verify FILE [--json] [--seed N] [--backend B] [--params DIR [--net NAME]]`: the numeric
// counterpart of the certificate. Each net of FILE (instantiated as `gmn explain` does) runs with
// random seeded parameters — or one net with the trained parameters of a checkpoint — on random
// inputs and on their images under random group elements, on the float64 reference executor or on
// WebGPU in float32; it prints the max equivariance error, the invariance error, the sensitivity
// margin (the error under non-group transformations, which should be large) and, for @breaks
// declarations, the error that confirms them, next to the backend's tolerances.
import { checkFiles } from '../../../compiler/check.js';
import { diagnosticsToJson, renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { GpuDevice, INSTALL_HINT } from '../../device/index.js';
import { consoleProgress } from '../../tasks/progress.js';
import { asTrained, referenceBackend, webgpuBackend, type VerifyBackend } from '../../verify/backend.js';
import { verifyConsoleProgress } from '../../verify/console-progress.js';
import { verifyNet, verifyProgram, type NetVerification } from '../../verify/program.js';
import { loadTrainedNet } from '../../verify/trained.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';
import { reportFailure } from '../failure.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check each net\'s equivariance numerically (random group elements, sensitivity to non-group ones)',
  usage: [
    'usage: gmn verify [--json] [--seed N] [--backend reference|webgpu|auto] [--preset NAME] [--target T]... FILE',
    '       gmn verify FILE --params DIR [--net NAME] [--task NAME] [--preset NAME] [--backend B] [--json]',
    '',
    'Checks FILE like `gmn check`, then runs each net (instantiated as `gmn explain` does) with random',
    'parameters on random inputs x and on g·x for random group elements g (set permutations,',
    'permutations of each hidden layer) and prints, per net:',
    '  equivariance   max |f(g·x) − g·f(x)| / |g·f(x)| (must be below the backend\'s tolerance)',
    '  invariance     the same for set permutations alone, when the output has no set axis',
    '  sensitivity    the error under non-group transformations (permuting input/output neurons,',
    '                 or the rows of W_l without the columns of W_l+1): large means the net is not',
    '                 trivially symmetric',
    '  breaks         for each @breaks axis, the error under that group (must be clearly > 0)',
    '',
    'backends and tolerances (equivariant below / break confirmed above):',
    '  reference   float64 reference executor: 1e-8 / 1e-6 (the default)',
    '  webgpu      the WebGPU executor in float32 (a GPU, or lavapipe on a CPU): 1e-4 / 1e-3',
    '  auto        webgpu when an adapter exists, else reference',
    '',
    'options:',
    '  --json         print the figures as JSON on stdout',
    '  --seed N       seed of the parameters, inputs and group elements (default 0)',
    '  --backend B    reference (default), webgpu or auto',
    '  --params DIR   verify one net on the trained parameters of a checkpoint folder written by',
    '                 `gmn run` (<run>/trained/<model>-n<size>-s<seed>.ckpt, or <run>/checkpoints/...),',
    '                 or a meta-trained optimizer\'s F_ϕ (<run>/trained/<base task>-<optimizer>.json),',
    '                 instantiated as FILE\'s task trains it',
    '  --net NAME     which model of the task DIR holds (default: read from DIR\'s name)',
    '  --task NAME    which task, when FILE declares several',
    '  --preset NAME  without --params: instantiate each task\'s nets as that preset trains them',
    '                 (e.g. `quick`: the same nets on a small target and set size, where the check is',
    '                 fast and exactly as convincing — the proof does not depend on sizes);',
    '                 with --params: the preset the model was trained with (default: the one',
    '                 recorded in the run directory around DIR, else `default`)',
    '  --target T     instantiate the nets no task trains on target T of FILE only (repeatable;',
    '                 default: on every target FILE declares)',
    '',
    'exit codes: 0 every net verified, 1 errors or a failed check, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      json: { type: 'boolean' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      params: { type: 'string' },
      net: { type: 'string' },
      task: { type: 'string' },
      preset: { type: 'string' },
      target: { type: 'string', multiple: true },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one input file', this);
    const seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got \`${values.seed}\``, this);
    const backendKind = values.backend ?? 'reference';
    if (backendKind !== 'reference' && backendKind !== 'webgpu' && backendKind !== 'auto') {
      throw new UsageError(`unknown backend \`${backendKind}\` (use reference, webgpu or auto)`, this);
    }
    if (values.params === undefined) {
      for (const flag of ['net', 'task'] as const) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} only applies with --params DIR`, this);
      }
    }
    const result = checkFiles(positionals);
    if (!values.json) process.stderr.write(renderDiagnostics(result.diagnostics, result.sources));
    if (result.diagnostics.some((d) => d.severity === 'error') && values.params !== undefined) return EXIT.diagnostics;
    const root = result.program.roots[0];
    if (values.target !== undefined && root !== undefined) {
      if (values.params !== undefined) throw new UsageError('--target does not apply with --params DIR (the task says the target)', this);
      const declared = [...root.symbols.targets.keys()];
      const unknown = values.target.find((t) => !declared.includes(t));
      if (unknown !== undefined) throw new UsageError(`${positionals[0]} declares no target \`${unknown}\` (targets: ${declared.join(', ') || 'none'})`, this);
    }
    if (values.params === undefined && values.preset !== undefined && root !== undefined) {
      const presets = new Set([...root.symbols.tasks.values()].flatMap((t) => t.presets.map((p) => p.name.name)));
      if (!presets.has(values.preset)) {
        throw new UsageError(`no task of ${positionals[0]} has a preset \`${values.preset}\` (presets: ${[...presets].join(', ') || 'none'})`, this);
      }
    }
    const task = values.params === undefined || root === undefined ? undefined : pickTask(this, [...root.symbols.tasks.values()], values.task, positionals[0]!);

    const opened = await openBackend(backendKind);
    if (opened === null) {
      process.stderr.write(`gmn verify: error: no WebGPU adapter found. ${INSTALL_HINT}\n  hint: or run with --backend reference\n`);
      return EXIT.diagnostics;
    }
    const { gpu } = opened;
    const backend = asTrained(opened.backend);
    const progress = verifyConsoleProgress(consoleProgress());
    try {
      let nets: NetVerification[];
      if (values.params !== undefined && root !== undefined && task !== undefined) {
        const trained = loadTrainedNet({
          program: result.program, module: root, task, dir: values.params,
          ...(values.net !== undefined ? { net: values.net } : {}), ...(values.preset !== undefined ? { preset: values.preset } : {}),
        });
        progress.net(1, 1, trained.model, trained.instance);
        nets = [await verifyNet(trained.model, trained.file, trained.instance, trained.graph, trained.inst, {
          seed, backend, params: trained.params, onCheck: (done, total, check) => progress.check(done, total, check),
        })];
      } else {
        const instances = { ...(values.preset === undefined ? {} : { preset: values.preset }), ...(values.target === undefined ? {} : { targets: values.target }) };
        nets = root === undefined ? [] : await verifyProgram(result.program, seed, root.file, backend, instances, progress);
      }
      progress.stop();
      const failed = result.diagnostics.some((d) => d.severity === 'error');
      if (values.json) {
        const json = {
          seed, backend: backend.name, tolerance: backend.tolerance, confirmed: backend.confirmed,
          diagnostics: diagnosticsToJson(result.diagnostics), nets: nets.map(netJson),
        };
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      } else {
        process.stdout.write(`backend ${backend.name}: equivariant below ${fmt(backend.tolerance)}, breaks confirmed above ${fmt(backend.confirmed)}\n`);
        process.stdout.write(nets.map((n) => netText(n, backend)).join(''));
      }
      return failed || nets.some((n) => !n.verified) ? EXIT.diagnostics : EXIT.ok;
    } catch (e) {
      return reportFailure(e, this.name, result.sources);
    } finally {
      progress.stop();
      gpu?.destroy();
    }
  },
};

function pickTask<T extends { name: { name: string } }>(command: Command, tasks: T[], name: string | undefined, file: string): T {
  if (tasks.length === 0) throw new UsageError(`--params needs a task: ${file} declares none, so nothing says how the net was trained`, command);
  const names = tasks.map((t) => t.name.name).join(', ');
  if (name === undefined) {
    if (tasks.length > 1) throw new UsageError(`${file} declares several tasks; pick one with --task (${names})`, command);
    return tasks[0]!;
  }
  const found = tasks.find((t) => t.name.name === name);
  if (found === undefined) throw new UsageError(`${file} has no task \`${name}\` (tasks: ${names})`, command);
  return found;
}

/** The backend, with the device to close afterwards; null when webgpu was asked for and there is no adapter. */
async function openBackend(kind: 'reference' | 'webgpu' | 'auto'): Promise<{ backend: VerifyBackend; gpu: GpuDevice | null } | null> {
  if (kind === 'reference') return { backend: referenceBackend, gpu: null };
  // The polling throttle gives lavapipe's worker threads the core that dawn.node's busy-wait takes.
  const gpu = await GpuDevice.open({ throttlePolling: true });
  if (gpu !== null) return { backend: webgpuBackend(gpu), gpu };
  if (kind === 'webgpu') return null;
  process.stderr.write(`warning: no WebGPU adapter found; verifying on the float64 reference executor. To fix: ${INSTALL_HINT}\n`);
  return { backend: referenceBackend, gpu: null };
}

function netJson(n: NetVerification): object {
  const r = n.report;
  return {
    net: n.net, file: n.file, instance: n.instance, verified: n.verified,
    equivariance: r?.equivariance ?? null,
    invariance: r?.invariance ?? null,
    sensitivityMargin: r?.sensitivityMargin ?? null,
    sensitivity: Object.fromEntries((r?.sensitivity ?? []).map((s) => [s.kind, s.error])),
    breaks: Object.fromEntries((r?.breaks ?? []).map((b) => [b.axis === 'site' ? 'neurons' : b.axis, b.error])),
  };
}

const fmt = (x: number): string => x.toExponential(2);

function netText(n: NetVerification, backend: VerifyBackend): string {
  const lines = [`net ${n.net}  (${n.file}, ${n.instance})  ${n.verified ? 'verified' : 'NOT VERIFIED'}`];
  const r = n.report;
  if (r === null) {
    lines.push('  not lowered: see the diagnostics above');
  } else {
    lines.push(`  equivariance error  ${fmt(r.equivariance)}`);
    lines.push(`  invariance error    ${r.invariance === null ? '-' : fmt(r.invariance)}`);
    const parts = r.sensitivity.map((s) => `${s.kind} ${fmt(s.error)}`).join(', ');
    lines.push(`  sensitivity margin  ${fmt(r.sensitivityMargin)}${parts === '' ? '' : `  (${parts})`}`);
    for (const b of r.breaks) lines.push(`  breaks ${(b.axis === 'site' ? 'neurons' : b.axis).padEnd(12)} ${fmt(b.error)}`);
    // A net that ignores what the non-group transformations change (the standard estimator), or a
    // constant one (a trained net whose ReLUs all died), passes any equivariance check: say so.
    if (r.sensitivity.length > 0 && r.sensitivityMargin <= backend.confirmed) {
      lines.push('  note: the output does not change under the non-group transformations either: the net ignores neuron identity and row/column coupling, or is constant');
    }
  }
  return `${lines.join('\n')}\n`;
}
