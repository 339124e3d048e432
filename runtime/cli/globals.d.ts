// Defined by esbuild (scripts/build.mjs) from package.json; absent when sources run under vitest.
declare const GMN_VERSION: string | undefined;
// The commit the bundle was built from (`+dirty` with uncommitted changes; null outside a git checkout).
declare const GMN_BUILD_COMMIT: string | null | undefined;
