import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SHEETS = fileURLToPath(new URL('../../docs/labs/', import.meta.url));

/** The lab sheet that explains lab `lab` (docs/labs/0N-….md), for the "look at" lines. */
export function sheet(lab: number): string {
  const prefix = `0${lab}-`;
  const found = existsSync(SHEETS) ? readdirSync(SHEETS).find((name) => name.startsWith(prefix)) : undefined;
  return found ? `docs/labs/${found}` : `docs/labs/${prefix}…`;
}
