/*
 * The fuzzer's second oracle, independent of the schema classes: rules a reader can check by eye
 * against SPEC §3 (a dotted name is never accepted, counts are whole and not negative, …).
 */

const isBadName = (v: unknown) => typeof v !== 'string' || !/^[A-Za-z0-9]{1,30}$/.test(v);
// `null` on an optional field means absent (class-validator's @IsOptional, and Oakestra's files).
const isBadCount = (v: unknown) =>
  v !== null && v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0);

/** Independent of the schema classes: rules a reader can check by eye against SPEC §3. */
export function handRules(ms: unknown): string[] {
  const problems: string[] = [];
  if (ms === null || typeof ms !== 'object' || Array.isArray(ms)) {
    return ['microservice is not an object'];
  }
  const m = ms as Record<string, unknown>;
  if (isBadName(m.microservice_name)) {
    problems.push('microservice_name');
  }
  if (isBadName(m.microservice_namespace)) {
    problems.push('microservice_namespace');
  }
  if (m.virtualization !== 'container' && m.virtualization !== 'docker') {
    problems.push('virtualization');
  }
  if (typeof m.code !== 'string' || m.code === '') {
    problems.push('code');
  }
  for (const f of ['memory', 'vcpus', 'replicas']) {
    if (isBadCount(m[f])) {
      problems.push(f);
    }
  }
  // Whitespace around entries is tolerated on purpose (see port-spec.spec.ts); anything else outside the syntax is not.
  if (m.port !== null && m.port !== undefined && (typeof m.port !== 'string' || /[^0-9:;/a-z\s]/.test(m.port))) {
    problems.push('port');
  }
  return problems;
}

export function slaHandRules(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return ['not an object'];
  }
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (v.sla_version !== 'v2.0') {
    problems.push('sla_version');
  }
  if (!Array.isArray(v.applications)) {
    return [...problems, 'applications'];
  }
  for (const a of v.applications as unknown[]) {
    if (a === null || typeof a !== 'object') {
      return [...problems, 'application'];
    }
    const app = a as Record<string, unknown>;
    if (isBadName(app.application_name)) {
      problems.push('application_name');
    }
    if (isBadName(app.application_namespace)) {
      problems.push('application_namespace');
    }
    // Absent is Oakestra's "none yet" (its corpus accepts it, issue 11); anything else must be a list.
    if (app.microservices === undefined) {
      continue;
    }
    if (!Array.isArray(app.microservices)) {
      problems.push('microservices');
    } else {
      for (const ms of app.microservices as unknown[]) {
        problems.push(...handRules(ms));
      }
    }
  }
  return problems;
}
