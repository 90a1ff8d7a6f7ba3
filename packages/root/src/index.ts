import 'reflect-metadata';

export { startRoot, type RootHandle } from './root.bootstrap';
export { loadRootConfig, type RootConfig } from './config/root-config';
export { ConfigError } from '@canopy/nest-edge';
