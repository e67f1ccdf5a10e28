// What listen keeps between runs, in listen.json beside the config (0600): its signing secret, and where each forward URL's stream is.
import { readJsonFile, writeJsonFile } from "./config-files.js";
import { newSigningSecret } from "./webhook-signing.js";

const fileName = "listen.json";

/** Where a stream goes on from: after the last event forwarded, or, before the first, from when listen first started. */
export interface StreamPosition {
  cursor?: string;
  since?: string;
}

interface Saved {
  secret?: string;
  positions?: Record<string, StreamPosition>;
}

export class ListenState {
  readonly #dir: string;
  readonly #saved: Saved;

  constructor(dir: string) {
    this.#dir = dir;
    this.#saved = readJsonFile<Saved>(dir, fileName) ?? {};
  }

  /** The local signing secret: made on the first run and kept, so that a receiver set up with it keeps verifying. */
  secret(): string {
    if (!this.#saved.secret) {
      this.#saved.secret = newSigningSecret();
      this.#write();
    }
    return this.#saved.secret;
  }

  position(url: string): StreamPosition | undefined {
    return this.#saved.positions?.[url];
  }

  savePosition(url: string, position: StreamPosition): void {
    this.#saved.positions = { ...this.#saved.positions, [url]: position };
    this.#write();
  }

  #write(): void {
    writeJsonFile(this.#dir, fileName, this.#saved);
  }
}
