/**
 * The bare Node reference server: node:http and nothing else, answering every GET with the current time.
 * Run as its own process by reference.ts (`node reference-server.js <port>`), never inside the runner,
 * whose event loop belongs to the load generator.
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  console.error(`usage: reference-server <port> (got ${process.argv[2] ?? 'nothing'})`);
  process.exit(2);
}

const server = createServer((request, response) => {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end();
    return;
  }
  const body = `${new Date().toISOString()}\n`;
  response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  response.end(request.method === 'HEAD' ? undefined : body);
});
// As our APIs: longer than nginx's upstream keepalive_timeout (60 s), so nginx never reuses a closing socket.
server.keepAliveTimeout = 75_000;
server.headersTimeout = 76_000;

server.on('error', (error) => {
  console.error(`reference server: ${error.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => console.log(`reference server listening on http://127.0.0.1:${port}`));

// Never outlive the runner: when it dies without stopping us, we are re-parented and exit too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
