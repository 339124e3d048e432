// Optional polling throttle for dawn.node (webgpu-on-cpu recipe §6).
//
// While a WebGPU promise is pending, dawn.node re-arms a device tick through `setImmediate`: a busy
// loop that takes one of lavapipe's cores. This shim hands Dawn's tick callbacks (anonymous native
// functions) to the real `setImmediate` for the first millisecond of a polling chain, so short round
// trips stay fast, then to `setTimeout(0)`, which polls about once per millisecond and frees the
// core. A chain ends when a tick runs without re-arming; the next chain starts fast again. Every
// other caller of `setImmediate` is untouched. It depends on dawn.node internals, so it is opt-in.

const FAST_WINDOW_MS = 1;

let installed: { restore: () => void } | null = null;

function isDawnTick(fn: unknown): boolean {
  return typeof fn === 'function' && fn.name === '' && Function.prototype.toString.call(fn).includes('[native code]');
}

export function installPollingThrottle(): void {
  if (installed !== null) return;
  const realSetImmediate = globalThis.setImmediate;
  let chainStart = -1;
  let rearmed = false;
  const throttled = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (!isDawnTick(callback)) return realSetImmediate(callback, ...args);
    rearmed = true;
    const now = performance.now();
    if (chainStart < 0) chainStart = now;
    const run = (): void => {
      rearmed = false;
      callback(...args);
      if (!rearmed) chainStart = -1;
    };
    if (now - chainStart < FAST_WINDOW_MS) return realSetImmediate(run);
    return setTimeout(run, 0) as unknown as NodeJS.Immediate;
  }) as typeof setImmediate;
  globalThis.setImmediate = Object.assign(throttled, { __promisify__: realSetImmediate.__promisify__ });
  installed = { restore: () => { globalThis.setImmediate = realSetImmediate; } };
}

export function removePollingThrottle(): void {
  installed?.restore();
  installed = null;
}

export function pollingThrottleInstalled(): boolean {
  return installed !== null;
}
