// First: defers modules the engine never uses at idle, before anything loads them (issue 14).
import './lazy-modules';
import 'reflect-metadata';

export {
  loadNodeEngineConfig,
  completeNodeEngineConfig,
  NodeEngineConfig,
  type NodeEngineConfigInit,
} from './config/node-engine.config';
export { startNodeEngine, type NodeEngineHandle, type NodeEnginePorts } from './engine/node-engine';
export type { EngineClock } from './engine/clock.port';
export type { ContainerRuntime } from './docker/container-runtime.port';
export {
  ConfigError,
  ContainerRuntimeError,
  NodeEngineError,
  RegistrationRejectedError,
  RegistrationUnavailableError,
} from './errors';
export { plan, slotKey, type RemoveReason, type Step } from './reconcile/reconcile.planner';
