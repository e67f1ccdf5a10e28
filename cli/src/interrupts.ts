// Ctrl-C (and SIGTERM) for commands that run until stopped: they end their loop cleanly, saving where they were, instead of dying mid-write.

/** A signal aborted by the first SIGINT or SIGTERM; a second one exits at once, for a command that does not stop. */
export function stopOnInterrupt(): AbortSignal {
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return controller.signal;
}
