// The run viewer: follows `./scale-lab run` through its progress feed (server-sent events at <url>/events;
// a page that connects mid-run first gets a snapshot of the run so far), shows where the run is, its
// per-second figures, and the report when it is done.
import { TimeChart } from './charts.js';

/** The per-second figures the chart keeps. */
const KEEP_SECONDS = 120;

export class RunViewer {
  constructor(section) {
    this.urlInput = section.querySelector('#run-url');
    this.button = section.querySelector('#run-connect');
    this.state = section.querySelector('#run-state');
    this.where = section.querySelector('#run-where');
    this.report = section.querySelector('#run-report');
    this.chart = new TimeChart(section.querySelector('#run-chart'), { title: 'run', unit: 'req/s, ms' });
    /** The last seconds of the run: { at (s), requests, p99, failed }, one object per second. */
    this.seconds = [];
    this.button.addEventListener('click', () =>
      this.source ? this.disconnect('disconnected') : this.connect(),
    );
  }

  connect() {
    let base;
    try {
      base = new URL(this.urlInput.value.trim().replace(/\/+$/, ''));
      if (!/^https?:$/.test(base.protocol)) throw new Error();
    } catch {
      this.state.textContent =
        'The feed URL must be an http or https URL (./scale-lab run serves its feed on port 8098)';
      return;
    }
    const root = base.href.replace(/\/$/, '');
    this.button.textContent = 'Disconnect';
    this.button.setAttribute('aria-pressed', 'true');
    this.state.textContent = `connecting to ${root}…`;
    this.source = new EventSource(`${root}/events`);
    this.source.addEventListener('open', () => (this.state.textContent = `following the run at ${root}`));
    this.source.addEventListener('error', () => {
      // EventSource retries by itself; say so rather than give up.
      if (this.source) this.state.textContent = `no feed at ${root} (is ./scale-lab run running?), retrying…`;
    });
    this.source.addEventListener('message', (event) => this.handle(JSON.parse(event.data)));
  }

  disconnect(why) {
    this.source?.close();
    this.source = undefined;
    this.button.textContent = 'Connect';
    this.button.setAttribute('aria-pressed', 'false');
    this.state.textContent = why;
  }

  /** One event of the feed. */
  handle(event) {
    switch (event?.type) {
      case 'snapshot':
        for (const earlier of event.last ?? []) this.handle(earlier);
        break;
      case 'run-started':
        this.seconds = [];
        this.report.replaceChildren();
        this.where.textContent = `run started: ${(event.scenarios ?? []).join(', ')}`;
        break;
      case 'variant':
        this.where.textContent = `${event.scenario} · ${event.variant} · repeat ${event.repeat} of ${event.repeats}`;
        break;
      case 'second':
        this.where.textContent = `${event.scenario} · ${event.variant} · repeat ${event.repeat} · second ${event.second}`;
        this.addSecond(event);
        break;
      case 'run-finished':
        this.where.textContent = 'run finished';
        this.showReport(event);
        // The runner stops its feed now: following it further would only retry a closed port.
        this.disconnect('The run is over; connect again for the next one.');
        break;
      default:
        break;
    }
  }

  addSecond(event) {
    // Seconds of the feed, as a time axis: when this page received them.
    const at = Math.floor(Date.now() / 1000);
    const last = this.seconds.at(-1);
    const figures = {
      at: last && last.at >= at ? last.at + 1 : at,
      requests: event.requests,
      p99: event.p99,
      failed: (event.non2xx ?? 0) + (event.errors ?? 0),
    };
    this.seconds.push(figures);
    if (this.seconds.length > KEEP_SECONDS) this.seconds.shift();
    this.chart.update({
      seconds: this.seconds.map((second) => second.at),
      series: {
        'requests/s': this.seconds.map((second) => second.requests),
        'p99 ms': this.seconds.map((second) => second.p99),
        'failed/s': this.seconds.map((second) => second.failed),
      },
    });
  }

  /** The report: its path, linked by its file: URL. */
  showReport({ report, url }) {
    if (!report) return;
    const link = Object.assign(document.createElement('a'), { href: url ?? report, textContent: report });
    // Browsers refuse to follow a file: link from an http page: say how to open it.
    const hint = (url ?? report).startsWith('http') ? '' : ' (copy it to the address bar, or xdg-open it)';
    this.report.replaceChildren('Report: ', link, hint);
  }
}
