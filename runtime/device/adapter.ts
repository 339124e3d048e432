// Adapter policy (webgpu-on-cpu recipe §9): a hardware GPU or lavapipe through Dawn's default
// Vulkan path, else llvmpipe through GLES in compatibility mode, else nothing — and then callers fall
// back to the float64 reference executor with a warning that names the install step.
import { create, globals } from 'webgpu';
import { withoutNativeChatter } from './native-chatter.js';

export type AdapterPath = 'gpu' | 'lavapipe' | 'gles-compat' | 'null-backend';

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

/** The exact step that gives a Debian 12 machine a WebGPU adapter. */
export const INSTALL_HINT =
  'install lavapipe (Mesa >= 25) from bookworm-backports: add bookworm-backports to the apt sources, then ' +
  '`apt-get install -y libvulkan1 && apt-get install -y -t bookworm-backports mesa-vulkan-drivers` ' +
  '(.ci/run does both)';

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

let globalsInstalled = false;

/** GPUBufferUsage, GPUMapMode, ... are plain globals in a browser; dawn.node hands them out. */
export function installWebGpuGlobals(): void {
  if (globalsInstalled) return;
  Object.assign(globalThis, globals);
  globalsInstalled = true;
}

/**
 * Tries the policy's paths in order and returns the first adapter, or null when there is none.
 * `compileOnly` asks for Dawn's `backend=null` adapter: it validates WGSL but never runs it.
 */
export async function findAdapter(options: { compileOnly?: boolean } = {}): Promise<FoundAdapter | null> {
  installWebGpuGlobals();
  if (options.compileOnly === true) return tryPath(['backend=null'], 'null', {});
  const core = await tryPath([], 'default', {});
  if (core !== null) return core;
  // The GL fallback only finds a display-less EGL with the surfaceless platform.
  process.env['EGL_PLATFORM'] ??= 'surfaceless';
  return tryPath(['backend=opengles'], 'opengles', { featureLevel: 'compatibility' });
}

async function tryPath(flags: string[], backend: string, request: GPURequestAdapterOptions): Promise<FoundAdapter | null> {
  return withoutNativeChatter(async () => {
    const gpu = create(flags);
    const adapter = await gpu.requestAdapter(request);
    if (adapter === null) return null;
    return { gpu, adapter, description: describe(adapter, backend) };
  });
}

function describe(adapter: GPUAdapter, backend: string): AdapterDescription {
  const info = adapter.info;
  const features = [...adapter.features].map(String).sort();
  const limits: Record<string, number> = {};
  for (const name of KEY_LIMITS) limits[name] = adapter.limits[name];
  const compat = !adapter.features.has('core-features-and-limits');
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const path: AdapterPath =
    backend === 'null' ? 'null-backend'
    : backend === 'opengles' ? 'gles-compat'
    : /llvmpipe|lavapipe|swiftshader|software/.test(text) ? 'lavapipe'
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
