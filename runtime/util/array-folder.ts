// A content-addressed folder of float32 arrays: what the on-disk caches (curvature datasets, fitted
// INRs) store. <root>/<first 16 hex digits of SHA-256(version, key)>/ holds one `<name>.f32` per
// array (the platform's byte order, recorded) and manifest.json (format, version, key, and each
// file's shape, byte size and SHA-256). Every file is written to a temporary name and renamed, and
// the manifest is removed first and written last: a folder without a sound manifest, or with a file
// of the wrong size or checksum, is never read back. Files are read, written and hashed in chunks:
// one array may be larger than the 2 GiB Node reads or writes in one call (a scaled-up curvature
// dataset's θ: 3000 models of 1M parameters, 12.6 GB).
import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { join, resolve } from 'node:path';

/** What identifies a folder's contents: its kind (`format`), the producer's version and its key. */
export interface FolderIdentity<Key> {
  format: string;
  version: number;
  key: Key;
}

interface Manifest<Key, Name extends string> extends FolderIdentity<Key> {
  endianness: 'BE' | 'LE';
  files: Record<Name, { file: string; shape: number[]; bytes: number; sha256: string }>;
}

export type ReadArrays<Name extends string> = { ok: true; arrays: Record<Name, Float32Array> } | { ok: false; reason: string };

/** The folder of (version, key) under `root`. */
export function arrayFolder<Key>(root: string, identity: FolderIdentity<Key>): string {
  const hash = createHash('sha256').update(JSON.stringify({ version: identity.version, key: identity.key })).digest('hex').slice(0, 16);
  return resolve(root, hash);
}

/** The arrays of `dir` when its manifest matches the identity and every file its shape and checksum. */
export function readArrays<Key, Name extends string>(dir: string, identity: FolderIdentity<Key>, shapes: Record<Name, number[]>): ReadArrays<Name> {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return { ok: false, reason: 'not in the cache' };
  let manifest: Manifest<Key, Name>;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest<Key, Name>;
  } catch {
    return { ok: false, reason: 'the cached manifest is unreadable' };
  }
  if (manifest.format !== identity.format || manifest.version !== identity.version || manifest.endianness !== endianness()
    || JSON.stringify(manifest.key) !== JSON.stringify(identity.key)) {
    return { ok: false, reason: 'the cached manifest is for another version, byte order or key' };
  }
  const arrays: Partial<Record<Name, Float32Array>> = {};
  for (const name of Object.keys(shapes) as Name[]) {
    const entry = manifest.files?.[name];
    const bytes = 4 * shapes[name].reduce((x, y) => x * y, 1);
    const path = join(dir, `${name}.f32`);
    if (entry === undefined || entry.bytes !== bytes || JSON.stringify(entry.shape) !== JSON.stringify(shapes[name])) {
      return { ok: false, reason: `the cached manifest's entry for ${name} does not match` };
    }
    if (!existsSync(path)) return { ok: false, reason: `${name}.f32 is missing from the cache` };
    const size = statSync(path).size;
    if (size !== bytes) return { ok: false, reason: `${name}.f32 has ${size} bytes, expected ${bytes}` };
    const array = readFloat32(path, bytes);
    if (sha256(array) !== entry.sha256) return { ok: false, reason: `${name}.f32 does not match its checksum` };
    arrays[name] = array;
  }
  return { ok: true, arrays: arrays as Record<Name, Float32Array> };
}

/** Stores `arrays` (with their shapes) in `dir` under the identity, manifest last. */
export function writeArrays<Key, Name extends string>(dir: string, identity: FolderIdentity<Key>, shapes: Record<Name, number[]>, arrays: Record<Name, Float32Array>): void {
  mkdirSync(dir, { recursive: true });
  // The manifest goes first and comes back last: while it is absent, nothing here is trusted.
  rmSync(join(dir, 'manifest.json'), { force: true });
  const files = {} as Manifest<Key, Name>['files'];
  for (const name of Object.keys(shapes) as Name[]) {
    const array = arrays[name];
    const file = `${name}.f32`;
    writeAtomically(join(dir, file), array);
    files[name] = { file, shape: shapes[name], bytes: array.byteLength, sha256: sha256(array) };
  }
  const manifest: Manifest<Key, Name> = { ...identity, endianness: endianness(), files };
  writeAtomically(join(dir, 'manifest.json'), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
}

/** Bytes per read, write or hash update: below the 2 GiB one fs call handles (fs kIoMaxLength). */
const CHUNK_BYTES = 1 << 30;

function writeAtomically(path: string, data: ArrayBufferView): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of chunks(data)) {
      for (let done = 0; done < chunk.byteLength;) done += writeSync(fd, chunk, done);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The `bytes` bytes of a file as float32 (the caller has checked its size). */
function readFloat32(path: string, bytes: number): Float32Array {
  const array = new Float32Array(bytes / 4);
  const fd = openSync(path, 'r');
  try {
    let position = 0;
    for (const chunk of chunks(array)) {
      for (let done = 0; done < chunk.byteLength;) {
        const read = readSync(fd, chunk, done, chunk.byteLength - done, position + done);
        if (read === 0) throw new Error(`${path} ended after ${position + done} of ${bytes} bytes`);
        done += read;
      }
      position += chunk.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  return array;
}

function sha256(data: ArrayBufferView): string {
  const hash: Hash = createHash('sha256');
  for (const chunk of chunks(data)) hash.update(chunk);
  return hash.digest('hex');
}

/** Byte views of at most CHUNK_BYTES covering `data`. */
function chunks(data: ArrayBufferView): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let start = 0; start < data.byteLength; start += CHUNK_BYTES) {
    out.push(new Uint8Array(data.buffer, data.byteOffset + start, Math.min(CHUNK_BYTES, data.byteLength - start)));
  }
  return out;
}
