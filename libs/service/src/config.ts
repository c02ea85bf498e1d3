import { envSchema } from 'env-schema';
import type { Static, TObject } from 'typebox';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads configuration from the environment only, validated against a TypeBox schema (defaults applied,
 * numbers and booleans coerced). A bad or missing variable throws a ConfigError that names it.
 */
export function loadConfig<S extends TObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Static<S> {
  try {
    // env: false — read only the given environment, so tests and callers control exactly what is seen.
    return envSchema<Static<S>>({ schema, data: { ...env }, env: false, dotenv: false });
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${describeEnvError(error)}`);
  }
}

function describeEnvError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // env-schema says "env/PORT must be integer" or "env must have required property 'MYSQL_URL'".
  return message.replace(/env\//g, '').replace(/^env /, 'the environment ');
}
