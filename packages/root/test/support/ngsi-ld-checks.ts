import type { ScriptedReply } from './ngsi-ld-test-broker';

/** The request shapes aerOS uses (aerOS.md §2), as the test broker checks them; each rule broken is one problem string. */
const STATUS_URN =
  /^urn:ngsi-ld:ServiceComponentStatus:(Starting|Running|Overload|Failed|Migrating|Locating|Removing|Finished)$/;
const IE_URN = /^urn:ngsi-ld:InfrastructureElement:\S+$/;
const ATTR_TYPES = new Set(['Property', 'Relationship', 'GeoProperty']);
export const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function problem(status: number, kind: string, detail: string): ScriptedReply {
  return { status, body: { type: `https://uri.etsi.org/ngsi-ld/errors/${kind}`, title: kind, detail } };
}

export function checkRelationship(name: string, attr: unknown, pattern: RegExp, problems: string[]): void {
  if (!isObject(attr) || attr['type'] !== 'Relationship') {
    problems.push(`${name} is not a Relationship`);
    return;
  }
  const object = attr['object'];
  if (typeof object !== 'string' || !pattern.test(object)) {
    problems.push(`${name}.object ${String(object)}`);
  }
  if ('value' in attr) {
    problems.push(`${name} is a Relationship with a value`);
  }
}

export function checkStatusAttrs(body: unknown, problems: string[]): void {
  if (!isObject(body)) {
    problems.push('attributes are not an object');
    return;
  }
  const names = Object.keys(body).sort().join(',');
  if (names !== 'infrastructureElement,serviceComponentStatus') {
    problems.push(`attributes ${names}`);
  }
  checkRelationship('serviceComponentStatus', body['serviceComponentStatus'], STATUS_URN, problems);
  const ie = /^urn:ngsi-ld:null$|^urn:ngsi-ld:InfrastructureElement:\S+$/;
  checkRelationship('infrastructureElement', body['infrastructureElement'], ie, problems);
}

export function checkInfrastructureElement(entity: unknown, problems: string[]): string {
  if (!isObject(entity)) {
    problems.push('upsert entity is not an object');
    return '';
  }
  const { id, type, ...attrs } = entity;
  if (typeof id !== 'string' || !IE_URN.test(id)) {
    problems.push(`IE id ${String(id)}`);
  }
  if (type !== 'InfrastructureElement') {
    problems.push(`IE type ${String(type)}`);
  }
  for (const [name, attr] of Object.entries(attrs)) {
    if (!isObject(attr) || !ATTR_TYPES.has(attr['type'] as string)) {
      problems.push(`IE attribute ${name} is not normalized`);
      continue;
    }
    if (attr['type'] === 'Relationship' && (typeof attr['object'] !== 'string' || !URI.test(attr['object']))) {
      problems.push(`IE relationship ${name} has no URI object`);
    }
    if (attr['type'] !== 'Relationship' && !('value' in attr)) {
      problems.push(`IE attribute ${name} has no value`);
    }
  }
  return typeof id === 'string' ? id : '';
}
