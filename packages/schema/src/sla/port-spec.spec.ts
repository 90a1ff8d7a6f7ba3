import fc from 'fast-check';
import { parsePortSpec, type PortMapping } from './port-spec';

function mappings(spec: string): PortMapping[] {
  const result = parsePortSpec(spec);
  if (!result.ok) {
    throw new Error(`"${spec}" rejected: ${result.message}`);
  }
  return result.mappings;
}

function rejection(spec: string): string {
  const result = parsePortSpec(spec);
  if (result.ok) {
    throw new Error(`"${spec}" accepted as ${JSON.stringify(result.mappings)}`);
  }
  return result.message;
}

describe('parsePortSpec', () => {
  it('reads a bare port as the container port, tcp, with the host port left to the node', () => {
    expect(mappings('80')).toEqual([{ containerPort: 80, protocol: 'tcp' }]);
  });

  it('reads a bare port with a protocol', () => {
    expect(mappings('53/udp')).toEqual([{ containerPort: 53, protocol: 'udp' }]);
    expect(mappings('80/tcp')).toEqual([{ containerPort: 80, protocol: 'tcp' }]);
  });

  it('reads host:container as host port first', () => {
    expect(mappings('8080:80')).toEqual([{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
  });

  it('reads host:container/udp and host:container/tcp', () => {
    expect(mappings('8080:80/udp')).toEqual([{ hostPort: 8080, containerPort: 80, protocol: 'udp' }]);
    expect(mappings('6080:60/tcp')).toEqual([{ hostPort: 6080, containerPort: 60, protocol: 'tcp' }]);
  });

  it('reads several entries separated by ; in order', () => {
    expect(mappings('8080:80;9090:90/tcp;53/udp')).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 9090, containerPort: 90, protocol: 'tcp' },
      { containerPort: 53, protocol: 'udp' },
    ]);
  });

  it('treats an empty or blank spec as no ports', () => {
    expect(mappings('')).toEqual([]);
    expect(mappings('   ')).toEqual([]);
  });

  it('tolerates whitespace around the whole spec and around entries', () => {
    expect(mappings('  8080:80 ;  9090:90/udp ')).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 9090, containerPort: 90, protocol: 'udp' },
    ]);
  });

  it('rejects whitespace inside an entry', () => {
    rejection('8080 : 80');
    rejection('8080:80 /udp');
  });

  it('accepts the edge ports 1 and 65535', () => {
    expect(mappings('1:65535')).toEqual([{ hostPort: 1, containerPort: 65535, protocol: 'tcp' }]);
    expect(mappings('65535:1/udp')).toEqual([{ hostPort: 65535, containerPort: 1, protocol: 'udp' }]);
    expect(mappings('65535')).toEqual([{ containerPort: 65535, protocol: 'tcp' }]);
  });

  it.each(['0', '0:80', '80:0', '65536', '70000:80', '80:70000', '99999'])('rejects %s as outside 1-65535', (spec) => {
    expect(rejection(spec)).toContain('outside 1-65535');
  });

  it.each([
    '80:',
    ':80',
    'abc',
    '80:80/sctp',
    '80/TCP',
    '-1',
    '1.5',
    '80:80:80',
    '123456',
    '80;',
    ';80',
    '8080:80;;90',
  ])('rejects the malformed %p and quotes the bad entry', (spec) => {
    expect(rejection(spec)).toMatch(/^".*" is not of the form/);
  });

  it('names the offending entry among good ones', () => {
    expect(rejection('8080:80;abc;9090:90')).toContain('"abc"');
  });

  it('rejects the same host port and protocol twice', () => {
    expect(rejection('8080:80;8080:81')).toBe('host port 8080/tcp is mapped twice');
    expect(rejection('8080:80/udp;8080:81/udp')).toBe('host port 8080/udp is mapped twice');
  });

  it('allows the same host port once per protocol', () => {
    expect(mappings('53:53;53:53/udp')).toEqual([
      { hostPort: 53, containerPort: 53, protocol: 'tcp' },
      { hostPort: 53, containerPort: 53, protocol: 'udp' },
    ]);
  });

  it('allows one container port published on two host ports', () => {
    expect(mappings('8080:80;8081:80')).toHaveLength(2);
  });

  it('round-trips any list of distinct valid mappings written in its syntax', () => {
    const port = fc.integer({ min: 1, max: 65535 });
    const entry = fc.record({
      hostPort: fc.option(port, { nil: undefined }),
      containerPort: port,
      protocol: fc.constantFrom('tcp', 'udp'),
    });
    const distinctHosts = fc.uniqueArray(entry, {
      minLength: 1,
      maxLength: 6,
      selector: (m) => (m.hostPort === undefined ? `bare-${Math.random()}` : `${m.hostPort}/${m.protocol}`),
    });
    fc.assert(
      fc.property(distinctHosts, fc.boolean(), (entries, explicitTcp) => {
        const text = entries
          .map((m) => {
            const base = m.hostPort === undefined ? `${m.containerPort}` : `${m.hostPort}:${m.containerPort}`;
            return m.protocol === 'udp' || explicitTcp ? `${base}/${m.protocol}` : base;
          })
          .join(';');
        const expected = entries.map((m) =>
          m.hostPort === undefined
            ? { containerPort: m.containerPort, protocol: m.protocol }
            : { hostPort: m.hostPort, containerPort: m.containerPort, protocol: m.protocol },
        );
        expect(mappings(text)).toEqual(expected);
      }),
    );
  });

  it('never throws, whatever the string', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const result = parsePortSpec(s);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});
