/** DI tokens for values that are not classes. */
export const CLUSTER_CONFIG = Symbol('CLUSTER_CONFIG');
export const CLUSTER_LOGGER = Symbol('CLUSTER_LOGGER');
