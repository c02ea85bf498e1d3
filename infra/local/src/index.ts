export {
  startLocalStack,
  StackError,
  type LocalStack,
  type LocalStackOptions,
  type ReplicaInfo,
  type ServiceName,
} from './stack.js';
export { cdnImage, frontImage, proxyImage } from './nginx-images.js';
