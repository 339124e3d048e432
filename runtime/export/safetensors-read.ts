// Reading safetensors files (the format safetensors.ts writes; huggingface/safetensors' published
// specification): an 8-byte little-endian header length, a JSON header of
// `name: {dtype, shape, data_offsets}`, then the data. Floating-point tensors only (F64, F32, F16,
// BF16), returned in float64; every problem names the file.
import { HintedError } from '../util/hinted-error.js';

export interface ReadTensor {
  shape: number[];
  values: Float64Array;
}

const ITEM_SIZE: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** Every tensor of a safetensors file's bytes, by name (`__metadata__` is skipped). `file` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, file: string): Map<string, ReadTensor> {
  const bad = (what: string): HintedError => new HintedError(`${file} is not a readable safetensors file: ${what}`,
    'write it with safetensors.torch.save_file(model.state_dict(), path) (or save each tensor with numpy.save)');
  if (bytes.length < 8) throw bad('it is shorter than the 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw bad(`its header length ${headerLength} runs past the end of the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (e) {
    throw bad(`its header is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const dataStart = 8 + headerLength;
  const out = new Map<string, ReadTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) throw bad(`tensor \`${name}\` has no dtype, shape and data_offsets`);
    const size = ITEM_SIZE[dtype];
    if (size === undefined) {
      throw new HintedError(`${file}: tensor \`${name}\` is ${dtype}; gmn reads floating-point tensors (F64, F32, F16, BF16)`, 'convert the weights to float32 before saving (model.float())');
    }
    const dims = shape.map(Number);
    const count = dims.reduce((a, b) => a * b, 1);
    const [begin, end] = offsets.map(Number) as [number, number];
    if (!(end - begin === count * size && dataStart + end <= bytes.length)) throw bad(`tensor \`${name}\` of shape [${dims.join(', ')}] does not match its data_offsets [${begin}, ${end}]`);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = readItem(view, dataStart + begin + i * size, dtype);
    out.set(name, { shape: dims, values });
  }
  return out;
}

function readItem(view: DataView, at: number, dtype: string): number {
  switch (dtype) {
    case 'F64': return view.getFloat64(at, true);
    case 'F32': return view.getFloat32(at, true);
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const scratch = new DataView(new ArrayBuffer(4));
      scratch.setUint16(0, view.getUint16(at, true), false);
      return scratch.getFloat32(0, false);
    }
    default: return halfToNumber(view.getUint16(at, true));
  }
}

/** IEEE 754 binary16 → number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
