/**
 * Free TCP ports on 127.0.0.1 for throwaway servers.
 *
 * @module
 */
import { createServer } from 'node:net';

/**
 * A port that was free a moment ago, chosen by the kernel. Another process can still take it
 * before the server binds, so callers retry their start on "address in use".
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not read the chosen port');
  return address.port;
}
