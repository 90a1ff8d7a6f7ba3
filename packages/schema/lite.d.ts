// The `@canopy/schema/lite` entry point: see src/lite.ts.
export * from './dist/lite';
