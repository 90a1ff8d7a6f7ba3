import { findInfrastructureElementById, ieIdSpellings, resolveSelectedIE, type ResolvableIE } from './ie-resolution';

interface View extends ResolvableIE {
  cluster: string;
}
const ie = (id: string, hostname: string, cluster = 'c1'): View => ({ id, hostname, cluster });

const w1 = ie('urn:ngsi-ld:InfrastructureElement:edge:worker1', 'worker1');
const w2 = ie('urn:ngsi-ld:InfrastructureElement:edge:worker2', 'worker2');
/** Configured in the short spelling, the way some aerOS deployments name their IEs. */
const short = ie('urn:ngsi-ld:IE:cloud:2473d6a5a43b', 'gpu-box');
const custom = ie('urn:aeros:ie:pi-7', 'Pi7');
const all = [w1, w2, short, custom];

const found = (ref: Parameters<typeof resolveSelectedIE>[1], ies: View[] = all) => {
  const r = resolveSelectedIE(ies, ref);
  return r.ok ? r.ie : r.message;
};

describe('ieIdSpellings', () => {
  it('pairs the IE and InfrastructureElement prefixes both ways, and leaves other ids alone', () => {
    expect(ieIdSpellings('urn:ngsi-ld:IE:a:b')).toEqual([
      'urn:ngsi-ld:IE:a:b',
      'urn:ngsi-ld:InfrastructureElement:a:b',
    ]);
    expect(ieIdSpellings('urn:ngsi-ld:InfrastructureElement:a')).toEqual([
      'urn:ngsi-ld:InfrastructureElement:a',
      'urn:ngsi-ld:IE:a',
    ]);
    expect(ieIdSpellings('urn:aeros:x')).toEqual(['urn:aeros:x']);
  });
});

describe('resolveSelectedIE with a string', () => {
  it('finds by exact id', () => {
    expect(found('urn:ngsi-ld:InfrastructureElement:edge:worker2')).toBe(w2);
    expect(found('urn:aeros:ie:pi-7')).toBe(custom);
  });

  it('treats urn:ngsi-ld:IE: and urn:ngsi-ld:InfrastructureElement: as one id, both ways', () => {
    expect(found('urn:ngsi-ld:IE:edge:worker1')).toBe(w1);
    expect(found('urn:ngsi-ld:InfrastructureElement:cloud:2473d6a5a43b')).toBe(short);
  });

  it('prefers the exact spelling when both spellings exist', () => {
    const twin = ie('urn:ngsi-ld:IE:edge:worker1', 'other');
    expect(found('urn:ngsi-ld:IE:edge:worker1', [w1, twin])).toBe(twin);
    expect(found('urn:ngsi-ld:InfrastructureElement:edge:worker1', [w1, twin])).toBe(w1);
  });

  it('falls back to the hostname, exactly, then ignoring case', () => {
    expect(found('worker1')).toBe(w1);
    expect(found('gpu-box')).toBe(short);
    expect(found('pi7')).toBe(custom);
    expect(found('WORKER2')).toBe(w2);
  });

  it('prefers an exact hostname over a case-folded one', () => {
    const upper = ie('urn:x:1', 'Node');
    const lower = ie('urn:x:2', 'node');
    expect(found('node', [upper, lower])).toBe(lower);
    expect(found('Node', [upper, lower])).toBe(upper);
    expect(found('NODE', [upper, lower])).toMatch(/2 infrastructure elements have hostname NODE/);
  });

  it('prefers an id over a hostname that happens to equal it', () => {
    const tricky = ie('urn:x:a', 'urn-host');
    const byId = ie('urn-host', 'somewhere');
    // Hostnames cannot contain ':' in Canopy, but a bare id can equal another node's name.
    expect(found('urn-host', [tricky, byId])).toBe(byId);
  });

  it('trims surrounding blanks', () => {
    expect(found('  worker1 ')).toBe(w1);
  });

  it('refuses a name used in two clusters instead of guessing', () => {
    const again = ie('urn:ngsi-ld:InfrastructureElement:far:worker1', 'worker1', 'c2');
    expect(found('worker1', [w1, again])).toBe('2 infrastructure elements have hostname worker1; name one by its id');
    expect(found(again.id, [w1, again])).toBe(again);
  });

  it('refuses an id shared by two IEs', () => {
    const dup = ie(w1.id, 'elsewhere', 'c2');
    expect(found(w1.id, [w1, dup])).toMatch(/^2 infrastructure elements have id /);
  });

  it('says what it could not find', () => {
    expect(found('nowhere')).toBe('no infrastructure element has id or hostname nowhere');
    expect(found('')).toBe('selectedIE is empty');
    expect(found('   ')).toBe('selectedIE is empty');
    expect(found('worker1', [])).toBe('no infrastructure element has id or hostname worker1');
  });

  it('does not match part of an id or a prefix of a hostname', () => {
    expect(found('edge:worker1')).toMatch(/^no infrastructure element/);
    expect(found('worker')).toMatch(/^no infrastructure element/);
    expect(found('urn:ngsi-ld:IE:edge')).toMatch(/^no infrastructure element/);
  });
});

