import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterConfig } from '@canopy/cluster';
import { NodeEngineConfig } from '@canopy/node-engine';
import { RootSettings } from '@canopy/root';
import { settingVariables } from '@canopy/schema';

/** Variables the README lists that choose a file or belong to Node.js, not to a settings class. */
const NOT_SETTINGS = new Set(['CANOPY_CONFIG', 'NODE_ENGINE_CONFIG', 'NODE_EXTRA_CA_CERTS']);

/** tier → variables, from the README's "Environment variables" table (first and second column). */
function readmeTable(): Map<string, Set<string>> {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Environment variables'));
  const table = new Map<string, Set<string>>();
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('#')) {
      break;
    }
    const cells = line.split('|').map((c) => c.trim());
    const [tiers, variables] = [cells[1], cells[2]];
    if (tiers === undefined || variables === undefined || tiers === 'tier' || tiers.startsWith('---')) {
      continue;
    }
    for (const tier of tiers === 'all' ? ['root', 'cluster', 'node'] : tiers.split(',').map((t) => t.trim())) {
      const set = table.get(tier) ?? new Set<string>();
      for (const match of variables.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) {
        set.add(match[1] ?? '');
      }
      table.set(tier, set);
    }
  }
  return table;
}

describe("the README's environment table", () => {
  const table = readmeTable();
  it.each<[string, string[]]>([
    ['root', settingVariables(RootSettings)],
    ['cluster', settingVariables(ClusterConfig)],
    ['node', settingVariables(NodeEngineConfig)],
  ])('lists exactly the %s settings', (tier, variables) => {
    const listed = [...(table.get(tier) ?? [])].filter((v) => !NOT_SETTINGS.has(v)).sort();
    expect(listed).toEqual([...variables].sort());
  });
});
