/**
 * The part of the schema that loads neither class-validator nor class-transformer: names, statuses,
 * topics, errors, the clock and the settings loader. The node engine imports its values from here
 * (`@canopy/schema/lite`) and loads the DTO classes only when it first validates an input
 * (issue 14 §5: class-validator, validator and class-transformer are ~8 MB of a small daemon's RSS).
 * packages/node-engine/test/node-engine.footprint.int-spec.ts checks the running engine loads none of them.
 */
export * from './errors';
export * from './status';
export * from './names';
export * from './clock';
export * from './wire/mqtt-topics';
export * from './wire/registration-attempt';
export * from './log-redaction';
export * from './aeros/ie-id';
export * from './config/present-env';
export * from './config/kinds';
export * from './config/settings';
export * from './config/config-file';
export * from './validation/descriptor';
export * from './sla/container-policy';
