/**
 * The V8 flags the CLI runs with: its shebang (pipeline/main.ts), the Dockerfile's entry point and the benchmarks
 * pass these, and a test keeps them the same.
 *
 * A young generation of 4 MiB semi-spaces (a new space of 8 MiB), not V8's default, which grows with the machine's
 * memory (128 MiB of new space on the 24 GiB development machine): the main thread makes megabytes of short-lived
 * typed arrays a block (tiles, masks, worker results), and their memory is given back only when a scavenge finds
 * them dead; with the default young generation that came late enough to be a fifth of the memory bench's peak (Kahuzi-Biega: 284 MiB against 344-358) and 45-63 MiB of a whole run's (about 680 MiB), for
 * about 2 % more time (the main thread scavenges more often).
 */
export const CLI_NODE_FLAGS = ['--max-semi-space-size=4'] as const;
