// The entry asc resolves for `import ... from "@funless/sdk-assemblyscript"` (it looks for the
// package's index.ts); the sources live in assembly/.
export * from './assembly/index';
