// The safetensors format (huggingface/safetensors, the weights format of the PyTorch and JAX
// ecosystems), written from its published specification:
//   8 bytes        N, the header's length, unsigned 64-bit little-endian
//   N bytes        a UTF-8 JSON object: for each tensor `name: {dtype, shape, data_offsets: [begin, end]}`
//                  (byte offsets into the data section), and `__metadata__`, a map of strings;
//                  padded with spaces so that the data starts 8-byte aligned
//   the data       every tensor's values, little-endian, C order, back to back with no holes
export type SafetensorsDtype = 'F32' | 'F64';

export interface NamedTensor {
  name: string;
  shape: readonly number[];
  values: ArrayLike<number>;
}

const ITEM_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F64: 8 };

/** The file's bytes: `tensors` in the order given, stored as `dtype`, with string `metadata`. */
export function encodeSafetensors(tensors: readonly NamedTensor[], dtype: SafetensorsDtype, metadata: Readonly<Record<string, string>>): Uint8Array {
  const size = ITEM_SIZE[dtype];
  const header: Record<string, unknown> = { __metadata__: metadata };
  let end = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.values.length) throw new Error(`internal: tensor ${t.name} of shape [${t.shape.join(', ')}] holds ${t.values.length} values`);
    if (t.name in header) throw new Error(`internal: tensor name ${t.name} is used twice`);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [end, end + count * size] };
    end += count * size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + end);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of tensors) {
    for (let i = 0; i < t.values.length; i++, at += size) {
      if (dtype === 'F64') view.setFloat64(at, t.values[i]!, true);
      else view.setFloat32(at, t.values[i]!, true);
    }
  }
  return out;
}
