// A user's MLP weights in PyTorch's state_dict naming, mapped onto a target's parameter layout.
//
// An `nn.Sequential(Linear, act, Linear, act, …, Linear)` names its layers by position, activations
// included, so linear layer l (1-based) is module 2(l − 1):
//   `0.weight` [d_1, d_0] → W1    `0.bias` [d_1] → b1
//   `2.weight` [d_2, d_1] → W2    `2.bias` [d_2] → b2     … (layout order: W1, b1, W2, b2, …)
// PyTorch's Linear stores weight as [out, in], which is the layout's W_l row-major, so values are
// copied as they are. A common prefix (`model.0.weight` from a wrapped module) is accepted.
// Weights come as one .safetensors file or a folder of .npy files named after the tensors
// (`0.weight.npy`). Activations are not in a state_dict: they are the target's, by declaration.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetLayout } from '../../compiler/spaces/target.js';
import { decodeSafetensors, type ReadTensor } from '../export/safetensors-read.js';
import { readNpyTensor } from '../targets/npy.js';
import { HintedError } from '../util/hinted-error.js';

/** Every tensor of a .safetensors file, or of a folder of `<name>.npy` files, by name. */
export function readStateDict(path: string): Map<string, ReadTensor> {
  if (!existsSync(path)) {
    throw new HintedError(`the weights ${path} are not there`, 'pass a .safetensors file or a folder of <tensor name>.npy files (e.g. 0.weight.npy)');
  }
  if (!statSync(path).isDirectory()) {
    if (!path.endsWith('.safetensors')) {
      throw new HintedError(`cannot read weights from ${path}: gmn reads a .safetensors file or a folder of .npy files`,
        'save a state_dict with safetensors.torch.save_file, or each tensor with numpy.save(f"{name}.npy", t) into one folder');
    }
    return decodeSafetensors(readFileSync(path), path);
  }
  const files = readdirSync(path).filter((f) => f.endsWith('.npy')).sort();
  if (files.length === 0) throw new HintedError(`the weights folder ${path} holds no .npy files`, 'save each tensor as <name>.npy, e.g. 0.weight.npy, 0.bias.npy, 2.weight.npy');
  return new Map(files.map((f) => [f.slice(0, -'.npy'.length), readNpyTensor(join(path, f))]));
}

/** The state_dict name of each parameter block of an MLP layout (`W2` → `2.weight`), in layout order. */
export function stateDictNames(layout: TargetLayout): { block: TargetLayout['params'][number]; name: string; shape: number[] }[] {
  return layout.params.map((block) => {
    const module = 2 * (block.rowSegment - 1);
    return block.cols === null
      ? { block, name: `${module}.bias`, shape: [block.rows] }
      : { block, name: `${module}.weight`, shape: [block.rows, block.cols] };
  });
}

/**
 * θ in the layout's order from a state_dict; a missing, misshapen or unexpected tensor is an error
 * that names it, the shape the target expects, and `source`.
 */
export function thetaFromStateDict(layout: TargetLayout, tensors: ReadonlyMap<string, ReadTensor>, source: string): Float64Array {
  if (layout.spec.kind !== 'mlp') throw new HintedError(`target ${layout.name} is a ${layout.spec.kind}; gmn predict reads MLP weights`, 'use a task whose target is an mlp(...)');
  const expected = stateDictNames(layout);
  const prefix = commonPrefix([...tensors.keys()], expected.map((e) => e.name));
  const architecture = `${layout.name} = mlp(widths: [${layout.spec.widths.join(', ')}]): nn.Sequential of ${layout.spec.widths.length - 1} Linear layers with an activation between each, tensors ${expected.map((e) => e.name).join(', ')}`;
  const theta = new Float64Array(layout.paramCount);
  for (const { block, name, shape } of expected) {
    const tensor = tensors.get(prefix + name);
    if (tensor === undefined) {
      throw new HintedError(`${source} has no tensor \`${prefix + name}\` (expected shape [${shape.join(', ')}]) for ${block.name} of target ${layout.name}`,
        `the trained model's target is ${architecture}`);
    }
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw new HintedError(`${source}: tensor \`${prefix + name}\` has shape [${tensor.shape.join(', ')}], but target ${layout.name} expects [${shape.join(', ')}] for ${block.name}`,
        `the trained model's target is ${architecture}; predict with a model trained on your network's widths`);
    }
    const bad = tensor.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new HintedError(`${source}: tensor \`${prefix + name}\` holds ${tensor.values[bad]} at flat index ${bad}`, 'the weights must be finite numbers');
    theta.set(tensor.values, block.offset);
  }
  const known = new Set(expected.map((e) => prefix + e.name));
  const extra = [...tensors.keys()].filter((k) => !known.has(k));
  if (extra.length > 0) {
    throw new HintedError(`${source} holds tensor${extra.length > 1 ? 's' : ''} ${extra.map((k) => `\`${k}\``).join(', ')} that target ${layout.name} does not have`,
      `the trained model's target is ${architecture}; a deeper or different network needs a model trained on that architecture`);
  }
  return theta;
}

/** The prefix (`''`, or e.g. `model.`) under which `names` hold the first expected name. */
function commonPrefix(names: readonly string[], expected: readonly string[]): string {
  if (names.includes(expected[0]!)) return '';
  const candidates = names.filter((n) => n.endsWith(`.${expected[0]!}`)).map((n) => n.slice(0, n.length - expected[0]!.length));
  return candidates.length === 1 ? candidates[0]! : '';
}
