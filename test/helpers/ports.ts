import { createServer } from 'node:net';

/** Whether a loopback port can be bound now. */
async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * Two consecutive free loopback ports in [from, from + 20,000), for servers that take a base port and the next (Ceph's
 * RGW and monitor, slurmctld and slurmd). Callers keep their ranges apart, so two servers starting at once do not pick
 * the same pair between probe and bind.
 */
export async function freePortPair(from: number, who: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * 20_000);
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error(`${who}: no free pair of loopback ports`);
}
