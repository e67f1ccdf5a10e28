// Waiting for what happens asynchronously: poll until it has happened, give up after a bound generous enough for a loaded machine.

// Two test runs sharing two cores can take several times as long as one run alone.
const tries = 600;
const pauseMs = 50;

/** Polls until check returns a value other than undefined, and returns it; fails naming `what` if it never does. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what = "the condition"): Promise<T> {
  for (let attempt = 0; attempt < tries; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}
