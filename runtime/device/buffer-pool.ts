// Reuses GPU buffers across steps: creating and destroying buffers every step costs more than the
// kernels themselves on lavapipe. Buffers are bucketed by usage and a size rounded up to a power of
// two (at least 256 bytes), so a released buffer serves any later request of the same class.

const MIN_BYTES = 256;

export function sizeClass(bytes: number): number {
  let size = MIN_BYTES;
  while (size < bytes) size *= 2;
  return size;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly owned = new Set<GPUBuffer>();
  /** Counters for tests and `--profile`: how often a request was served from the free lists. */
  created = 0;
  reused = 0;

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number, usage: GPUBufferUsageFlags, label = 'gmn'): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(key(size, usage));
    const buffer = list?.pop();
    if (buffer !== undefined) {
      this.reused++;
      return buffer;
    }
    this.created++;
    const created = this.device.createBuffer({ size, usage, label });
    this.owned.add(created);
    return created;
  }

  release(buffer: GPUBuffer): void {
    if (!this.owned.has(buffer)) throw new Error('internal: releasing a buffer the pool does not own');
    const k = key(buffer.size, buffer.usage);
    const list = this.free.get(k);
    if (list === undefined) this.free.set(k, [buffer]);
    else list.push(buffer);
  }

  destroyAll(): void {
    for (const buffer of this.owned) buffer.destroy();
    this.owned.clear();
    this.free.clear();
  }
}

function key(size: number, usage: GPUBufferUsageFlags): string {
  return `${usage}:${size}`;
}
