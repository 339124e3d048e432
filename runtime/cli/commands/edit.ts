// `gmn edit FILE --editor DIR (--inr N | --image FILE.png) --out DIR`: apply a trained INR editor
// (runtime/tasks/inr-editing/edit.ts) and write the before/after images.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkFiles } from '../../../compiler/check.js';
import { renderDiagnostics } from '../../../compiler/diagnostics/render.js';
import { lookup } from '../../../compiler/resolve/resolve.js';
import { taskKind } from '../../../compiler/resolve/task-schema.js';
import { elaborateTarget } from '../../../compiler/spaces/elaborate.js';
import { GpuDevice, INSTALL_HINT } from '../../device/index.js';
import { IMAGE_SIDE } from '../../inr/images.js';
import { writeImageGrid } from '../../inr/png.js';
import { inrEditingConfig } from '../../tasks/inr-editing/config.js';
import { editInr } from '../../tasks/inr-editing/edit.js';
import { loadTrainedNet, TrainedParamsError } from '../../verify/trained.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../command.js';
import { reportFailure } from '../failure.js';

export const editCommand: Command = {
  name: 'edit',
  summary: 'apply a trained INR editor to a test INR or to an INR fitted to your image, and write the images',
  usage: [
    'usage: gmn edit FILE --editor DIR (--inr N | --image IMAGE.png) --out DIR [--task NAME] [--preset NAME]',
    '',
    'FILE is the .gmn file whose INR-editing task trained the editor in DIR (a folder',
    '<run>/trained/<edit>_<model>_lr<lr>-n<train>-s<seed>.ckpt written by `gmn run`). The editor is',
    'applied to test INR N of its benchmark, or to an INR fitted here to IMAGE.png (28×28; colour is',
    'taken as luminance) as the benchmark\'s INRs were fitted; it reads θ and, as in training, the',
    'gradients of the editing loss at the task\'s fixed pixels toward the edited image. Writes to DIR:',
    '  before.png  the INR as fitted      after.png  the edited INR θ + Δθ',
    '  target.png  the edited image       edit.png   the three side by side',
    '  edit.json   the MSE of before and after against the target, and θ + Δθ',
    '',
    'options:',
    '  --editor DIR   the trained editor',
    '  --inr N        a test INR of the benchmark (0-based)',
    '  --image FILE   a 28×28 PNG to fit an INR to and edit',
    '  --out DIR      where the images go',
    '  --task NAME    which task of FILE (default: its only INR-editing task)',
    '  --preset NAME  the preset the editor was trained with (default: the one recorded in its run directory)',
    '',
    'exit codes: 0 ok, 1 errors in the input or data, 2 usage error',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseCommandArgs(this, argv, {
      editor: { type: 'string' }, inr: { type: 'string' }, image: { type: 'string' }, out: { type: 'string' },
      task: { type: 'string' }, preset: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one .gmn file', this);
    if (values.editor === undefined || values.out === undefined) throw new UsageError('--editor DIR and --out DIR are required', this);
    if ((values.inr === undefined) === (values.image === undefined)) throw new UsageError('give one of --inr N and --image FILE', this);
    const index = values.inr === undefined ? 0 : Number(values.inr);
    if (!Number.isInteger(index) || index < 0) throw new UsageError(`--inr must be a non-negative integer, not \`${values.inr}\``, this);
    const checked = checkFiles(positionals);
    if (checked.diagnostics.length > 0) process.stderr.write(renderDiagnostics(checked.diagnostics, checked.sources));
    if (checked.diagnostics.some((d) => d.severity === 'error')) return EXIT.diagnostics;
    const root = checked.program.roots[0]!;
    const tasks = [...root.symbols.tasks.values()].filter((t) => taskKind(t.fields)?.name === 'inr_editing' && (values.task === undefined || t.name.name === values.task));
    if (tasks.length !== 1) throw new UsageError(`${positionals[0]} has ${tasks.length === 0 ? 'no' : 'several'} INR-editing task${values.task === undefined ? '' : ` \`${values.task}\``}${tasks.length > 1 ? '; pick one with --task' : ''}`, this);
    const task = tasks[0]!;
    try {
      const trained = loadTrainedNet({ program: checked.program, module: root, task, dir: values.editor, ...(values.preset === undefined ? {} : { preset: values.preset }) });
      const config = inrEditingConfig(task, trained.preset);
      const info = JSON.parse(readFileSync(join(values.editor, 'editor.json'), 'utf8')) as { edit?: unknown };
      const edit = config.edits.find((e) => e.label === info.edit);
      if (edit === undefined) throw new TrainedParamsError(`${values.editor}/editor.json names no edit of the task`, 'pass an editor folder written by this task\'s `gmn run`');
      const sym = lookup(root, config.target);
      const layout = sym?.kind === 'target' ? elaborateTarget(sym.decl) : null;
      if (layout === null || !layout.ok) throw new UsageError(`the task's target \`${config.target}\` does not elaborate`, this);
      const gpu = await GpuDevice.open({ throttlePolling: true });
      if (gpu === null) {
        process.stderr.write(`gmn edit: error: no WebGPU adapter found (INRs are fitted on the device). ${INSTALL_HINT}\n`);
        return EXIT.diagnostics;
      }
      const outcome = await editInr({
        gpu, layout: layout.value, config, edit, graph: trained.graph, inst: trained.inst, params: trained.params,
        source: values.image === undefined ? { kind: 'test', index } : { kind: 'image', path: values.image },
      });
      gpu.destroy();
      const out = resolve(values.out);
      mkdirSync(out, { recursive: true });
      const image = (a: Float64Array): Float32Array => Float32Array.from(a);
      writeImageGrid(join(out, 'before.png'), [[image(outcome.before)]], IMAGE_SIDE, { scale: 4, gap: 0 });
      writeImageGrid(join(out, 'after.png'), [[image(outcome.after)]], IMAGE_SIDE, { scale: 4, gap: 0 });
      writeImageGrid(join(out, 'target.png'), [[image(outcome.target)]], IMAGE_SIDE, { scale: 4, gap: 0 });
      writeImageGrid(join(out, 'edit.png'), [[image(outcome.before), image(outcome.after), image(outcome.target)]], IMAGE_SIDE, { scale: 4 });
      writeFileSync(join(out, 'edit.json'), `${JSON.stringify({ editor: trained.model, edit: edit.label, mseBefore: outcome.mseBefore, mseAfter: outcome.mseAfter, edited: [...outcome.edited] })}\n`);
      process.stdout.write(`${trained.model} on ${edit.label}: MSE to the edited image ${outcome.mseBefore.toPrecision(4)} before, ${outcome.mseAfter.toPrecision(4)} after; images in ${out}\n`);
      return EXIT.ok;
    } catch (e) {
      return reportFailure(e, this.name, checked.sources);
    }
  },
};
