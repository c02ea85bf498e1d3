export { findBinary, MissingBinaryError } from './binaries.js';
export { assertPortFree, freePort, isListening, PortBusyError } from './ports.js';
export { ManagedProcess, type ManagedProcessOptions } from './process.js';
export {
  startMariaDb,
  LOCAL_DB_USER,
  LOCAL_DB_PASSWORD,
  type LocalMariaDb,
  type MariaDbOptions,
} from './mariadb.js';
export { startRedis, type LocalRedis } from './redis.js';
export {
  startNginx,
  startNginxImage,
  type LocalNginx,
  type LocalNginxImage,
  type NginxImageOptions,
  type NginxOptions,
} from './nginx.js';
