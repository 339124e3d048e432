// `gmn export CKPT --out FILE.safetensors`: a trained net's parameters in safetensors, the weights
// format of the PyTorch and JAX ecosystems, named as `gmn explain` names them, with the `.gmn` source
// and the net's certificate in the file's metadata.
//
// Which .gmn file and task trained CKPT: `--file` and `--task`, else what the run directory around
// it recorded (`<run>/config.json`: the task's name and the file its models are declared in). Which
// model and preset: as `gmn verify --params` decides (runtime/verify/trained.ts).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkFiles } from '../../../compiler/check.js';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { lookup } from '../../../compiler/resolve/resolve.js';
import { taskKind } from '../../../compiler/resolve/task-schema.js';
import { checkGraph } from '../../../compiler/symmetry/check.js';
import { encodeSafetensors, type NamedTensor } from '../../export/safetensors.js';
import { loadCheckpoint } from '../../train/checkpoint.js';
import { recordedRun } from '../../tasks/recorded-run.js';
import { loadTrainedNet } from '../../verify/trained.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';
import { reportFailure } from '../failure.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a trained net\'s parameters as safetensors (PyTorch/JAX), with its .gmn spec and certificate',
  usage: [
    'usage: gmn export CKPT --out FILE.safetensors [--dtype float64|float32]',
    '                  [--file SPEC.gmn] [--task NAME] [--net NAME] [--preset NAME]',
    '',
    'Writes the parameters of a checkpoint folder written by `gmn run` (<run>/trained/<model>-n<size>-s<seed>.ckpt)',
    'as safetensors: one tensor per parameter, named and shaped as `gmn explain` prints them, and in',
    '`__metadata__` the .gmn source (gmn.spec), the proved statement (gmn.certificate), the net, model,',
    'task and instantiation. Load it with safetensors.torch.load_file, or with numpy alone',
    '(docs/export.md).',
    '',
    'options:',
    '  --out FILE     the .safetensors file to write',
    '  --dtype D      float64 (default: the checkpoint\'s exact values) or float32',
    '  --file SPEC    the .gmn file whose task trained CKPT (default: the one recorded in <run>/config.json)',
    '  --task NAME    which task of it (default: the recorded one, or the file\'s only task)',
    '  --net NAME     which model of the task CKPT holds (default: read from CKPT\'s name)',
    '  --preset NAME  the preset it was trained with (default: the one recorded in <run>/config.json)',
    '',
    'exit codes: 0 ok, 1 errors in the input, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      out: { type: 'string' },
      dtype: { type: 'string' },
      file: { type: 'string' },
      task: { type: 'string' },
      net: { type: 'string' },
      preset: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one checkpoint folder', this);
    if (values.out === undefined) throw new UsageError('--out FILE.safetensors is required', this);
    const dtype = values.dtype ?? 'float64';
    if (dtype !== 'float64' && dtype !== 'float32') throw new UsageError(`--dtype must be float64 or float32, not \`${dtype}\``, this);
    const dir = positionals[0]!;
    const fail = (message: string, hint: string): number => {
      process.stderr.write(`gmn export: error: ${message}\n  hint: ${hint}\n`);
      return EXIT.diagnostics;
    };

    if (!existsSync(join(dir, 'checkpoint.json'))) {
      return fail(`${dir} is not a checkpoint folder: it has no checkpoint.json`,
        'pass a folder written by gmn run: <run>/trained/<model>-n<size>-s<seed>.ckpt');
    }
    const recorded = recordedRun(dir);
    const file = values.file ?? recorded?.file;
    if (file === undefined) {
      return fail(`cannot tell which .gmn file trained ${dir}: there is no run directory config.json around it`, 'pass the file with --file SPEC.gmn');
    }
    if (!existsSync(file)) return fail(`the .gmn file ${file} that trained ${dir} is not there`, 'pass the file with --file SPEC.gmn');
    const checked = checkFiles([file]);
    if (checked.diagnostics.length > 0) process.stderr.write(renderDiagnostics(checked.diagnostics, checked.sources));
    if (checked.diagnostics.some((d) => d.severity === 'error')) return EXIT.diagnostics;
    const root = checked.program.roots[0]!;

    const tasks = [...root.symbols.tasks.values()];
    const names = tasks.map((t) => t.name.name).join(', ');
    if (tasks.length === 0) return fail(`${file} declares no task, so nothing says how the net in ${dir} was trained`, 'pass the .gmn file whose task trained it with --file');
    const taskName = values.task ?? recorded?.task ?? (tasks.length === 1 ? tasks[0]!.name.name : undefined);
    if (taskName === undefined) return fail(`${file} declares several tasks (${names})`, 'pick one with --task');
    const task = tasks.find((t) => t.name.name === taskName);
    if (task === undefined) return fail(`${file} has no task \`${taskName}\``, `pick one of ${names} with --task`);
    if (taskKind(task.fields)?.name === 'learned_optimization') {
      return fail(`task \`${taskName}\` is a learned-optimization task; gmn export reads the checkpoints of curvature tasks`, 'pass a checkpoint from <run>/trained/ of a curvature task');
    }

    try {
      const trained = loadTrainedNet({
        program: checked.program, module: root, task, dir,
        ...(values.net !== undefined ? { net: values.net } : {}), ...(values.preset !== undefined ? { preset: values.preset } : {}),
      });
      const sym = lookup(root, trained.net);
      const span = sym?.kind === 'net' ? sym.decl.name.span : task.name.span;
      const { certificate, diagnostics } = checkGraph({ graph: trained.graph, instantiation: trained.inst, eqlinears: trained.eqlinears }, span);
      if (certificate === null) throw new DiagnosticError(diagnostics);
      const tensors: NamedTensor[] = trained.graph.nodes.flatMap((node) => (node.op.op === 'param'
        ? [{ name: node.op.name, shape: node.op.shape, values: trained.params.get(node.op.name)! }] : []));
      const metadata = {
        format: 'gmn-trained',
        'gmn.net': trained.net,
        'gmn.model': trained.model,
        'gmn.task': taskName,
        'gmn.instance': trained.instance,
        'gmn.step': String(loadCheckpoint(dir).state.step),
        'gmn.certificate': certificate.statement,
        'gmn.spec_file': file,
        'gmn.spec': checked.sources.get(root.file) ?? readFileSync(file, 'utf8'),
      };
      const out = resolve(values.out);
      if (existsSync(out) && statSync(out).isDirectory()) return fail(`cannot write ${out}: it is a directory`, 'give --out a file path, e.g. model.safetensors');
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, encodeSafetensors(tensors, dtype === 'float64' ? 'F64' : 'F32', metadata));
      const count = tensors.reduce((n, t) => n + t.values.length, 0);
      process.stdout.write(`exported ${trained.model} (${tensors.length} tensors, ${count} parameters, ${dtype}) to ${out}\n`);
      return EXIT.ok;
    } catch (e) {
      return reportFailure(e, this.name, checked.sources);
    }
  },
};
