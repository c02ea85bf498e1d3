import { readFileSync } from 'node:fs';
import { StartupError } from './server.js';

/**
 * The `*_FILE` convention of Docker secrets: when a file is named, its content (trimmed) is the secret.
 * A named file that cannot be read stops the start-up with a message naming the variable.
 */
export function readSecretFile(variable: string, path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new StartupError(
      `${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}
