export { startEmbedded, type EmbeddedHandle, type EmbeddedOptions } from './embedded';
