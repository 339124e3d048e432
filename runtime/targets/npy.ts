// NumPy's .npy format (version 1.0), so a Python user can `numpy.load` what gmn writes:
//   "\x93NUMPY" 0x01 0x00, header length (uint16 LE), an ASCII dict
//   {'descr': '<f4', 'fortran_order': False, 'shape': (b, N, 2), } padded with spaces to a
//   64-byte boundary and ended by '\n', then the data, little-endian, C order.
import { readFileSync, writeFileSync } from 'node:fs';
import { HintedError } from '../util/hinted-error.js';

export type NpyDtype = 'float32' | 'float64' | 'int32';

const DESCR: Record<NpyDtype, string> = { float32: '<f4', float64: '<f8', int32: '<i4' };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00];
const PREAMBLE = MAGIC.length + 2;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array;
}

/** The .npy bytes of `values` (converted to `dtype`) with the given shape. */
export function encodeNpy(values: ArrayLike<number>, shape: readonly number[], dtype: NpyDtype): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`internal: npy shape [${shape.join(', ')}] holds ${count} values, not ${values.length}`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const total = Math.ceil((PREAMBLE + header.length + 1) / 64) * 64;
  header = header.padEnd(total - PREAMBLE - 1, ' ') + '\n';
  const itemSize = dtype === 'float64' ? 8 : 4;
  const out = new Uint8Array(total + count * itemSize);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint16(MAGIC.length, header.length, true);
  for (let i = 0; i < header.length; i++) out[PREAMBLE + i] = header.charCodeAt(i);
  for (let i = 0; i < count; i++) {
    const at = total + i * itemSize;
    if (dtype === 'float64') view.setFloat64(at, values[i]!, true);
    else if (dtype === 'float32') view.setFloat32(at, values[i]!, true);
    else view.setInt32(at, values[i]!, true);
  }
  return out;
}

export function writeNpy(file: string, values: ArrayLike<number>, shape: readonly number[], dtype: NpyDtype): void {
  writeFileSync(file, encodeNpy(values, shape, dtype));
}

/** Reads back what `encodeNpy` writes (little-endian, C order, the three dtypes above). */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (!MAGIC.slice(0, 6).every((b, i) => bytes[i] === b)) throw new Error('not a .npy file (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint16(MAGIC.length, true);
  const header = String.fromCharCode(...bytes.subarray(PREAMBLE, PREAMBLE + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const dtype = (Object.keys(DESCR) as NpyDtype[]).find((k) => DESCR[k] === descr);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (dtype === undefined || shapeText === undefined || /True/.test(header)) throw new Error(`unsupported .npy header: ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = PREAMBLE + headerLength;
  const data = dtype === 'float64' ? new Float64Array(count) : dtype === 'float32' ? new Float32Array(count) : new Int32Array(count);
  const itemSize = dtype === 'float64' ? 8 : 4;
  for (let i = 0; i < count; i++) {
    const at = start + i * itemSize;
    data[i] = dtype === 'float64' ? view.getFloat64(at, true) : dtype === 'float32' ? view.getFloat32(at, true) : view.getInt32(at, true);
  }
  return { dtype, shape, data };
}

/** One .npy file as float64 values with its shape; a file that is not a float array is refused by name. */
export function readNpyTensor(file: string): { shape: number[]; values: Float64Array } {
  let array;
  try {
    array = decodeNpy(readFileSync(file));
  } catch (e) {
    throw new HintedError(`${file} is not a readable .npy array: ${e instanceof Error ? e.message : String(e)}`,
      'write it with numpy.save as a C-ordered float32 or float64 array');
  }
  if (array.dtype === 'int32') throw new HintedError(`${file} holds int32 values; gmn expects a float array`, 'convert it with .astype(numpy.float32) before saving');
  return { shape: array.shape, values: Float64Array.from(array.data) };
}
