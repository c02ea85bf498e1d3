// Types of the values the test services globalSetup hands to tests via inject().
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlUrl: string;
    redisUrl: string;
  }
}
