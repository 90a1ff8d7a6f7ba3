import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InstanceSpecDto } from '@canopy/schema';
import { bindSource, imageAllowed, qualifiedImage, refusals, type SafetyPolicy } from './instance-safety.policy';
import { instanceSpec } from '@canopy/testing';
import { POLICY } from '../../test/support/engine-records';

const spec: InstanceSpecDto = instanceSpec('s1');

/** A strict node: nothing beyond a plain container allowed (the planner specs' policy too). */
const strict: SafetyPolicy = POLICY;

describe('refusals (node safety policy)', () => {
  it('allows a plain instance on a strict node', () => {
    expect(refusals(spec, strict)).toEqual([]);
  });

  it.each<[string, Partial<InstanceSpecDto>, string]>([
    ['privileged', { privileged: true }, 'NODE_ALLOW_PRIVILEGED'],
    ['host network', { hostNetwork: true }, 'NODE_ALLOW_HOST_NAMESPACES'],
    ['host PID', { hostPid: true }, 'NODE_ALLOW_HOST_NAMESPACES'],
    ['host IPC', { hostIpc: true }, 'NODE_ALLOW_HOST_NAMESPACES'],
    ['bind mount', { binds: ['/etc:/host-etc:ro'] }, 'NODE_ALLOW_BIND_MOUNTS'],
    ['docker socket', { binds: ['/var/run/docker.sock:/var/run/docker.sock'] }, 'NODE_ALLOW_DOCKER_SOCKET'],
    ['cap_add', { capAdd: ['NET_ADMIN'] }, 'NODE_ALLOW_CAPABILITIES'],
  ])('refuses %s, naming the setting that would allow it', (_what, change, setting) => {
    const reasons = refusals({ ...spec, ...change }, strict);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain(setting);
  });

  it('lists every refused option at once', () => {
    expect(refusals({ ...spec, privileged: true, hostNetwork: true, capAdd: ['SYS_ADMIN'] }, strict)).toHaveLength(3);
  });

  it('allows each option only when the node allows it', () => {
    const open: SafetyPolicy = {
      ...strict,
      allowPrivileged: true,
      allowHostNamespaces: true,
      allowBindMounts: true,
      allowCapabilities: ['NET_ADMIN'],
    };
    const asked = {
      ...spec,
      privileged: true,
      hostNetwork: true,
      hostPid: true,
      hostIpc: true,
      binds: ['/data:/data'],
    };
    expect(refusals({ ...asked, capAdd: ['CAP_NET_ADMIN'] }, open)).toEqual([]);
    expect(refusals({ ...spec, capAdd: ['SYS_ADMIN'] }, open)[0]).toContain('SYS_ADMIN');
    expect(refusals({ ...spec, capAdd: ['SYS_ADMIN'] }, { ...strict, allowCapabilities: ['ALL'] })).toEqual([]);
  });

  it('keeps the Docker socket behind its own switch, under every spelling', () => {
    const binds = [
      '/var/run/docker.sock:/s',
      '/run/docker.sock:/s',
      '/var/run/../run/docker.sock:/s',
      '/var/run:/host-run',
      '/run/:/host-run',
      '/srv/custom/docker.sock:/s',
      '/run/containerd/containerd.sock:/s',
      '/run/containerd:/c',
    ];
    for (const bind of binds) {
      const reasons = refusals({ ...spec, binds: [bind] }, { ...strict, allowBindMounts: true });
      expect([bind, reasons[0]]).toEqual([bind, expect.stringContaining('NODE_ALLOW_DOCKER_SOCKET')]);
    }
    expect(refusals({ ...spec, binds: ['/var/run/docker.sock:/s'] }, { ...strict, allowDockerSocket: true })).toEqual(
      [],
    );
    expect(
      refusals(
        { ...spec, binds: ['/opt/d.sock:/s'] },
        { ...strict, allowBindMounts: true, dockerSocketPath: '/opt/d.sock' },
      )[0],
    ).toContain('NODE_ALLOW_DOCKER_SOCKET');
  });

  it('refuses named volumes unless the node allows them: another tenant may name the same volume', () => {
    expect(bindSource('data:/data')).toBeUndefined();
    expect(refusals({ ...spec, binds: ['data:/data'] }, strict)).toEqual([
      expect.stringContaining('NODE_ALLOW_NAMED_VOLUMES'),
    ]);
    expect(refusals({ ...spec, binds: ['data:/data'] }, { ...strict, allowNamedVolumes: true })).toEqual([]);
  });

  it("never binds /proc, /sys, /dev or Docker's data root, whatever the spelling and the switches", () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-policy-'));
    try {
      symlinkSync('/var/lib/docker', join(dir, 'innocent'));
      symlinkSync('/run/docker.sock', join(dir, 'sock'));
      symlinkSync('/proc', join(dir, 'p'));
      expect(refusals({ ...spec, binds: [`${dir}/sock:/s`] }, { ...strict, allowBindMounts: true })[0]).toContain(
        'NODE_ALLOW_DOCKER_SOCKET',
      );
      const open: SafetyPolicy = { ...strict, allowBindMounts: true, allowDockerSocket: true };
      for (const bind of [
        '/proc:/p',
        '/proc/self/root:/host',
        '/proc/self/root/run/docker.sock:/s',
        '/sys/fs/cgroup:/c',
        '/dev:/dev',
        '/var/lib/docker/volumes:/v',
        '/var/lib:/v',
        '/:/host',
        `${dir}/innocent/volumes:/v`,
        '//proc:/p',
        '/proc/:/p',
        '/tmp/../proc:/p',
        '///var//lib/docker/:/d',
        '/var/lib/containerd:/c',
        `${dir}/p/self/root/etc:/e`,
      ]) {
        expect([bind, refusals({ ...spec, binds: [bind] }, open)]).toEqual([
          bind,
          [expect.stringContaining('never allowed')],
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets a bind beside a forbidden tree through (only the path walked and reached count)', () => {
    const open: SafetyPolicy = { ...strict, allowBindMounts: true };
    for (const bind of ['/var/lib/canopy-data:/d', '/srv/proc:/p', '/tmp/devices:/d']) {
      expect([bind, refusals({ ...spec, binds: [bind] }, open)]).toEqual([bind, []]);
    }
  });

  it('takes ro and rw as bind options and nothing else (no relabel, no propagation)', () => {
    const open: SafetyPolicy = { ...strict, allowBindMounts: true };
    expect(refusals({ ...spec, binds: ['/srv/a:/a:ro', '/srv/b:/b:rw'] }, open)).toEqual([]);
    for (const bind of ['/srv/a:/a:Z', '/srv/a:/a:ro,z', '/srv/a:/a:rshared']) {
      expect(refusals({ ...spec, binds: [bind] }, open)).toEqual([expect.stringContaining('other than ro and rw')]);
    }
  });

  it('refuses relative and ~ bind sources (Docker would not take them as host paths)', () => {
    const open: SafetyPolicy = { ...strict, allowBindMounts: true };
    for (const bind of ['./proc:/p', '../etc:/e', '~/x:/x']) {
      expect(refusals({ ...spec, binds: [bind] }, open)).toEqual([expect.stringContaining('absolute host path')]);
    }
  });

  it("judges Docker's data root where this node's Docker has it", () => {
    const open: SafetyPolicy = { ...strict, allowBindMounts: true, dockerDataRoot: '/srv/docker-data' };
    expect(refusals({ ...spec, binds: ['/srv/docker-data/volumes:/v'] }, open)).toEqual([
      expect.stringContaining('reaches /srv/docker-data, which is never allowed'),
    ]);
  });

  it("keeps host ports inside the node's range and caps the port entries", () => {
    const port = (hostPort?: number) => ({
      containerPort: 80,
      protocol: 'tcp' as const,
      ...(hostPort === undefined ? {} : { hostPort }),
    });
    expect(refusals({ ...spec, ports: [port(80)] }, strict)[0]).toContain("outside this node's range 1024-65535");
    expect(refusals({ ...spec, ports: [port(8080), port()] }, strict)).toEqual([]);
    expect(refusals({ ...spec, ports: [port(80)] }, { ...strict, hostPortMin: 1 })).toEqual([]);
    expect(refusals({ ...spec, ports: Array.from({ length: 17 }, () => port()) }, strict)[0]).toContain(
      'NODE_MAX_PORTS',
    );
  });

  it('refuses GPU instances on a node without enough GPUs', () => {
    expect(refusals({ ...spec, vgpus: 1 }, strict)[0]).toMatch(/asks for 1 GPU.*has none/);
    expect(refusals({ ...spec, vgpus: 2 }, { ...strict, gpus: 1 })[0]).toMatch(/has only 1/);
    expect(refusals({ ...spec, vgpus: 1 }, { ...strict, gpus: 1 })).toEqual([]);
  });

  it('enforces the image allow-list', () => {
    const policy = { ...strict, imageAllowlist: ['registry.example.org', 'canopy-test/*'] };
    expect(refusals(spec, policy)).toEqual([]);
    expect(refusals({ ...spec, image: 'registry.example.org/team/app:1' }, policy)).toEqual([]);
    expect(refusals({ ...spec, image: 'nginx' }, policy)[0]).toContain('NODE_IMAGE_ALLOWLIST');
  });
});

describe('imageAllowed', () => {
  it('matches prefixes only at a boundary', () => {
    expect(imageAllowed('registry.example.org/x:1', ['registry.example.org'])).toBe(true);
    expect(imageAllowed('registry.example.org.evil.com/x:1', ['registry.example.org'])).toBe(false);
    expect(imageAllowed('registry.example.orgx/x', ['registry.example.org'])).toBe(false);
  });

  it('matches the qualified form, so docker.io/library/ covers bare names', () => {
    expect(qualifiedImage('nginx')).toBe('docker.io/library/nginx');
    expect(qualifiedImage('me/app:1')).toBe('docker.io/me/app:1');
    expect(qualifiedImage('localhost:5000/app')).toBe('localhost:5000/app');
    expect(imageAllowed('nginx:1.25', ['docker.io/library/'])).toBe(true);
    expect(imageAllowed('me/app', ['docker.io/library/'])).toBe(false);
  });

  it('treats * as a glob over the whole reference', () => {
    expect(imageAllowed('ghcr.io/acme/tool:2', ['ghcr.io/acme/*'])).toBe(true);
    expect(imageAllowed('ghcr.io/other/tool:2', ['ghcr.io/acme/*'])).toBe(false);
    expect(imageAllowed('busybox:1.36', ['*busybox:*'])).toBe(true);
  });
});
