// Types of build-playground.mjs, for the TypeScript tests that build the site.
export declare function buildPlayground(options?: { outdir?: string }): Promise<{ outdir: string; sizes: Record<string, number> }>;
