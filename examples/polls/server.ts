/**
 * Runs the polls example:
 *
 *   node --import tsx examples/polls/server.ts                      SQLite in ./polls.sqlite3, port 3000
 *   DATABASE_URL=postgres://app:pw@localhost/app PORT=0 node --import tsx examples/polls/server.ts
 *
 * Started by `leakproof demo` as a child process, it reports its port over IPC, and stops
 * when the parent goes away.
 *
 * @module
 */
import { maskUrl } from '../../src/secrets/mask-secrets.js';
import { pollsDatabaseUrl } from './polls-databases.js';
import { startPollsServer } from './start-polls-server.js';

const databaseUrl = pollsDatabaseUrl();
const polls = await startPollsServer({
  databaseUrl,
  port: Number(process.env['PORT'] ?? 3000),
  host: process.env['HOST'] ?? '127.0.0.1',
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await polls.close();
  process.exit(0);
}
process.once('SIGTERM', () => void stop());
if (process.send === undefined) {
  process.once('SIGINT', () => void stop());
} else {
  // Forked by `leakproof demo`: a Ctrl-C reaches the whole process group, but the demo still
  // has a report to finish; it stops this app by closing the IPC channel, however it exits.
  process.on('SIGINT', () => {});
  process.once('disconnect', () => void stop());
}

if (process.send === undefined) {
  console.log(`polls: http://127.0.0.1:${polls.port}/polls (database ${maskUrl(databaseUrl)}; metrics at /metrics)`);
} else {
  process.send({ type: 'listening', port: polls.port });
}
