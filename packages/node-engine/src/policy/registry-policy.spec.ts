import {
  describePullFailure,
  internalAddressOf,
  isInternalHost,
  registryHost,
  registryRefusal,
} from './registry-policy';

describe('registry policy', () => {
  it.each([
    ['busybox', undefined],
    ['me/app:1', undefined],
    ['registry.example.org/team/app:1', 'registry.example.org'],
    ['127.0.0.1:5000/x', '127.0.0.1'],
    ['[::1]:5000/x', '::1'],
    ['localhost:5000/x', 'localhost'],
  ])('reads the registry host of %s', (image, host) => expect(registryHost(image)).toBe(host));

  it.each([
    '127.0.0.1',
    '127.9.9.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    'localhost',
    '0.0.0.0',
    // Other spellings of loopback and of the metadata address.
    '0:0:0:0:0:0:0:1',
    '::ffff:7f00:1',
    '::127.0.0.1',
    '::ffff:a9fe:a9fe',
    'localhost.',
    'LOCALHOST',
    'fe80::1%eth0',
    '100.64.0.1',
  ])('treats %s as internal', (host) => expect(isInternalHost(host)).toBe(true));

  it.each(['8.8.8.8', '172.32.0.1', 'registry.example.org', '2001:db8::1', '192.169.0.1'])(
    'treats %s as public',
    (host) => expect(isInternalHost(host)).toBe(false),
  );

  it('resolves a name and refuses it when any address it stands for is internal', async () => {
    const hosts: Record<string, string[]> = { 'node-a': ['127.0.1.1'], 'mixed.example': ['8.8.8.8', '10.0.0.7'] };
    const resolve = (h: string) => Promise.resolve(hosts[h] ?? ['93.184.216.34']);
    await expect(internalAddressOf('node-a', resolve)).resolves.toBe('127.0.1.1');
    await expect(internalAddressOf('mixed.example', resolve)).resolves.toBe('10.0.0.7');
    await expect(internalAddressOf('registry.example.org', resolve)).resolves.toBeUndefined();
    await expect(internalAddressOf('gone.example', () => Promise.reject(new Error('ENOTFOUND')))).resolves.toBe(
      undefined,
    );
    await expect(registryRefusal('node-a:5000/x:1', false, resolve)).resolves.toMatch(
      /node-a is 127\.0\.1\.1.*NODE_ALLOW_PRIVATE_REGISTRIES/,
    );
    await expect(registryRefusal('node-a:5000/x:1', true, resolve)).resolves.toBeUndefined();
    await expect(registryRefusal('busybox', false, resolve)).resolves.toBeUndefined();
  });

  it("says what failed without the registry's own words", () => {
    const raw =
      'error parsing HTTP 418 response body: invalid character \'s\' looking for beginning of value: "secret internal page"';
    expect(describePullFailure(raw)).toBe('the registry answered with an error (HTTP 418)');
    expect(describePullFailure('manifest unknown: manifest unknown')).toMatch(/^not found/);
    // What Docker says when a registry wants a login and the pull brought none.
    const noLogin = 'Head "http://127.0.0.1:5000/v2/x/manifests/latest": no basic auth credentials';
    expect(describePullFailure(noLogin)).toBe('access denied by the registry: it requires a login and none was given');
    expect(describePullFailure('Get "http://10.0.0.9/v2/": dial tcp 10.0.0.9:80: connect: connection refused')).toBe(
      'the registry could not be reached',
    );
  });
});
