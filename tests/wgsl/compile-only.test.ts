// Every generated kernel compiles and validates on Dawn's null backend (no GPU, no Vulkan needed):
// Tint parses and type-checks the WGSL and the pipeline is validated against its explicit layout.
import { afterAll, describe, expect, it } from 'vitest';
import { kernelCatalog } from '../../compiler/wgsl/catalog.js';
import { GpuDevice, KernelError } from '../../runtime/device/index.js';
import { pipelineOf } from '../../runtime/gpu/launch.js';

const gpu = await GpuDevice.open({ checked: true, compileOnly: true });
if (gpu === null) console.warn('SKIPPED: Dawn offers no backend=null adapter here, so generated kernels are not compile-checked');
afterAll(() => gpu?.destroy());

describe.skipIf(gpu === null)('compile-only (backend=null)', () => {
  it('the null adapter is the compile-only one', () => {
    expect(gpu!.description.path).toBe('null-backend');
  });

  it('every kernel family compiles and validates', async () => {
    const kernels = kernelCatalog();
    expect(kernels.length).toBeGreaterThan(30);
    for (const kernel of kernels) await pipelineOf(gpu!, kernel);
    expect(gpu!.pipelines.size).toBe(kernels.length);
  });

  it('an invalid kernel is an error naming the line, not silent garbage', async () => {
    const bad = { ...kernelCatalog()[0]!, name: 'bad', source: kernelCatalog()[0]!.source.replace('let c = i % u.d3;', 'let c = i % u.nope;') };
    await expect(pipelineOf(gpu!, bad)).rejects.toThrow(KernelError);
    await expect(pipelineOf(gpu!, bad)).rejects.toThrow(/bad\.wgsl:\d+:\d+: .*nope/);
  });
});
