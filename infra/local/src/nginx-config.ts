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
  return `${upstreamBlock(options.woody)}
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
