// First import: on an old Node it says so plainly before anything else can fail.
import './node-check.js';
import { readSecretFile } from '@scale-lab/db';
import { ConfigError, listenWithGracefulShutdown, loadConfig } from '@scale-lab/service';
import { buildApp } from './app.js';
import { woodyConfigSchema, type WoodyConfig } from './config.js';

function readConfig(): WoodyConfig {
  try {
    const config = loadConfig(woodyConfigSchema);
    return { ...config, mysqlPassword: readSecretFile('MYSQL_PASSWORD_FILE', config.MYSQL_PASSWORD_FILE) };
  } catch (error) {
    process.stderr.write(`woody-api: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const app = await buildApp(config);
await listenWithGracefulShutdown(app, {
  host: config.HOST,
  port: config.PORT,
  shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
});
