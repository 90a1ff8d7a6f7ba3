import { detectDialect } from './dialect';

describe('detectDialect', () => {
  it('reads an SLA in JSON', () => {
    const m = detectDialect(JSON.stringify({ sla_version: 'v2.0', customerID: 'x', applications: [] }));
    expect(m).toEqual({ dialect: 'sla', body: { sla_version: 'v2.0', customerID: 'x', applications: [] } });
  });

  it('reads an aerOS CR in YAML and keeps the text as written', () => {
    const text =
      'apiVersion: llo.aeros-project.eu/v1alpha1\nkind: ServiceComponentDocker\nmetadata:\n  name: web\nspec: {}\n';
    expect(detectDialect(text)).toEqual({ dialect: 'aeros', kind: 'ServiceComponentDocker', name: 'web', yaml: text });
  });

  it('says which kinds it takes', () => {
    expect(() => detectDialect('apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n')).toThrow(
      /kind Pod is not one Canopy takes: use ServiceComponentDocker or ServiceComponentK8s/,
    );
  });

  it('needs a CR name', () => {
    expect(() => detectDialect('apiVersion: v1\nkind: ServiceComponentK8s\n')).toThrow(/metadata.name/);
  });

  it('says what it expected when it cannot tell', () => {
    expect(() => detectDialect('{"hello": 1}')).toThrow(/an SLA needs sla_version and applications/);
    expect(() => detectDialect('[1, 2]')).toThrow(/one object/);
    expect(() => detectDialect('a: [')).toThrow(/neither JSON nor YAML/);
  });
});
