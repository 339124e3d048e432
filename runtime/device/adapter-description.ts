// What the runtime knows of a WebGPU adapter, wherever it came from (Dawn in Node through
// adapter.ts's policy, or a browser's navigator.gpu): the path it represents, its identity, its
// key limits. Browser-safe.

/** `lavapipe`: Mesa's Vulkan on the CPU; `software`: another CPU implementation (a browser's SwiftShader). */
export type AdapterPath = 'gpu' | 'lavapipe' | 'software' | 'gles-compat' | 'null-backend';

export interface AdapterDescription {
  path: AdapterPath;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** The Dawn backend flag the adapter was found with (`default` = Dawn's own choice). */
  backend: string;
  featureLevel: 'core' | 'compatibility';
  features: string[];
  limits: Record<string, number>;
}

/** What a caller gets: the adapter and the `GPU` object that must stay referenced with it (pitfall 2). */
export interface FoundAdapter {
  gpu: GPU;
  adapter: GPUAdapter;
  description: AdapterDescription;
}

const KEY_LIMITS = [
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

/** `backend`: the Dawn backend flag the adapter was found with (`default`, `null`, `opengles`; `browser` for navigator.gpu). */
export function describeAdapter(adapter: GPUAdapter, backend: string): AdapterDescription {
  const info = adapter.info;
  const features = [...adapter.features].map(String).sort();
  const limits: Record<string, number> = {};
  for (const name of KEY_LIMITS) limits[name] = adapter.limits[name];
  const compat = !adapter.features.has('core-features-and-limits');
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const path: AdapterPath =
    backend === 'null' ? 'null-backend'
    : backend === 'opengles' ? 'gles-compat'
    : /llvmpipe|lavapipe/.test(text) ? 'lavapipe'
    : /swiftshader|software/.test(text) ? 'software'
    : 'gpu';
  return {
    path,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    backend,
    featureLevel: compat ? 'compatibility' : 'core',
    features,
    limits,
  };
}

/**
 * What runs the models, as logs, reports and results.json name it: `WebGPU lavapipe: llvmpipe (LLVM 19.1.7,
 * 256 bits)`. Browsers may leave the description empty (SwiftShader does): the vendor and architecture then.
 */
export function deviceLabel(d: AdapterDescription): string {
  const identity = d.description !== '' ? d.description : [d.vendor, d.architecture, d.device].filter((part) => part !== '').join(' ');
  return `WebGPU ${d.path}: ${identity || 'unnamed adapter'}`;
}
