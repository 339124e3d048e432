// The IDX format of the MNIST family (yann.lecun.com/exdb/mnist): a big-endian header — two zero
// bytes, a type code (0x08 = unsigned byte), the number of dimensions — the dimensions as 32-bit
// big-endian integers, then the data. Files may be gzip-compressed (as Debian ships them).
import { gunzipSync } from 'node:zlib';
import { DataError } from '../targets/errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an unsigned-byte IDX file (gzip-compressed or not); `name` is for messages. */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  const bad = (why: string) => new DataError('data/bad-idx', `${name} is not an IDX file of bytes: ${why}`, 'reinstall the package that provides it');
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) throw bad('no IDX magic number');
  if (raw[2] !== 0x08) throw bad(`element type 0x${raw[2]!.toString(16)}, not unsigned byte (0x08)`);
  const rank = raw[3]!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.length < 4 + 4 * rank) throw bad('truncated header');
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (raw.length !== start + size) throw bad(`${raw.length - start} data bytes for dimensions [${dims.join(', ')}] (${size} expected)`);
  return { dims, data: raw.subarray(start) };
}
