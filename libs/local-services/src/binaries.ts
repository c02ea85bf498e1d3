import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
}

// Debian installs daemons in /usr/sbin, which is not on a normal user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** Finds the first of `names` on PATH (or in sbin); throws a message saying which package provides it. */
export function findBinary(names: readonly string[], debianPackage: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS].filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  throw new MissingBinaryError(
    `${names[0]} was not found on PATH. Install it with: sudo apt-get install ${debianPackage} (or run ./scale-lab, which installs it when run as root)`,
  );
}
