export {
  startLocalStack,
  StackError,
  type LocalStack,
  type LocalStackOptions,
  type ReplicaInfo,
  type ServiceName,
} from './stack.js';
export { renderProxyConfig, type ProxyConfigOptions, type Upstream } from './nginx-config.js';
