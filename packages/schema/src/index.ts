import 'reflect-metadata';

export * from './validation/validate';
export * from './sla/port-spec';
export * from './sla/sla.dto';
export * from './sla/placement-constraints';
export * from './status';
export * from './names';
export * from './wire/instance-spec.dto';
export * from './wire/mqtt-topics';
export * from './wire/node.dto';
export * from './wire/cluster.dto';
export * from './aeros/service-component.dto';
export * from './aeros/cr-to-sla';
export * from './aeros/kinds';
export * from './aeros/infrastructure-element';
export * from './sla/sla-to-spec';
export * from './aeros/ie-resolution';
