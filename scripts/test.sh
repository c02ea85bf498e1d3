#!/usr/bin/env bash
# All of Scale Lab's checks, as the README's test command runs them: lint, typecheck, build, then every
# project's tests in one vitest run (real MariaDB, Redis and nginx), closing with "N passed, N failed".
set -euo pipefail
cd "${SCALE_LAB_ROOT:?run through ./scale-lab test}"

say "lint, typecheck and build every project"
nx run-many -t lint typecheck build --output-style=stream-without-prefixes

results="$(mktemp -d)/vitest.json"
say "running every test (vitest)"
status=0
vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?

node --input-type=module -e '
  import { existsSync, readFileSync } from "node:fs";
  if (!existsSync(process.argv[1])) { console.log("\nvitest wrote no results (see above)\nvitest: 0 passed, 1 failed"); process.exit(1); }
  const r = JSON.parse(readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' "$results" || status=1
exit "$status"
