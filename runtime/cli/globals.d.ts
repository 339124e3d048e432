// Defined by esbuild (scripts/build.mjs) from package.json; absent when sources run under vitest.
declare const GMN_VERSION: string | undefined;
