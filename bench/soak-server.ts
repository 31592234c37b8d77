/**
 * The app of `bench/soak.ts`, in a process of its own so that its heap is measured alone:
 * `soak-server.ts <engine> <url> <cancelOnAbort 0|1>`. Sends `{ type: 'ready', port }`, serves
 * until the parent sends `stop`. Its `/heap` route answers the live heap after a full collection.
 *
 * @module
 */
import { createDatabases } from '../src/index.js';
import type { EngineName } from '../test/support/dialect.js';
import { createSoakTable, soakRows, startSoakApp } from '../test/support/soak/soak-app.js';
import { exitWithParent, sendToParent } from './child.js';

const [engine, url, cancel] = process.argv.slice(2) as [EngineName, string, string];
exitWithParent();
const dbs = createDatabases({ default: { url, maxConnections: 10, cancelOnAbort: cancel === '1', leakTimeout: 3000 } });
const table = 'soak_rows';
await createSoakTable(dbs, engine, table);
const app = await startSoakApp(dbs, engine, table);
process.on('message', (message: { type?: string }) => {
  if (message.type === 'rows') void soakRows(dbs, table).then((rows) => sendToParent({ type: 'rows', rows }));
  if (message.type === 'stop')
    void app
      .close()
      .then(() => dbs.close())
      .then(() => process.exit(0));
});
await sendToParent({ type: 'ready', port: app.port });
