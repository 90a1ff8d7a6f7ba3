import { credentialOf, type RequestFacts } from './credential';
import { TrustedNetworks } from './trusted-networks';

const trusted = new TrustedNetworks(['10.0.0.0/8', 'fd00::/8']);
const API_TOKEN = `canopy_at_0123456789abcdef_${'a'.repeat(43)}`;
const facts = (over: Partial<RequestFacts>): RequestFacts => ({
  authorization: undefined,
  remoteAddress: '10.1.2.3',
  aerosRoute: true,
  ...over,
});

describe('credentialOf: what a request presents', () => {
  it('no header, trusted address, aerOS route: the trusted network (IPv4, mapped IPv4, IPv6)', () => {
    for (const address of ['10.1.2.3', '::ffff:10.1.2.3', 'fd00::7']) {
      expect(credentialOf(facts({ remoteAddress: address }), trusted)).toEqual({ kind: 'trusted-network', address });
    }
  });

  it.each([
    ['an untrusted address', facts({ remoteAddress: '192.168.1.1' })],
    ['no address (socket already gone)', facts({ remoteAddress: undefined })],
    ['a route that is not an aerOS route', facts({ aerosRoute: false })],
  ])('no header from %s: refused', (_what, req) => {
    expect(credentialOf(req, trusted)).toEqual({ kind: 'none', reason: 'missing bearer token' });
  });

  it('a header that is present is never replaced by the trusted network, even empty or not Bearer', () => {
    for (const authorization of ['', 'Basic YTpi', 'Bearer', 'Bearer   ', 'bearer x']) {
      expect(credentialOf(facts({ authorization }), trusted)).toEqual({ kind: 'none', reason: 'missing bearer token' });
    }
  });

  it('tells API tokens from JWTs, and marks API tokens allowed on aerOS routes only', () => {
    expect(credentialOf(facts({ authorization: 'Bearer eyJ.x.y' }), trusted)).toEqual({
      kind: 'jwt',
      token: 'eyJ.x.y',
    });
    expect(credentialOf(facts({ authorization: `Bearer ${API_TOKEN}` }), trusted)).toEqual({
      kind: 'api-token',
      token: API_TOKEN,
      allowedHere: true,
    });
    expect(credentialOf(facts({ authorization: `Bearer ${API_TOKEN} `, aerosRoute: false }), trusted)).toEqual({
      kind: 'api-token',
      token: API_TOKEN,
      allowedHere: false,
    });
  });

  it('with no trusted networks configured, a missing header is always refused', () => {
    expect(credentialOf(facts({ remoteAddress: '127.0.0.1' }), new TrustedNetworks([]))).toMatchObject({
      kind: 'none',
    });
  });
});
