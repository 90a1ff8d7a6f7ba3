/** The schema classes the node engine validates its inputs with (MQTT commands, desired-state file). */
export const NODE_INPUT_CLASSES = [
  'DeployCommand',
  'DeleteCommand',
  'SyncCommand',
  'LogsCommand',
  'PaceCommand',
  'InstanceSpecDto',
] as const;

export type NodeInputClass = (typeof NODE_INPUT_CLASSES)[number];
