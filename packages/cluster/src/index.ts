export {
  loadClusterConfig,
  completeClusterConfig,
  ConfigError,
  ClusterConfig,
  type ClusterConfigInit,
} from './config/cluster-config';
export { startCluster, type ClusterHandle } from './cluster.bootstrap';
export { mayPublish, maySubscribe, type MqttUser } from './mqtt/mqtt-acl';
