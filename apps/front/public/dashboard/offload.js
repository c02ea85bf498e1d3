// The offload panel: the big image from the rate-limited origin and through the CDN tier, side by side,
// with the browser's own figures (Resource Timing: duration, bytes on the wire, the host that served it).

const TRANSFER_TIMEOUT_MS = 120_000;

/**
 * The Resource Timing entry of `url` once the browser reports it. An observer rather than
 * getEntriesByName: the timeline buffer (250 entries) fills up quickly while the load panel runs.
 */
function resourceEntry(url) {
  let observer;
  const entry = new Promise((resolve) => {
    observer = new PerformanceObserver((list) => {
      const found = list.getEntriesByName(url).at(-1);
      if (found) resolve(found);
    });
    observer.observe({ type: 'resource' });
  });
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('the browser reported no timing')), TRANSFER_TIMEOUT_MS + 5000),
  );
  return Promise.race([entry, timeout]).finally(() => observer.disconnect());
}

/** Loads `url` once, bypassing the browser's cache, and says how it went. */
export async function measureTransfer(url) {
  const absolute = new URL(url, location.href).href;
  const timing = resourceEntry(absolute);
  const response = await fetch(absolute, {
    cache: 'no-store',
    signal: AbortSignal.timeout(TRANSFER_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${new URL(absolute).host}`);
  const bytes = (await response.arrayBuffer()).byteLength;
  const entry = await timing;
  return {
    host: new URL(entry.name).host,
    ms: entry.duration,
    // 0 when a cross-origin server does not send Timing-Allow-Origin: then the body's size is what we know.
    wireBytes: entry.transferSize || entry.encodedBodySize || bytes,
    bytes,
    timed: entry.transferSize > 0,
  };
}

const megabytes = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

export class OffloadPanel {
  constructor(section) {
    this.imagePath = section.dataset.image;
    this.cdnBase = section.dataset.cdnBase;
    this.cards = {
      origin: section.querySelector('#offload-origin'),
      cdn: section.querySelector('#offload-cdn'),
    };
    this.verdict = section.querySelector('#offload-verdict');
    this.results = {};
    const cdnButton = section.querySelector('#offload-cdn-run');
    section.querySelector('#offload-origin-run').addEventListener('click', () => this.run('origin'));
    cdnButton.addEventListener('click', () => this.run('cdn'));
    section.querySelector('#offload-compare').addEventListener('click', async () => {
      await this.run('origin');
      await this.run('cdn');
    });
    if (!this.cdnBase) {
      cdnButton.disabled = true;
      section.querySelector('#offload-compare').disabled = true;
      this.show('cdn', 'No CDN base URL in this deployment (./scale-lab up --assets cdn sets one).');
    }
  }

  urlOf(where) {
    // The origin: a new query string each time, so every press is a fresh transfer from the origin. The
    // CDN: always the same URL, so its cache answers (the first press may fill it).
    return where === 'origin' ? `${this.imagePath}?fresh=${Date.now()}` : `${this.cdnBase}${this.imagePath}`;
  }

  async run(where) {
    if (where === 'cdn' && !this.cdnBase) return;
    this.show(where, 'loading…');
    try {
      const result = await measureTransfer(this.urlOf(where));
      this.results[where] = result;
      const sizeNote = result.timed ? '' : ' (size of the body: the server sent no Timing-Allow-Origin)';
      const figures = `${(result.ms / 1000).toFixed(2)} s, ${megabytes(result.wireBytes)} from ${result.host}`;
      this.show(where, figures + sizeNote);
      this.cards[where].dataset.ms = String(Math.round(result.ms));
    } catch (error) {
      this.show(where, `failed: ${error.message}`);
    }
    const { origin, cdn } = this.results;
    if (origin && cdn)
      this.verdict.textContent = `The CDN served it ${(origin.ms / Math.max(1, cdn.ms)).toFixed(0)}× faster than the origin.`;
  }

  show(where, text) {
    this.cards[where].querySelector('output').textContent = text;
  }
}
