import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { bigImage, imageName, MIN_BYTES } from '../src/big-image.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/** Every local src/href in the page, as a browser would fetch them. */
function assetsOf(html: string): string[] {
  const assets: string[] = [];
  const parser = new Parser({
    onopentag(_name, attributes) {
      for (const key of ['src', 'href']) if (attributes[key]) assets.push(attributes[key]!);
    },
  });
  parser.write(html);
  parser.end();
  return assets;
}

/** What the front's Content-Security-Policy (no 'unsafe-inline') would refuse to run or apply in a page. */
function inlineCodeOf(html: string): string[] {
  const found: string[] = [];
  let inScript = false;
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name === 'style') found.push('<style> element');
      if (name === 'script' && !attributes.src) inScript = true;
      for (const [key, value] of Object.entries(attributes)) {
        if (/^on/i.test(key)) found.push(`${name} ${key}="…" handler`);
        if (key === 'style') found.push(`${name} style="…" attribute`);
        if (/^\s*javascript:/i.test(value)) found.push(`${name} ${key}="javascript:…"`);
      }
    },
    ontext(text) {
      if (inScript && text.trim()) found.push(`inline <script>: ${text.trim().slice(0, 40)}`);
    },
    onclosetag(name) {
      if (name === 'script') inScript = false;
    },
  });
  parser.write(html);
  parser.end();
  return found;
}

describe('the built front (apps/front/dist, from `nx run @scale-lab/front:build`)', () => {
  it('exists', () => {
    expect(existsSync(`${dist}index.html`), 'build the front first: npx nx run @scale-lab/front:build').toBe(
      true,
    );
  });

  it('has a generated image of at least 5 MB whose name is its content hash', () => {
    const images = readdirSync(`${dist}assets`).filter((file) => file.startsWith('big-image.'));
    expect(images).toHaveLength(1);
    const file = `${dist}assets/${images[0]}`;
    expect(statSync(file).size).toBeGreaterThanOrEqual(MIN_BYTES);
    expect(imageName(readFileSync(file))).toBe(images[0]);
  });

  it('generates the same image every time, so its cached name stays valid', () => {
    const image = bigImage();
    expect(image.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])); // PNG
    expect(existsSync(`${dist}assets/${imageName(image)}`)).toBe(true);
  });

  it('references only assets that exist, the image through the CDN base URL placeholder', () => {
    const html = readFileSync(`${dist}index.html`, 'utf8');
    const assets = assetsOf(html);
    expect(assets).toEqual(expect.arrayContaining(['/style.css', '/app.js']));
    const image = assets.find((asset) => asset.includes('big-image.'))!;
    expect(image).toMatch(/^__CDN_BASE_URL__\/assets\/big-image\.[0-9a-f]{12}\.png$/);
    for (const asset of assets) {
      const path = asset.replace('__CDN_BASE_URL__', '').replace(/^\//, '');
      expect(existsSync(`${dist}${path}`), asset).toBe(true);
    }
    expect(html).not.toMatch(/https?:\/\//); // nothing from the internet: labs run offline
  });

  it('vendors the chart library, and every module import of the dashboard resolves to a file in dist', () => {
    const html = readFileSync(`${dist}index.html`, 'utf8');
    expect(assetsOf(html)).toEqual(
      expect.arrayContaining(['/vendor/uPlot.min.css', '/dashboard/dashboard.js', '/favicon.svg']),
    );
    expect(readFileSync(`${dist}vendor/uPlot.esm.js`, 'utf8')).toMatch(/export\s*\{[^}]*as default/);
    expect(existsSync(`${dist}vendor/uPlot.LICENSE`)).toBe(true);
    const modules = readdirSync(`${dist}dashboard`).filter((file) => file.endsWith('.js'));
    expect(modules).toEqual(expect.arrayContaining(['dashboard.js', 'stats.js', 'charts.js']));
    const imports = modules.flatMap((file) =>
      [...readFileSync(`${dist}dashboard/${file}`, 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map(
        (match) => new URL(match[1]!, `file:///dashboard/${file}`).pathname,
      ),
    );
    expect(imports).toContain('/vendor/uPlot.esm.js');
    for (const path of imports) expect(existsSync(`${dist}${path.slice(1)}`), path).toBe(true);
    // Nothing from the internet in the page's own code either (uPlot's SVG namespace is no request).
    for (const file of ['app.js', ...modules.map((module) => `dashboard/${module}`)])
      expect(readFileSync(`${dist}${file}`, 'utf8'), file).not.toMatch(/https?:\/\//);
  });

  it('has no inline script, style or event handler, so it runs under a CSP without unsafe-inline', () => {
    expect(
      inlineCodeOf('<p onclick="x()" style="a">a</p><script>run()</script><style>p{}</style>'),
    ).toHaveLength(4);
    expect(inlineCodeOf(readFileSync(`${dist}index.html`, 'utf8'))).toEqual([]);
  });

  it('has a button for every endpoint of both APIs', () => {
    const html = readFileSync(`${dist}index.html`, 'utf8');
    const calls = [...html.matchAll(/data-call="([^"]+)"/g)].map((match) => match[1]);
    for (const call of [
      'GET /api/ping',
      'GET /api/misc/time',
      'GET /api/misc/heavy?name={heavy-name}',
      'POST /api/products',
      'GET /api/products?product={product-name}',
      'GET /api/products',
      'GET /api/products/last',
      'GET /api/products/{product-id}',
      'POST /api/orders',
      'GET /api/orders/do?order={order-product}',
      'GET /api/orders/{order-id}',
      'GET /api/orders/?order_id={order-id}',
      'GET /movie-api/',
      'GET /movie-api/json',
      'GET /movie-api/movies/{movie-id}',
      'GET /movie-api/moviesbytitle?title={movie-title}',
      'GET /movie-api/moviesbydirector?director={movie-director}',
      'POST /movie-api/movies/{movie-id}',
      'PUT /movie-api/movies/{movie-id}/{movie-rate}',
      'DELETE /movie-api/movies/{movie-id}',
      'GET /movie-api/help',
    ]) {
      expect(calls).toContain(call);
    }
  });
});
