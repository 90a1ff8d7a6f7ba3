import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateInput } from '../validation/validate';
import { SlaDescriptor } from './sla.dto';
import { microserviceToInstanceSpec } from './sla-to-spec';

const CORPUS = join(__dirname, '..', '..', 'test-fixtures', 'sla');

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

function load(dir: string, file: string): unknown {
  return JSON.parse(readFileSync(join(dir, file), 'utf8'));
}

const validDir = join(CORPUS, 'valid');
const invalidDir = join(CORPUS, 'invalid');
const validFiles = jsonFiles(validDir);
const invalidFiles = jsonFiles(invalidDir);
const expected = load(CORPUS, 'expected-invalid.json') as Record<string, string[]>;

describe('SLA corpus: valid descriptors', () => {
  it('has a corpus worth the name', () => {
    expect(validFiles.length).toBeGreaterThanOrEqual(8);
  });

  it.each(validFiles)('accepts %s', (file) => {
    const result = validateInput(SlaDescriptor, load(validDir, file));
    if (!result.ok) throw new Error(`${file} rejected: ${JSON.stringify(result.errors)}`);
    expect(result.value).toBeInstanceOf(SlaDescriptor);
  });

  it.each(validFiles)('turns every microservice of %s into an instance spec', (file) => {
    const result = validateInput(SlaDescriptor, load(validDir, file));
    if (!result.ok) throw new Error(`${file} rejected`);
    for (const app of result.value.applications) {
      for (const ms of app.microservices) {
        const spec = microserviceToInstanceSpec(ms, { serviceId: 's1', instanceNumber: 0, generation: 1 }, 'job');
        expect(spec.image).toBe(ms.code);
      }
    }
  });
});

describe('SLA corpus: flawed descriptors', () => {
  it('has a corpus worth the name, and an expectation for every file', () => {
    expect(invalidFiles.length).toBeGreaterThanOrEqual(14);
    expect(Object.keys(expected).sort()).toEqual(invalidFiles);
  });

  it.each(invalidFiles)('rejects %s naming exactly the expected paths', (file) => {
    const result = validateInput(SlaDescriptor, load(invalidDir, file));
    if (result.ok) throw new Error(`${file} was accepted`);
    const paths = [...new Set(result.errors.map((e) => e.path))].sort();
    expect(paths).toEqual([...(expected[file] ?? [])].sort());
    for (const error of result.errors) expect(error.message).not.toBe('');
  });
});

/**
 * Oakestra's own corpus (see test-fixtures/sla/oakestra-corpus/README.md): each file is accepted or
 * rejected exactly as Oakestra's validator judges the file it mirrors.
 */
describe("SLA corpus: Oakestra's verdicts", () => {
  const dir = join(CORPUS, 'oakestra-corpus');
  const files = jsonFiles(dir);

  it('mirrors all seven of Oakestra’s files', () => {
    expect(files.filter((f) => f.startsWith('correct-'))).toHaveLength(4);
    expect(files.filter((f) => f.startsWith('flawed-'))).toHaveLength(3);
  });

  it.each(files.filter((f) => f.startsWith('correct-')))('accepts %s, as Oakestra does', (file) => {
    const result = validateInput(SlaDescriptor, load(dir, file));
    if (!result.ok) throw new Error(`${file} rejected: ${JSON.stringify(result.errors)}`);
    for (const app of result.value.applications) expect(Array.isArray(app.microservices)).toBe(true);
  });

  it.each(files.filter((f) => f.startsWith('flawed-')))('rejects %s naming sla_version, as Oakestra does', (file) => {
    const result = validateInput(SlaDescriptor, load(dir, file));
    if (result.ok) throw new Error(`${file} was accepted`);
    expect(result.errors.map((e) => e.path)).toContain('sla_version');
  });

  it('an application without applicationID gets an empty one, without microservices an empty list', () => {
    const result = validateInput(SlaDescriptor, load(dir, 'correct-application-without-microservices.json'));
    if (!result.ok) throw new Error('rejected');
    expect(result.value.applications[0]).toMatchObject({ applicationID: '', microservices: [] });
  });
});
