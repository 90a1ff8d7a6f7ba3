#!/usr/bin/env node
// One version per dependency (issue 13): a dependency that more than one package.json names must
// come from the pnpm catalog (pnpm-workspace.yaml `catalog:`), so versions cannot drift apart.
// Exits 1 and names each offender otherwise.
'use strict';
const { readFileSync, readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const manifests = [
  'package.json',
  ...readdirSync(join(root, 'packages'))
    .map((p) => join('packages', p, 'package.json'))
    .filter((f) => existsSync(join(root, f))),
];
const uses = new Map();
for (const file of manifests) {
  const manifest = JSON.parse(readFileSync(join(root, file), 'utf8'));
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (range.startsWith('workspace:')) {
        continue;
      }
      const list = uses.get(name) ?? [];
      list.push({ file, range });
      uses.set(name, list);
    }
  }
}
const offenders = [...uses].filter(([, list]) => list.length > 1 && list.some((u) => u.range !== 'catalog:'));
for (const [name, list] of offenders) {
  console.error(`${name}: ${list.map((u) => `${u.file} ${u.range}`).join(', ')} (use "catalog:")`);
}
process.exit(offenders.length === 0 ? 0 : 1);
