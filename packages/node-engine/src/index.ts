import 'reflect-metadata';

export { loadNodeEngineConfig, type NodeEngineConfig } from './config/node-engine.config';
export { startNodeEngine, type NodeEngineHandle } from './engine/node-engine';
export {
  ConfigError,
  ContainerRuntimeError,
  NodeEngineError,
  RegistrationRejectedError,
  RegistrationUnavailableError,
} from './errors';
export { plan, slotKey, type RemoveReason, type Step } from './reconcile/reconcile.planner';