describe('resolveSelectedIE with {id, hostname}', () => {
  it('tries the id first', () => {
    expect(found({ id: w1.id, hostname: 'worker2' })).toBe(w1);
    expect(found({ id: 'urn:ngsi-ld:IE:edge:worker2', hostname: 'worker1' })).toBe(w2);
  });

  it('falls back to the hostname when the id is unknown, empty or absent', () => {
    expect(found({ id: 'urn:ngsi-ld:IE:unknown', hostname: 'worker2' })).toBe(w2);
    expect(found({ id: '', hostname: 'worker2' })).toBe(w2);
    expect(found({ hostname: 'Pi7' })).toBe(custom);
  });

  it('resolves an id alone', () => {
    expect(found({ id: short.id })).toBe(short);
    expect(found({ id: short.id, hostname: '' })).toBe(short);
  });

  it('does not treat the id field as a hostname, nor the hostname as an id', () => {
    expect(found({ id: 'worker1' })).toBe('no infrastructure element has id worker1');
    expect(found({ hostname: w1.id })).toBe(`no infrastructure element has hostname ${w1.id}`);
  });

  it('stops at an ambiguous id rather than trying the hostname', () => {
    const dup = ie(w1.id, 'elsewhere', 'c2');
    expect(found({ id: w1.id, hostname: 'elsewhere' }, [w1, dup])).toMatch(/^2 infrastructure elements have id /);
  });

  it('names both misses, or says nothing was named', () => {
    expect(found({ id: 'urn:x:none', hostname: 'none' })).toBe(
      'no infrastructure element has id urn:x:none or hostname none',
    );
    expect(found({})).toBe('selectedIE names neither an id nor a hostname');
    expect(found({ id: ' ', hostname: '' })).toBe('selectedIE names neither an id nor a hostname');
  });
});

describe('findInfrastructureElementById', () => {
  it('matches ids in both spellings but never hostnames', () => {
    expect(findInfrastructureElementById(all, 'urn:ngsi-ld:IE:edge:worker1')).toEqual({ ok: true, ie: w1 });
    expect(findInfrastructureElementById(all, 'worker1')).toEqual({
      ok: false,
      message: 'no infrastructure element has id worker1',
      reason: 'not-found',
    });
  });

  it('says why it failed in a field an HTTP edge can map', () => {
    const dup = ie(w1.id, 'elsewhere', 'c2');
    const reason = (r: ReturnType<typeof resolveSelectedIE>) => (r.ok ? 'ok' : r.reason);
    expect(reason(resolveSelectedIE([w1, dup], w1.id))).toBe('ambiguous');
    expect(reason(findInfrastructureElementById([w1, dup], w1.id))).toBe('ambiguous');
    expect(reason(resolveSelectedIE(all, 'nowhere'))).toBe('not-found');
    expect(reason(resolveSelectedIE(all, { id: 'urn:x:y', hostname: 'z' }))).toBe('not-found');
    expect(reason(resolveSelectedIE(all, ''))).toBe('empty');
    expect(reason(resolveSelectedIE(all, {}))).toBe('empty');
  });
});
