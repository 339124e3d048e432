// The adapter's path and label as reports name them, from what an adapter says of itself: Dawn's
// lavapipe names itself in `description`; a browser's SwiftShader only in `vendor`/`architecture`.
import { describe, expect, it } from 'vitest';
import { describeAdapter, deviceLabel } from '../../runtime/device/adapter-description.js';

function fakeAdapter(info: Partial<GPUAdapterInfo>): GPUAdapter {
  const full = { vendor: '', architecture: '', device: '', description: '', ...info };
  return { info: full, features: new Set<string>(['core-features-and-limits']), limits: {} } as unknown as GPUAdapter;
}

describe('describeAdapter and deviceLabel', () => {
  it('names lavapipe by its description', () => {
    const d = describeAdapter(fakeAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }), 'default');
    expect(d.path).toBe('lavapipe');
    expect(deviceLabel(d)).toBe('WebGPU lavapipe: llvmpipe (LLVM 15.0.6, 256 bits)');
  });

  it('names SwiftShader a software adapter, by vendor and architecture when the description is empty', () => {
    const d = describeAdapter(fakeAdapter({ vendor: 'google', architecture: 'swiftshader' }), 'browser');
    expect(d.path).toBe('software');
    expect(deviceLabel(d)).toBe('WebGPU software: google swiftshader');
  });

  it('calls anything else a GPU', () => {
    const d = describeAdapter(fakeAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100' }), 'default');
    expect(d.path).toBe('gpu');
  });
});
