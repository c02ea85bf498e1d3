import './provided-context.js';
export { startTestServices, MARIADB_IMAGE, REDIS_IMAGE, type TestServices } from './services.js';
export { createTestDatabase, dropTestDatabase } from './database.js';
export { spawnService, waitForReady, type ServiceOptions } from './processes.js';
export { testLogFile, testLogStream, showLogOnFailure } from './logs.js';
