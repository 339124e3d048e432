// Types of playground-browser.mjs, for the TypeScript test that imports it.
import type { Browser } from 'puppeteer-core';

export declare const CHROMIUM: string;
export declare const CHROMIUM_FLAGS: readonly string[];
export declare function chromiumMissing(): string | null;
export declare function launchChromium(): Promise<Browser>;
