// The live dashboard: wires the load panel, the charts, the replica view, the offload panel and the run
// viewer to the page. Redraws once a second.
import { TimeChart } from './charts.js';
import { Load, LIMITS, pathsFor } from './load.js';
import { OffloadPanel } from './offload.js';
import { ReplicaView } from './replicas.js';
import { RunViewer } from './run-viewer.js';
import { LoadStats } from './stats.js';

const $ = (selector) => document.querySelector(selector);

const charts = {
  instances: new TimeChart($('#chart-replicas'), {
    title: 'answers per replica',
    unit: 'answers/s',
    stacked: true,
  }),
  latency: new TimeChart($('#chart-latency'), { title: 'latency', unit: 'ms' }),
  cache: new TimeChart($('#chart-cache'), { title: 'X-Cache', unit: 'answers/s' }),
  errors: new TimeChart($('#chart-errors'), { title: 'errors', unit: 'errors/s' }),
};
const replicaView = new ReplicaView($('#replica-tiles'), $('#replica-news'));
const startButton = $('#load-start');
const stopButton = $('#load-stop');
const loadStatus = $('#load-status');
let stats = new LoadStats();
let load;

for (const [id, limit] of [
  ['#load-rate', LIMITS.rate],
  ['#load-concurrency', LIMITS.concurrency],
  ['#load-seconds', LIMITS.seconds],
])
  $(id).max = String(limit);

function mode() {
  return $('#load-mode-rate').checked ? 'rate' : 'concurrency';
}

function showMode() {
  $('#load-rate').disabled = mode() !== 'rate';
  $('#load-concurrency').disabled = mode() === 'rate';
}
for (const radio of document.querySelectorAll('input[name="load-mode"]'))
  radio.addEventListener('change', showMode);
showMode();

startButton.addEventListener('click', () => {
  stats = new LoadStats();
  load = new Load({
    mode: mode(),
    value: mode() === 'rate' ? $('#load-rate').value : $('#load-concurrency').value,
    seconds: $('#load-seconds').value,
    nextPath: pathsFor($('#load-target').value, $('#load-heavy-name').value || 'dashboard'),
    onAnswer: (answer) => stats.record(answer),
    onEnd: () => {
      redraw();
      startButton.disabled = false;
      stopButton.disabled = true;
      loadStatus.textContent = `Stopped: ${stats.total} answers, ${stats.failures} failed.`;
      loadStatus.dataset.state = 'stopped';
    },
  });
  load.start();
  startButton.disabled = true;
  stopButton.disabled = false;
  loadStatus.dataset.state = 'running';
  const figure = load.mode === 'rate' ? `${load.value} req/s` : `${load.value} concurrent`;
  loadStatus.textContent = `Running: ${figure} for ${load.seconds} s.`;
  stopButton.focus();
});
// Enter in a field starts the load rather than submitting the form (which would reload the page).
$('#load-panel').addEventListener('submit', (event) => {
  event.preventDefault();
  if (!startButton.disabled) startButton.click();
});
stopButton.addEventListener('click', () => {
  load?.stop();
  startButton.focus();
});

function redraw() {
  const now = Date.now();
  // Complete seconds only: the current one is still filling, and would show as a dip at the right edge.
  const series = stats.series(now - 1000);
  charts.instances.update({ seconds: series.seconds, series: series.instances });
  charts.latency.update({
    seconds: series.seconds,
    series: { p50: series.p50, p95: series.p95, p99: series.p99 },
  });
  charts.cache.update({ seconds: series.seconds, series: series.cache });
  charts.errors.update({ seconds: series.seconds, series: series.errors });
  replicaView.render(stats.replicas(now, Boolean(load?.running)));
  $('#load-totals').textContent = `${stats.total} answers, ${stats.failures} failed`;
}
setInterval(redraw, 1000);
redraw();

new OffloadPanel($('#offload-panel'));
new RunViewer($('#run-viewer'));
