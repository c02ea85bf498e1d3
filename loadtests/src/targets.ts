import type { Variant } from '../scenarios/index.js';
import type { ReferenceServers } from './reference.js';
import type { BenchStack, Endpoint } from './stacks/index.js';

/** Where a variant's load goes, and the replicas behind it (whose /metrics the runner reads). */
export interface LoadTarget {
  baseUrl: string;
  replicas: Endpoint[];
}

/** Resolves a variant's target on the running stack, or on the reference servers the runner started. */
export function targetOf(stack: BenchStack, references: ReferenceServers, variant: Variant): LoadTarget {
  const woody = stack.replicas('woody-api');
  const movie = stack.replicas('movie-api');
  switch (variant.target) {
    case 'site':
      return { baseUrl: stack.siteUrl, replicas: woody };
    case 'movie-lb':
      return { baseUrl: stack.movieUrl, replicas: movie };
    case 'movie-direct':
      return { baseUrl: movie[0]!.url, replicas: movie.slice(0, 1) };
    case 'woody-direct':
      return { baseUrl: woody[0]!.url, replicas: woody.slice(0, 1) };
    case 'reference-node':
      return { baseUrl: references.bareNodeUrl, replicas: [] };
    case 'reference-nginx':
      return { baseUrl: references.nginxUrl, replicas: [] };
    case 'reference-proxy':
      return { baseUrl: references.proxyUrl, replicas: [] };
  }
}
