export { createDatabasePool, type DatabaseOptions } from './pool.js';
export { runMigrations, type Migration } from './migrations.js';
export { databasePlugin, type DatabasePluginOptions } from './plugin.js';
export { DatabaseTimeoutError, isDatabaseUnavailable, withDatabase } from './errors.js';
