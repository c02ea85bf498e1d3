/** The oldest Node.js major Scale Lab supports (current LTS line). */
export const MINIMUM_NODE_MAJOR = 22;

/**
 * Exits with a plain message on an unsupported Node.js instead of a stack trace from some later syntax or
 * API error. Entry points import this module first.
 */
export function assertSupportedNode(version: string = process.versions.node): void {
  const major = Number(version.split('.')[0]);
  if (major < MINIMUM_NODE_MAJOR) {
    process.stderr.write(
      `Scale Lab needs Node.js ${MINIMUM_NODE_MAJOR} or newer; this is Node.js ${version}.\n` +
        `Run ./scale-lab (it installs Node ${MINIMUM_NODE_MAJOR} for you) or install Node.js ${MINIMUM_NODE_MAJOR} LTS.\n`,
    );
    process.exit(1);
  }
}
