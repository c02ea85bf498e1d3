import { MOVIE, WOODY, type Check } from './check.js';
import { cacheHitCheck, cacheInvalidationCheck } from './checks/cache.js';
import { cdnCheck } from './checks/cdn.js';
import { movieWriteReadCheck, productWriteReadCheck } from './checks/consistency.js';
import { redisFreezeCheck, replicaKillCheck } from './checks/faults.js';
import { replicasCheck } from './checks/replicas.js';
import { scalingCheck } from './checks/scaling.js';
import { heavySpeedupCheck, leastConnectionsCheck, movieSpeedupCheck } from './checks/speedup.js';

/** One course lab (docs/labs/, /work/shared/notes/labs.md): what it builds, checked in this order. */
export interface Lab {
  number: number;
  title: string;
  /** The replicas the lab's sheet sets up, unless --replicas says otherwise. */
  replicas: number;
  /** The URL that must answer before anything is checked. */
  entry: 'site' | 'movie';
  checks: Check[];
}

export const LABS: readonly Lab[] = [
  {
    number: 1,
    title: 'nginx load balancer in front of the movie service',
    replicas: 2,
    entry: 'movie',
    checks: [replicasCheck(MOVIE), movieWriteReadCheck(), movieSpeedupCheck(MOVIE)],
  },
  {
    number: 2,
    title: 'a farm of one-at-a-time replicas behind least connections',
    replicas: 3,
    entry: 'site',
    checks: [replicasCheck(WOODY), heavySpeedupCheck(WOODY), leastConnectionsCheck(), replicaKillCheck()],
  },
  {
    number: 3,
    title: 'Woodytoys: replicas, cache and CDN',
    replicas: 3,
    entry: 'site',
    checks: [
      replicasCheck(WOODY),
      heavySpeedupCheck(WOODY),
      productWriteReadCheck(),
      cacheHitCheck(),
      cacheInvalidationCheck(),
      cdnCheck(),
    ],
  },
  {
    number: 4,
    title: 'scaling replicas without restarting the proxy',
    replicas: 2,
    entry: 'site',
    checks: [replicasCheck(WOODY), scalingCheck()],
  },
  {
    number: 5,
    title: 'replicas that come and go behind a proxy that follows them',
    replicas: 3,
    entry: 'site',
    checks: [replicasCheck(WOODY), replicaKillCheck(), redisFreezeCheck()],
  },
];
