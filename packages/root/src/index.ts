import 'reflect-metadata';

export { startRoot, type RootHandle } from './root.bootstrap';
export { loadRootConfig, RootSettings, type RootConfig } from './config/root-config';
export { ConfigError } from '@canopy/nest-edge';
