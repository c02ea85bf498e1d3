// First import: on an old Node it says so plainly before anything else can fail.
import './node-check.js';
import { readSecretFile, runService } from '@scale-lab/service';
import { buildApp } from './app.js';
import { movieConfigSchema } from './config.js';

await runService('movie-api', movieConfigSchema, (config) =>
  buildApp({ ...config, mysqlPassword: readSecretFile('MYSQL_PASSWORD_FILE', config.MYSQL_PASSWORD_FILE) }),
);
