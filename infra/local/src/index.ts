export {
  startLocalStack,
  StackError,
  type LocalStack,
  type LocalStackOptions,
  type ReplicaInfo,
  type ServiceName,
  type Dependency,
} from './stack.js';
export { cdnImage, frontImage, proxyImage } from './nginx-images.js';
export { buildControlApp, startControlServer, type ControlServer } from './control/app.js';
