export interface Upstream {
  name: string;
  /** host:port of every replica that should get traffic. */
  servers: readonly string[];
}

export interface ProxyConfigOptions {
  sitePort: number;
  moviePort: number;
  frontRoot: string;
  woody: Upstream;
  movie: Upstream;
  /** Bandwidth per connection for static files, as in the lab (e.g. '300k'); '0' means unlimited. */
  staticRateLimit: string;
  /** Prefix for heavy assets in the page (a CDN tier's URL), '' to serve them from the site itself. */
  cdnBaseUrl: string;
  /** A CDN-style caching tier in front of the site (the origin), on this port. */
  cdn?: { port: number; cacheDir: string };
}

/**
 * The cdn tier: an nginx cache in front of the origin. Hashed assets are immutable, so once one copy is
 * cached the origin never sees a request for it again.
 */
function cdnServer(cdn: { port: number; cacheDir: string }, originPort: number): string {
  return `  proxy_cache_path ${cdn.cacheDir} levels=1:2 keys_zone=cdn:10m max_size=1g inactive=7d use_temp_path=off;

  server {
    listen 127.0.0.1:${cdn.port};
    location / {
      proxy_pass http://127.0.0.1:${originPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache cdn;
      proxy_cache_valid 200 7d;
      # One fill per object even when many clients ask at once.
      proxy_cache_lock on;
      proxy_cache_lock_timeout 60s;
      add_header X-Cache $upstream_cache_status always;
      add_header Access-Control-Allow-Origin * always;
    }
${stubStatus}
  }
`;
}

function upstreamBlock({ name, servers }: Upstream): string {
  // least_conn: heavy requests take seconds, so "fewest open requests" beats round robin.
  // keepalive: reuse connections to the replicas instead of a new TCP handshake per request.
  const lines =
    servers.length > 0
      ? servers.map((server) => `    server ${server} max_fails=1 fail_timeout=5s;`)
      : ['    server 127.0.0.1:9 down;'];
  return `  upstream ${name} {
    least_conn;
${lines.join('\n')}
    keepalive 32;
  }`;
}

function proxyTo(upstream: string, path = ''): string {
  return `      proxy_pass http://${upstream}${path};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # Another replica is tried when one refuses or is closing; only for idempotent methods (nginx's default).
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
      add_header X-Upstream $upstream_addr always;`;
}

const stubStatus = `    location = /nginx_status {
      stub_status;
      allow 127.0.0.1;
      deny all;
    }`;

/** The local stack's reverse proxy: the site (front + /api/) and the movie load balancer. */
export function renderProxyConfig(options: ProxyConfigOptions): string {
  return `${options.cdn ? cdnServer(options.cdn, options.sitePort) : ''}${upstreamBlock(options.woody)}
${upstreamBlock(options.movie)}

  server {
    listen 127.0.0.1:${options.sitePort};
    root ${options.frontRoot};
    limit_rate ${options.staticRateLimit};

    location / {
      try_files $uri $uri/ =404;
      # The page names heavy assets through a CDN base URL chosen at deployment time.
      sub_filter '__CDN_BASE_URL__' '${options.cdnBaseUrl}';
      sub_filter_once off;
      add_header Cache-Control "no-cache";
    }
    location /assets/ {
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
    location /api/ {
      limit_rate 0;
${proxyTo(options.woody.name)}
    }
    location /movie-api/ {
      limit_rate 0;
${proxyTo(options.movie.name, '/')}
    }
${stubStatus}
  }

  server {
    listen 127.0.0.1:${options.moviePort};
    location / {
${proxyTo(options.movie.name)}
    }
${stubStatus}
  }
`;
}
