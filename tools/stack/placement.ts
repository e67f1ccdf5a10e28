// Where a child process runs: the address it listens on, and the command line that starts it there.

/**
 * The same machine for every process unless a test says otherwise: a test that cuts links runs each process in a
 * network namespace of its own (test/helpers/netns.ts), where it listens on that namespace's address.
 */
export interface Placement {
  /** The address the process listens on and is reached at. */
  host: string;
  /** The command line that runs `command args` there; as given when unset. */
  wrap?(command: string, args: string[]): { command: string; args: string[] };
}

export const loopback: Placement = { host: "127.0.0.1" };

/** The command line that runs `command args` where the placement says. */
export function placed(placement: Placement, command: string, args: string[]): { command: string; args: string[] } {
  return placement.wrap ? placement.wrap(command, args) : { command, args };
}
