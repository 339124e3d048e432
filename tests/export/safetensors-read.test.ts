// Reading safetensors (a user's weights for `gmn predict`): what encodeSafetensors writes reads back
// exactly; F16 and BF16 tensors (hand-made bytes) decode to the values numpy and PyTorch give; a
// damaged file or a non-float tensor is refused with the file named.
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../runtime/export/safetensors-read.js';
import { encodeSafetensors } from '../../runtime/export/safetensors.js';

/** A safetensors file with one tensor of raw little-endian 16-bit words. */
function halfFile(dtype: 'F16' | 'BF16', words: number[]): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ w: { dtype, shape: [words.length], data_offsets: [0, 2 * words.length] } }));
  const out = new Uint8Array(8 + header.length + 2 * words.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  words.forEach((w, i) => view.setUint16(8 + header.length + 2 * i, w, true));
  return out;
}

describe('decodeSafetensors', () => {
  it('reads back what encodeSafetensors writes, F64 exactly and F32 rounded', () => {
    const values = [0.1, -2.5, 1e-30, 3];
    for (const dtype of ['F64', 'F32'] as const) {
      const bytes = encodeSafetensors([{ name: '0.weight', shape: [2, 2], values }, { name: '0.bias', shape: [2], values: [1, 2] }], dtype, { note: 'x' });
      const read = decodeSafetensors(bytes, 'w.safetensors');
      expect([...read.keys()]).toEqual(['0.weight', '0.bias']);
      expect(read.get('0.weight')!.shape).toEqual([2, 2]);
      expect([...read.get('0.weight')!.values]).toEqual(dtype === 'F64' ? values : values.map(Math.fround));
    }
  });

  it('decodes F16 and BF16', () => {
    // numpy.float16: 1.5 = 0x3e00, -2 = 0xc000, 2^-24 (smallest subnormal) = 0x0001, 65504 = 0x7bff.
    expect([...decodeSafetensors(halfFile('F16', [0x3e00, 0xc000, 0x0001, 0x7bff]), 'h').get('w')!.values]).toEqual([1.5, -2, 2 ** -24, 65504]);
    // torch.bfloat16: the top half of a float32: 1.5 = 0x3fc0, -2 = 0xc000, 3.140625 = 0x4049.
    expect([...decodeSafetensors(halfFile('BF16', [0x3fc0, 0xc000, 0x4049]), 'b').get('w')!.values]).toEqual([1.5, -2, 3.140625]);
  });

  it('refuses a damaged file or an integer tensor, naming the file', () => {
    expect(() => decodeSafetensors(new Uint8Array(4), 'short.safetensors')).toThrow(/short.safetensors is not a readable safetensors file: it is shorter/);
    const bad = halfFile('F16', [0x3e00]);
    new DataView(bad.buffer).setBigUint64(0, 10_000n, true);
    expect(() => decodeSafetensors(bad, 'long.safetensors')).toThrow(/long.safetensors .*runs past the end/);
    const ints = new TextEncoder().encode(JSON.stringify({ n: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }));
    const file = new Uint8Array(8 + ints.length + 8);
    new DataView(file.buffer).setBigUint64(0, BigInt(ints.length), true);
    file.set(ints, 8);
    expect(() => decodeSafetensors(file, 'ints.safetensors')).toThrow(/ints.safetensors: tensor `n` is I64/);
  });
});
