import type { TestProject } from 'vitest/node';
import './provided-context.js';
import { startTestServices } from './services.js';

/** Vitest globalSetup: one MariaDB and one Redis per test run, handed to tests with inject(). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await startTestServices();
  console.log(`[scale-lab] test services: ${services.source}`);
  project.provide('mysqlUrl', services.mysqlUrl);
  project.provide('redisUrl', services.redisUrl);
  return () => services.stop();
}
