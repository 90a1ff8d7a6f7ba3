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
    if (!result.ok) {
      throw new Error(`${file} rejected: ${JSON.stringify(result.errors)}`);
    }
    expect(result.value).toBeInstanceOf(SlaDescriptor);
  });

  it.each(validFiles)('turns every microservice of %s into an instance spec', (file) => {
    const result = validateInput(SlaDescriptor, load(validDir, file));
    if (!result.ok) {
      throw new Error(`${file} rejected`);
    }
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
    if (result.ok) {
      throw new Error(`${file} was accepted`);
    }
    const paths = [...new Set(result.errors.map((e) => e.path))].sort();
    expect(paths).toEqual([...(expected[file] ?? [])].sort());
    for (const error of result.errors) {
      expect(error.message).not.toBe('');
    }
  });
});
