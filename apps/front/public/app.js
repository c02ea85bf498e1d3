// Scale Lab front: calls the APIs through the proxy and shows who answered. Plain JS, nothing external.
const answers = document.querySelector('#answers');

/** Replaces {input-id} in a template with that input's current value (URL-encoded in paths). */
function fill(template, encode) {
  return template.replace(/\{([a-z-]+)\}/g, (_, id) => {
    const value = document.getElementById(id)?.value ?? '';
    return encode ? encodeURIComponent(value) : value.replace(/["\\]/g, '\\$&');
  });
}

async function call(method, path, body) {
  const started = performance.now();
  try {
    const response = await fetch(path, {
      method,
      headers: {
        accept: 'application/json, text/plain;q=0.9',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body,
    });
    const text = await response.text();
    return {
      status: response.status,
      ms: Math.round(performance.now() - started),
      instance: response.headers.get('x-instance') ?? '',
      upstream: response.headers.get('x-upstream') ?? '',
      cache: response.headers.get('x-cache') ?? '',
      text,
    };
  } catch (error) {
    return {
      status: 'network error',
      ms: Math.round(performance.now() - started),
      instance: '',
      upstream: '',
      cache: '',
      text: String(error),
    };
  }
}

function show(label, result) {
  const row = document.createElement('tr');
  row.className = typeof result.status === 'number' && result.status < 400 ? 'ok' : 'error';
  for (const value of [
    label,
    result.status,
    result.ms,
    result.instance,
    result.upstream,
    result.cache,
    result.text.slice(0, 300),
  ]) {
    const cell = document.createElement('td');
    cell.textContent = String(value);
    row.append(cell);
  }
  answers.prepend(row);
}

for (const button of document.querySelectorAll('button[data-call]')) {
  button.addEventListener('click', async () => {
    const [method, template] = button.dataset.call.split(' ');
    const path = fill(template, true);
    const body = button.dataset.body ? fill(button.dataset.body, false) : undefined;
    button.disabled = true;
    show(`${method} ${path}`, await call(method, path, body));
    button.disabled = false;
  });
}

document.querySelector('#burst-run').addEventListener('click', async () => {
  const count = Math.min(200, Math.max(1, Number(document.querySelector('#burst-count').value) || 1));
  const path = document.querySelector('#burst-target').value;
  const output = document.querySelector('#burst-result');
  output.textContent = `firing ${count} requests…`;
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: count }, () => call('GET', path)));
  const perReplica = new Map();
  for (const result of results) {
    const key = result.instance || `(${result.status})`;
    perReplica.set(key, (perReplica.get(key) ?? 0) + 1);
  }
  const total = Math.round(performance.now() - started);
  output.replaceChildren(
    Object.assign(document.createElement('p'), { textContent: `${count} requests in ${total} ms` }),
    ...[...perReplica].sort().map(([replica, n]) => {
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.setProperty('--share', `${(100 * n) / count}%`);
      bar.textContent = `${replica}: ${n}`;
      return bar;
    }),
  );
});

const image = document.querySelector('#big-image');
const imageStart = performance.now();
image.addEventListener('load', () => {
  const entry = performance.getEntriesByName(image.currentSrc)[0];
  const bytes = entry?.encodedBodySize ? ` (${(entry.encodedBodySize / 1048576).toFixed(1)} MB)` : '';
  document.querySelector('#image-timing').textContent =
    `Loaded in ${Math.round(performance.now() - imageStart)} ms${bytes}.`;
});
