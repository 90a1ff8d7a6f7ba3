import { validateInput } from '../validation/validate';
import { MAX_PORT_ENTRIES, parsePortSpec } from './port-spec';
import { SlaMicroservice } from './sla.dto';

const ms = (extra: Record<string, unknown>) => ({
  microservice_name: 'web',
  microservice_namespace: 'ns',
  virtualization: 'container',
  code: 'canopy-test/busybox:latest',
  ...extra,
});

describe('early refusals at the root (the node enforces them again)', () => {
  it(`caps port entries at ${MAX_PORT_ENTRIES}`, () => {
    const many = Array.from({ length: MAX_PORT_ENTRIES + 1 }, (_, i) => String(1000 + i)).join(';');
    expect(parsePortSpec(many)).toEqual({ ok: false, message: expect.stringContaining('more than the 16 allowed') });
    expect(parsePortSpec(many.split(';').slice(0, MAX_PORT_ENTRIES).join(';')).ok).toBe(true);
  });

  it.each([
    '/proc:/p',
    '/proc/self/root/run/docker.sock:/s',
    '/sys/fs:/s',
    '/dev:/d',
    '/var/lib/docker:/d',
    '/:/host',
    '//proc:/p',
  ])('refuses bind %s, naming the field', (bind) => {
    const result = validateInput(SlaMicroservice, ms({ binds: [bind] }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.path).toMatch(/^binds/);
  });

  it.each(['/data:/data', '/srv/proceeds:/p', '/device-files:/d', 'cache:/cache'])(
    'lets the node decide on %s',
    (bind) => {
      expect(validateInput(SlaMicroservice, ms({ binds: [bind] })).ok).toBe(true);
    },
  );
});
