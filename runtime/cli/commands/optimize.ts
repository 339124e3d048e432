// `gmn optimize FILE --optimizer RUN/trained/<base>-<optimizer>.json [--target T] [--steps N] ...`:
// trains a network of FILE with a meta-trained optimizer and with Adam and prints both test-loss
// curves (runtime/tasks/learned-optimizer/use-optimizer.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkFiles } from '../../../compiler/check.js';
import { renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { taskKind } from '../../../compiler/resolve/task-schema.js';
import { useOptimizer, type UseResult } from '../../tasks/learned-optimizer/use-optimizer.js';
import { readTrainedOptimizer } from '../../verify/trained-optimizer.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';
import { reportFailure } from '../failure.js';

export const optimizeCommand: Command = {
  name: 'optimize',
  summary: 'train a network with a meta-trained optimizer and with Adam, and print both loss curves',
  usage: [
    'usage: gmn optimize FILE --optimizer FILE.json [--target T] [--steps N] [--seed S] [--adam-lr LR] [--preset NAME] [--json]',
    '',
    'FILE is the .gmn file whose learned-optimization task meta-trained the optimizer',
    '(<run>/trained/<base task>-<optimizer>.json, written by `gmn run`). The network of that base task',
    '(or --target, another MLP of FILE with the same depth: the paper\'s width transfer) is trained on',
    'the base task\'s data from one initialisation and one sequence of batches, once with the',
    'optimizer and once with Adam; the test loss of both is printed at every step, then Adam\'s best',
    'loss L*, the step N* it reaches it, and the step the optimizer first reaches L*.',
    '',
    'options:',
    '  --optimizer FILE  the meta-trained optimizer',
    '  --target T        train target T of FILE instead of the base task\'s',
    '  --steps N         inner steps (default: the base task\'s horizon)',
    '  --seed S          initialisation and batches (default 1, the run\'s first evaluation seed)',
    '  --adam-lr LR      Adam\'s learning rate (default: the one the run tuned, from its results.json)',
    '  --preset NAME     the preset it was trained with (default: the one recorded in its run directory)',
    '  --json            print the curves as JSON',
    '',
    'exit codes: 0 ok, 1 errors in the input or data, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      optimizer: { type: 'string' }, target: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' },
      'adam-lr': { type: 'string' }, preset: { type: 'string' }, json: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one .gmn file', this);
    if (values.optimizer === undefined) throw new UsageError('--optimizer FILE.json is required', this);
    const positive = (flag: string, text: string | undefined, fallback: number): number => {
      const n = text === undefined ? fallback : Number(text);
      if (!(n > 0) || (flag !== '--adam-lr' && !Number.isInteger(n))) throw new UsageError(`${flag} must be a positive ${flag === '--adam-lr' ? 'number' : 'integer'}, not \`${text}\``, this);
      return n;
    };
    const checked = checkFiles(positionals);
    if (checked.diagnostics.length > 0) process.stderr.write(renderDiagnostics(checked.diagnostics, checked.sources));
    if (checked.diagnostics.some((d) => d.severity === 'error')) return EXIT.diagnostics;
    const root = checked.program.roots[0]!;
    const tasks = [...root.symbols.tasks.values()].filter((t) => taskKind(t.fields)?.name === 'learned_optimization');
    if (tasks.length !== 1) throw new UsageError(`${positionals[0]} has ${tasks.length === 0 ? 'no learned-optimization task' : 'several learned-optimization tasks'}`, this);
    const run = runRecord(values.optimizer);
    try {
      const preset = values.preset ?? run.preset ?? 'default';
      const { base, entry, phi } = readTrainedOptimizer({ program: checked.program, module: root, task: tasks[0]!, file: values.optimizer, preset });
      const result = useOptimizer({
        program: checked.program, module: root, base, entry, phi, ...(values.target === undefined ? {} : { target: values.target }),
        steps: positive('--steps', values.steps, base.horizon), seed: positive('--seed', values.seed, 1),
        adamLr: positive('--adam-lr', values['adam-lr'], run.adamLrs.get(base.label) ?? 1e-3), stage: (l) => process.stderr.write(`${l}\n`),
      });
      process.stdout.write(values.json ? `${JSON.stringify(result, null, 1)}\n` : text(result));
      return EXIT.ok;
    } catch (e) {
      return reportFailure(e, this.name, checked.sources);
    }
  },
};

/** The preset and tuned Adam rates of the run directory around a trained/ file, where there is one. */
function runRecord(file: string): { preset: string | undefined; adamLrs: Map<string, number> } {
  const runDir = dirname(dirname(file));
  const read = (name: string): unknown => {
    const path = join(runDir, name);
    try {
      return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
    } catch {
      return undefined;
    }
  };
  const config = read('config.json') as { config?: { preset?: unknown } } | undefined;
  const results = read('results.json') as { results?: { base: string; adamLr: number }[] } | undefined;
  return {
    preset: typeof config?.config?.preset === 'string' ? config.config.preset : undefined,
    adamLrs: new Map((results?.results ?? []).map((r) => [r.base, r.adamLr])),
  };
}

function text(r: UseResult): string {
  const every = Math.max(1, Math.ceil(r.learned.steps.length / 20));
  const rows = r.learned.steps.flatMap((step, i) => (i % every === 0 || i === r.learned.steps.length - 1
    ? [`${String(step).padStart(6)}  ${r.learned.losses[i]!.toPrecision(4).padStart(10)}  ${r.adam.losses[i]!.toPrecision(4).padStart(10)}`] : []));
  const reached = r.learnedSteps === undefined ? `${r.optimizer} does not reach it within ${r.learned.steps.at(-1)} steps`
    : `${r.optimizer} reaches it at step ${r.learnedSteps} (step reduction ${(r.adamBest.step / Math.max(r.learnedSteps, 1)).toFixed(2)}×)`;
  return [
    `${r.optimizer} vs Adam on ${r.target} (${r.params} parameters): test loss`,
    `  step  ${'optimizer'.padStart(10)}  ${'adam'.padStart(10)}`, ...rows,
    `Adam's best test loss L* = ${r.adamBest.loss.toPrecision(4)} at step ${r.adamBest.step}; ${reached}.`, '',
  ].join('\n');
}
