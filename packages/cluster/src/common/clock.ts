import { randomBytes } from 'node:crypto';
import type { Clock as ClockPort } from '@canopy/schema';

/**
 * The shared clock shape (`@canopy/schema`) as a Nest injection token, so liveness logic can be
 * driven by tests (`FakeClock` in `@canopy/testing`).
 */
export abstract class Clock implements ClockPort {
  abstract now(): number;
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}

/** Random identifiers and secrets behind a port. */
export abstract class IdGenerator {
  /** A short url-safe id, valid as an MQTT topic level and a node id. */
  abstract nodeId(): string;
  /** A high-entropy secret (MQTT passwords, join tokens). */
  abstract secret(): string;
}

export class RandomIdGenerator extends IdGenerator {
  nodeId(): string {
    // 9 bytes → 12 base64url chars: [A-Za-z0-9_-], matching isValidNodeId. A leading '-' would look
    // like a flag on command lines, so draw again in that (rare) case.
    for (;;) {
      const id = randomBytes(9).toString('base64url');
      if (!id.startsWith('-')) {
        return id;
      }
    }
  }

  secret(): string {
    return randomBytes(24).toString('base64url');
  }
}
