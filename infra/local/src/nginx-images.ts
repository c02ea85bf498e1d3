import { join } from 'node:path';
import type { NginxImageOptions } from '@scale-lab/local-services';
import { repoFile } from './workspace.js';

/**
 * The nginx images (apps/front, apps/proxy, apps/cdn) as the local stack runs them: each image's own
 * template and entrypoint, with the variables its Dockerfile names in TEMPLATE_VARS. Only where they
 * listen differs (127.0.0.1 and ports of this machine), and how they find their upstreams (lists of
 * loopback addresses the stack writes, where the images ask Docker's DNS).
 */
type ImageSettings = Omit<NginxImageOptions, 'name' | 'upstreams' | 'runDir' | 'logFile'>;

const ENTRYPOINT = repoFile('infra/docker/nginx-entrypoint.sh');
export const FRONT_ROOT = repoFile('apps/front/dist');

/** The front: the page and its assets, rate limited per connection as the origin of static files. */
export function frontImage(settings: {
  port: number;
  cdnBaseUrl: string;
  staticRateLimit: string;
}): ImageSettings {
  return {
    entrypoint: ENTRYPOINT,
    template: repoFile('apps/front/nginx.conf.template'),
    variables: {
      FRONT_PORT: `127.0.0.1:${settings.port}`,
      FRONT_ROOT,
      CDN_BASE_URL: settings.cdnBaseUrl,
      STATIC_RATE_LIMIT: settings.staticRateLimit,
      // Where the dashboard's run viewer follows `./scale-lab run` (the image's default; env as in Docker).
      RUN_EVENTS_URL: process.env.RUN_EVENTS_URL ?? 'http://127.0.0.1:8098',
    },
    ports: [settings.port],
  };
}

/** The proxy: the site (front at /, woody-api at /api/, movie-api at /movie-api/) and the movie port. */
export function proxyImage(settings: { sitePort: number; moviePort: number }): ImageSettings {
  return {
    entrypoint: ENTRYPOINT,
    template: repoFile('apps/proxy/nginx.conf.template'),
    variables: {
      SITE_PORT: `127.0.0.1:${settings.sitePort}`,
      MOVIE_PORT: `127.0.0.1:${settings.moviePort}`,
    },
    ports: [settings.sitePort, settings.moviePort],
  };
}

/** The cdn tier: an nginx cache in front of the front. */
export function cdnImage(settings: { port: number; dir: string }): ImageSettings {
  return {
    entrypoint: ENTRYPOINT,
    template: repoFile('apps/cdn/nginx.conf.template'),
    variables: {
      CDN_PORT: `127.0.0.1:${settings.port}`,
      CDN_CACHE_DIR: join(settings.dir, 'cdn-cache'),
      CDN_CACHE_SIZE: '1g',
    },
    ports: [settings.port],
  };
}
