// keys: the org's API keys (admin scope), made, listed, rotated and revoked.
import type { Client } from "@connectrpc/connect";
import { type ApiKey, AuthService, type RotateKeyResponse, type WhoAmIResponse } from "../../../gen/triggers/v1/auth_pb.js";
import type { Caller } from "../caller.js";
import type { RequestOptions } from "../options.js";
import { required } from "../required.js";

export interface KeyInit {
  /** What the org calls the key. */
  name?: string;
  /** At least one of `events:write`, `events:read`, `admin`. */
  scopes: string[];
  /** Client addresses or CIDR blocks the key works from; any when empty. */
  allowedCidrs?: string[];
}

export class Keys {
  readonly #auth: Client<typeof AuthService>;

  constructor(private readonly caller: Caller) {
    this.#auth = caller.client(AuthService);
  }

  /** Who the calling key is: its org, and the key with its name and scopes. Any key that works may ask. */
  whoAmI(options?: RequestOptions): Promise<WhoAmIResponse> {
    return this.caller.call((call) => this.#auth.whoAmI({}, call), { safeToRepeat: true }, options);
  }

  /** A new key; its `secret` is shown only now. */
  async create(key: KeyInit, options?: RequestOptions): Promise<ApiKey> {
    // Not safe to repeat without an answer: a second call would make a second key.
    const response = await this.caller.call((call) => this.#auth.createKey(key, call), { safeToRepeat: false }, options);
    return required(response.apiKey, "apiKey");
  }

  /** The keys that still work, newest first, never with their secrets. */
  async list(options?: RequestOptions): Promise<ApiKey[]> {
    const response = await this.caller.call((call) => this.#auth.listKeys({}, call), { safeToRepeat: true }, options);
    return response.apiKeys;
  }

  /**
   * Issues a key with the same name, scopes and allowlist (`apiKey`, with its secret); the old one (`rotated`)
   * keeps working for the grace period: a day when not given, at most 30 days, 0 to end it at once.
   */
  rotate(id: string, rotation: { gracePeriodSeconds?: number } = {}, options?: RequestOptions): Promise<RotateKeyResponse> {
    const request = { id, gracePeriodSeconds: rotation.gracePeriodSeconds };
    // Not safe to repeat without an answer: a key is rotated once, so a repeat is refused after the first took effect.
    return this.caller.call((call) => this.#auth.rotateKey(request, call), { safeToRepeat: false }, options);
  }

  /** Revokes a key at once. The org's last admin key cannot be revoked. */
  async revoke(id: string, options?: RequestOptions): Promise<void> {
    await this.caller.call((call) => this.#auth.revokeKey({ id }, call), { safeToRepeat: true, deletes: true }, options);
  }
}
