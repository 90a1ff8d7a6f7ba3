import { parse } from 'yaml';
import { dockerCr, httpText } from '../support/aeros';
import { Kubectl, kubectlBinaries } from '../support/kubectl';
import { startStack, type Stack } from '../support/stack';
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy';
import { containersWithLabel, freePort, waitFor } from '@canopy/testing';

const binaries = kubectlBinaries();

/**
 * aerOS's workflow with the real kubectl binaries against Canopy's `/k8s` surface (no Kubernetes):
 * apply a CR, see it in `get` (table) and `get -o yaml` (with status), apply it unchanged, describe
 * it, delete it; bad CRs fail with kubectl's own error text naming the field. The container really
 * runs on the IE the CR selects. kubectl sends a token only over TLS: the token cases go through a
 * TLS front whose certificate the kubeconfig trusts; the plain-HTTP case relies on
 * AEROS_TRUSTED_NETWORKS.
 */
describe('aerOS CRs through kubectl (/k8s, tiers as processes, real containers)', () => {
  jest.setTimeout(300_000);
  let stack: Stack;
  let proxy: TlsProxy;
  const nodeName = `k8s-ie-${process.pid}`;
  const kubectls: Kubectl[] = [];

  beforeAll(async () => {
    if (binaries.length === 0) {
      return;
    }
    stack = await startStack('aeros-k8s', {
      nodes: [{ name: nodeName }],
      rootEnv: { AEROS_TRUSTED_NETWORKS: '127.0.0.1/32' },
    });
    await stack.clusterReady();
    proxy = await startTlsProxy(stack.api.baseUrl);
  });

  afterAll(async () => {
    for (const k of kubectls) {
      k.cleanup();
    }
    await proxy?.stop();
    await stack?.stop();
  });

  // The test set-up installs Debian's kubectl when none is present (scripts/lib/ensure-kubectl.sh).
  if (binaries.length === 0) {
    it('needs a kubectl binary', () => {
      throw new Error('no kubectl found: run scripts/lib/ensure-kubectl.sh (apt-get install kubernetes-client)');
    });
  }

  function kubectlFor(version: string): Kubectl {
    const bin = binaries.find((b) => b.version === version);
    if (!bin) {
      throw new Error(`no kubectl ${version}`);
    }
    const k = new Kubectl(bin, `${proxy.url}/k8s`, proxy.caPem, stack.api.token);
    kubectls.push(k);
    return k;
  }

  describe.each(binaries.map((b) => b.version))('kubectl %s', (version) => {
    it('applies, gets, applies unchanged, describes and deletes a ServiceComponentDocker', async () => {
      const k = kubectlFor(version);
      const name = `scd-${version.replace('.', '-')}`;
      const port = await freePort();
      const selectedIE = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
      const file = k.file('cr.yaml', dockerCr({ name, selectedIE, port, greeting: 'hi' }));

      const applied = await k.run('apply', '-f', file);
      expect(applied).toMatchObject({ code: 0, stderr: '' });
      expect(applied.stdout.trim()).toBe(`servicecomponentdocker.llo.aeros-project.eu/${name} created`);

      await waitFor(
        `${name} Running (as kubectl shows it)`,
        async () => {
          const r = await k.run('get', 'scd', name, '-o', 'jsonpath={.status.serviceComponentStatus}');
          if (r.stdout === 'Failed') {
            throw new Error(`failed: ${(await k.run('get', 'scd', name, '-o', 'yaml')).stdout}`);
          }
          return r.stdout === 'Running' ? true : undefined;
        },
        90_000,
        500,
      );
      await waitFor('the container to serve', async () => ((await httpText(port)) === 'canopy-ok' ? true : undefined));

      const table = await k.run('get', 'servicecomponentdockers');
      expect(table.code).toBe(0);
      const [header, ...rows] = table.stdout.trim().split('\n');
      expect(header?.split(/\s+/)).toEqual(['NAME', 'IE', 'IMAGE', 'STATUS', 'AGE']);
      const row = rows.find((r) => r.startsWith(`${name} `))?.split(/\s+/);
      expect(row?.slice(0, 4)).toEqual([name, selectedIE, 'canopy-test/busybox:latest', 'Running']);

      const allNamespaces = await k.run('get', 'scd', '-A');
      expect(allNamespaces.stdout).toMatch(new RegExp(`^default\\s+${name}\\s`, 'm'));

      const yaml = await k.run('get', 'scd', name, '-o', 'yaml');
      expect(yaml.code).toBe(0);
      expect(parse(yaml.stdout)).toMatchObject({
        apiVersion: 'llo.aeros-project.eu/v1alpha1',
        kind: 'ServiceComponentDocker',
        metadata: { name, namespace: 'default', labels: { 'app.kubernetes.io/part-of': 'Service_1' } },
        spec: { image: 'canopy-test/busybox:latest' },
        status: { serviceComponentStatus: 'Running', hostname: nodeName, canopyStatus: 'RUNNING' },
      });

      const again = await k.run('apply', '-f', file);
      expect(again.stdout.trim()).toBe(`servicecomponentdocker.llo.aeros-project.eu/${name} unchanged`);

      const described = await k.run('describe', 'scd', name);
      expect(described.code).toBe(0);
      expect(described.stdout).toMatch(new RegExp(`^Name:\\s+${name}$`, 'm'));
      expect(described.stdout).toMatch(/Service Component Status:\s+Running/);
      expect(described.stdout).toMatch(/^Events:\s+<none>/m);

      const deleted = await k.run('delete', '-f', file);
      expect(deleted).toMatchObject({ code: 0 });
      expect(deleted.stdout.trim()).toBe(`servicecomponentdocker.llo.aeros-project.eu "${name}" deleted`);
      const gone = await k.run('get', 'scd', name);
      expect(gone.code).not.toBe(0);
      expect(gone.stderr).toContain(`servicecomponentdockers.llo.aeros-project.eu "${name}" not found`);
      const serviceId = parse(yaml.stdout).status.serviceId as string;
      await waitFor(
        'the container to be removed',
        () => (containersWithLabel(`io.canopy.service-id=${serviceId}`).length === 0 ? true : undefined),
        60_000,
      );
    });

    it('applies and deletes a ServiceComponentK8s the same way', async () => {
      const k = kubectlFor(version);
      const name = `sck-${version.replace('.', '-')}`;
      const port = await freePort();
      const selectedIE = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
      const file = k.file(
        'sck.yaml',
        dockerCr({ name, selectedIE, port, greeting: 'k8s', kind: 'ServiceComponentK8s' }),
      );
      expect((await k.run('apply', '-f', file)).stdout.trim()).toBe(
        `servicecomponentk8s.llo.aeros-project.eu/${name} created`,
      );
      const table = await k.run('get', 'servicecomponentk8s');
      expect(table.stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
      expect((await k.run('get', 'sck', name, '-o', 'yaml')).stdout).toMatch(/^status:\n/m);
      expect((await k.run('apply', '-f', file)).stdout.trim()).toBe(
        `servicecomponentk8s.llo.aeros-project.eu/${name} unchanged`,
      );
      expect((await k.run('delete', '-f', file)).stdout.trim()).toBe(
        `servicecomponentk8s.llo.aeros-project.eu "${name}" deleted`,
      );
    });

    it('fails bad CRs with kubectl’s error text naming the field', async () => {
      const k = kubectlFor(version);
      const selectedIE = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
      const good = dockerCr({ name: 'never', selectedIE, port: 8080, greeting: 'x' });

      const badName = await k.run(
        'apply',
        '-f',
        k.file('bad-name.yaml', good.replace('name: never', 'name: Bad_Name')),
      );
      expect(badName.code).not.toBe(0);
      expect(badName.stderr).toContain('The ServiceComponentDocker "Bad_Name" is invalid: metadata.name:');

      const noImage = await k.run('apply', '-f', k.file('no-image.yaml', good.replace(/^ {2}image: .*$/m, '')));
      expect(noImage.code).not.toBe(0);
      expect(noImage.stderr).toContain('is invalid: spec.image');

      const badKind = await k.run(
        'apply',
        '-f',
        k.file('bad-kind.yaml', good.replace('kind: ServiceComponentDocker', 'kind: ServiceComponentFoo')),
      );
      expect(badKind.code).not.toBe(0);
      expect(badKind.stderr).toContain(
        'no matches for kind "ServiceComponentFoo" in version "llo.aeros-project.eu/v1alpha1"',
      );

      const list = await k.run('get', 'scd', '-o', 'name');
      expect(list.stdout).not.toContain('never');
      expect(list.stdout).not.toContain('bad');
    });

    it('watches: `get -w` streams the CR being created and then deleted', async () => {
      const k = kubectlFor(version);
      const name = `watch-${version.replace('.', '-')}`;
      const selectedIE = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
      const file = k.file('watch.yaml', dockerCr({ name, selectedIE, port: await freePort(), greeting: 'w' }));
      const watch = k.start('get', 'scd', '-w', '--output-watch-events');
      const seen = (event: string) =>
        new RegExp(`^${event}\\s+${name}\\s`, 'm').test(watch.output()) ? true : undefined;
      try {
        expect((await k.run('apply', '-f', file)).code).toBe(0);
        // Seen either in kubectl's initial list or as a watch event.
        await waitFor('the watch to show the CR', () => seen('ADDED'));
        // ADDED may come from kubectl's initial list; a label change each round shows up as
        // MODIFIED only once its watch is open (events between list and watch are not replayed).
        let round = 0;
        await waitFor('the watch to be open', async () => {
          await k.run('label', 'scd', name, `probe=${++round}`, '--overwrite');
          return seen('MODIFIED');
        });
        expect((await k.run('delete', '-f', file)).code).toBe(0);
        // Only the open stream can tell this one.
        await waitFor('the watch to show the deletion', () => seen('DELETED')).catch((e: Error) => {
          throw new Error(`${e.message}; kubectl printed:\n${watch.output()}`);
        });
      } finally {
        watch.child.kill();
      }
    });

    it('accepts an API token an admin minted for the HLO', async () => {
      const minted = await stack.api.request('POST', '/api/tokens', { name: `hlo-${version}` });
      expect(minted.status).toBe(201);
      const bin = binaries.find((b) => b.version === version)!;
      const k = new Kubectl(bin, `${proxy.url}/k8s`, proxy.caPem, minted.body.token as string);
      kubectls.push(k);
      const res = await k.run('get', 'scd');
      expect(res).toMatchObject({ code: 0 });
    });

    it('is refused without a valid token, as kubectl reports it', async () => {
      const k = kubectlFor(version);
      const res = await k.run('--token', 'not-a-token', 'get', 'scd');
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('You must be logged in to the server');
    });

    // Over plain HTTP kubectl drops every credential (client-go applies them to TLS transports
    // only), so this reaches the root with no Authorization: from AEROS_TRUSTED_NETWORKS that is
    // the aerOS service account.
    it('works as aerOS runs it: --server http://…/k8s --token, from a trusted network', async () => {
      const k = new Kubectl(
        binaries.find((b) => b.version === version)!,
        `${stack.api.baseUrl}/k8s`,
      );
      kubectls.push(k);
      const name = `http-${version.replace('.', '-')}`;
      const selectedIE = `urn:ngsi-ld:InfrastructureElement:${stack.clusterName}:${nodeName}`;
      const file = k.file('http.yaml', dockerCr({ name, selectedIE, port: await freePort(), greeting: 'http' }));
      const flags = ['--server', `${stack.api.baseUrl}/k8s`, '--token', stack.api.token];
      const created = await k.run(...flags, 'apply', '-f', file);
      expect(created.stdout.trim()).toBe(`servicecomponentdocker.llo.aeros-project.eu/${name} created`);
      expect((await k.run(...flags, 'get', 'scd')).stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
      expect((await k.run(...flags, 'apply', '-f', file)).stdout.trim()).toBe(
        `servicecomponentdocker.llo.aeros-project.eu/${name} unchanged`,
      );
      expect((await k.run(...flags, 'delete', '-f', file)).stdout.trim()).toBe(
        `servicecomponentdocker.llo.aeros-project.eu "${name}" deleted`,
      );
    });
  });
});
