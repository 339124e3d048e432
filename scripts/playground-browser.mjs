// Headless Debian chromium with WebGPU, driven by puppeteer-core: the browser of the playground's
// end-to-end test (tests/playground/e2e.test.ts) and of its screenshot (playground-screenshot.mjs).
// With these flags chromium 156 gives WebGPU compute through SwiftShader (adapter "google
// swiftshader") on a machine without a GPU; no other flag was needed (docs/playground.md).
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = process.env.GMN_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu'];

/** Why the browser cannot be launched here, or null when it can. */
export function chromiumMissing() {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (scripts/setup.sh installs Debian's chromium)`;
}

export function launchChromium() {
  // A wait for a training run to finish is one DevTools call: allow it as long as the test allows the run.
  return puppeteer.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, defaultViewport: { width: 1400, height: 860 }, protocolTimeout: 1_800_000 });
}
