import { existsSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

/**
 * Defers the dependencies' dependencies that the node engine never calls at idle (issue 14 §5).
 * Each is a module whose exports are only *called* (never read at load time) and only on a path
 * Canopy does not take in normal operation:
 *
 * - `docker-modem/lib/ssh.js` (ssh2, asn1, bcrypt-pbkdf, tweetnacl): only for an `ssh://` DOCKER_HOST,
 *   which Canopy never builds (unix socket or tcp only, see dockerOptionsFromHost);
 * - `dockerode/lib/session.js` (@grpc/grpc-js, @grpc/proto-loader, protobufjs): only for BuildKit
 *   builds (`buildImage` with version 2), which Canopy never starts;
 * - mqtt's `worker-timers` (@babel/runtime, fast-unique-numbers, broker-factory): browser keepalive
 *   timers; under Node.js mqtt takes its native timer;
 * - class-validator's `libphonenumber-js/max`: only for `@IsPhoneNumber`, which no schema class uses;
 * - mqtt's WebSocket transport (`connect/ws.js`: ws) and SOCKS proxying (`connect/socks.js`: socks,
 *   ip-address, smart-buffer): the engine dials `mqtt://` or `mqtts://` and sets no SOCKS proxy
 *   (mqtt only takes one from MQTTJS_SOCKS_PROXY, then loads it on connect, as before);
 * - dockerode's `tar-fs` (tar-stream, chownr, mkdirp-classic): only to pack a build context
 *   (`buildImage`) or a `putArchive` directory, neither of which Canopy calls.
 *
 * Each is replaced in `require.cache`, before its parent loads it, by a stand-in whose functions
 * load the real module on their first call and forward to it: behaviour is unchanged, only the
 * loading moves from start-up to first use. Must be imported before dockerode, mqtt and the schema.
 * When a path cannot be resolved (another version laid out differently, or a test runner with its
 * own module registry) nothing is deferred and the modules load eagerly, as before.
 */
export interface DeferredModule {
  parent: string;
  /** Relative to the parent's main file; '' for the main file itself. */
  file: string;
  shape: Shape;
}
/**
 * What the parent reads off the module at load time: one function, or an object of functions;
 * `esModule` for TypeScript output its importer reads through `__importDefault` (`.default`).
 */
type Shape = 'function' | readonly string[] | { esModule: readonly string[] };

export const DEFERRED_MODULES: readonly DeferredModule[] = [
  { parent: 'dockerode', file: 'session.js', shape: 'function' },
  { parent: 'docker-modem', file: 'ssh.js', shape: 'function' },
  { parent: 'worker-timers', file: '', shape: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] },
  { parent: 'libphonenumber-js/max', file: '', shape: ['parsePhoneNumber'] },
  { parent: 'mqtt', file: 'lib/connect/ws.js', shape: ['streamBuilder', 'browserStreamBuilder'] },
  { parent: 'mqtt', file: 'lib/connect/socks.js', shape: { esModule: ['default'] } },
  { parent: 'tar-fs', file: '', shape: ['pack', 'extract'] },
];

/** A property set on each stand-in module in `require.cache`. */
export const DEFERRED_MARK = 'deferredUntilFirstUse';

/** Where each parent is resolved from: the package that requires it. */
function resolveFrom(parent: string): string | undefined {
  const here = [__dirname];
  const schemaDir = path.dirname(require.resolve('@canopy/schema/package.json', { paths: here }));
  const dockerode = require.resolve('dockerode', { paths: here });
  const from: Record<string, string[]> = {
    dockerode: here,
    'docker-modem': [path.dirname(dockerode)],
    'tar-fs': [path.dirname(dockerode)],
    mqtt: here,
    'worker-timers': [path.dirname(require.resolve('mqtt', { paths: here }))],
    'libphonenumber-js/max': [path.dirname(require.resolve('class-validator', { paths: [schemaDir] }))],
  };
  const paths = from[parent];
  return paths === undefined ? undefined : require.resolve(parent, { paths });
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

function defer(file: string, shape: Shape): void {
  const cache = require.cache;
  if (cache[file] !== undefined || !existsSync(file)) {
    return;
  }
  let real: unknown;
  const load = (): Record<string, AnyFunction> & AnyFunction => {
    if (real === undefined) {
      delete cache[file];
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deferred load itself
      real = require(file) as unknown;
    }
    return real as Record<string, AnyFunction> & AnyFunction;
  };
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  // Marks the stand-in, so a module listing (the footprint test) can tell it from the real module.
  Object.defineProperty(stub, DEFERRED_MARK, { value: true });
  if (shape === 'function') {
    stub.exports = function deferred(this: unknown, ...args: unknown[]): unknown {
      return load().apply(this, args);
    };
  } else {
    const names = 'esModule' in shape ? shape.esModule : shape;
    stub.exports = Object.fromEntries(
      names.map((name) => [
        name,
        function deferred(this: unknown, ...args: unknown[]): unknown {
          const fn = load()[name];
          if (typeof fn !== 'function') {
            throw new TypeError(`${file} has no function ${name}`);
          }
          return fn.apply(this, args);
        },
      ]),
    );
    if ('esModule' in shape) {
      Object.defineProperty(stub.exports, '__esModule', { value: true });
    }
  }
  cache[file] = stub;
}

export function deferUnusedModules(): void {
  for (const { parent, file, shape } of DEFERRED_MODULES) {
    try {
      const main = resolveFrom(parent);
      if (main !== undefined) {
        defer(file === '' ? main : path.join(path.dirname(main), file), shape);
      }
    } catch {
      // Not resolvable here: that module simply loads eagerly (see above).
    }
  }
}

deferUnusedModules();
