/**
 * Three test layers (CONVENTIONS.md): unit (pure logic, `*.spec.ts` beside the code), integration
 * (real SQLite, MQTT broker, Docker engine: `packages/x/test/*.int-spec.ts`) and end to end (the
 * tiers as separate processes: `test/e2e/*.e2e-spec.ts`), and fault injection on those processes
 * (`test/faults/*.fault-spec.ts`), and the compose files booted (`test/compose/*.compose-spec.ts`). Sources are compiled on the fly;
 * end-to-end tests start the built `dist/` entry points, so `pnpm build` runs first.
 */
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.all.json', diagnostics: false }],
};
const moduleNameMapper = {
  '^@canopy/([a-z-]+)$': '<rootDir>/packages/$1/src',
  // A second entry point (`@canopy/schema/lite`) is its source too, so classes are the same ones.
  '^@canopy/([a-z-]+)/lite$': '<rootDir>/packages/$1/src/lite',
};
const common = { rootDir: __dirname, testEnvironment: 'node', transform, moduleNameMapper };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/packages/*/src/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/packages/*/test/**/*.int-spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    // Fault injection (kill -9, SIGSTOP) against the tiers as separate processes: issue 9.
    { ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'] },
    // The compose files built and booted for real (docker-compose, images from a local base).
    { ...common, displayName: 'compose', testMatch: ['<rootDir>/test/compose/**/*.compose-spec.ts'] },
  ],
};
