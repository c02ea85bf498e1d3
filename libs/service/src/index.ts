export { assertSupportedNode, MINIMUM_NODE_MAJOR } from './node-version.js';
export { ConfigError, loadConfig } from './config.js';
export { resolveInstanceId } from './instance.js';
export { healthPlugin, type ReadinessCheck, type HealthOptions } from './health.js';
export { metricsPlugin, type MetricsOptions } from './metrics.js';
export { servicePlugin, type ServicePluginOptions } from './service-plugin.js';
export {
  listenWithGracefulShutdown,
  runService,
  serverOptions,
  StartupError,
  type ListenOptions,
  type ServerTuning,
} from './server.js';
export { ErrorSchema, HttpError, notFound, conflict, serviceUnavailable } from './errors.js';
export { openApiPlugin, type OpenApiOptions } from './openapi.js';
export { readSecretFile } from './secret.js';
export { apiValidator } from './validator.js';
export {
  registerWorkGateGauges,
  WorkGate,
  type WorkGateGaugeOptions,
  type WorkGateOptions,
} from './work-gate.js';
