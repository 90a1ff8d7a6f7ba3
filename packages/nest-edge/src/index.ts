export * from './domain-errors';
export * from './domain-exception.filter';
export * from './schema-validation.pipe';
export * from './framework-logger';
export * from './configure-edge';
export * from './secrets';
export * from './private-files';
export * from './https-options';
