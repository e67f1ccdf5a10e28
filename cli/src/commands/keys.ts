// triggers keys: the org's API keys (admin scope): create (the secret shown once), list, rotate, revoke.
import type { Command } from "@commander-js/extra-typings";
import { ApiKeySchema, RotateKeyResponseSchema } from "../../../sdk/src/connect.js";
import { contextOf } from "../context.js";
import { formatTime } from "../format.js";
import { integerIn, listValue } from "../option-values.js";
import { apiJson } from "../output.js";
import { table } from "../table.js";

/** How long a rotated key may keep working, in seconds: 30 days, as the API allows. */
const maxGraceSeconds = 30 * 24 * 60 * 60;

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("the org's API keys (admin scope)");

  keys
    .command("create")
    .description("a new key; prints its secret, shown only this once")
    .requiredOption("--scopes <scopes>", "events:write, events:read, admin: comma-separated or repeated", listValue)
    .option("--name <name>", "what the org calls the key")
    .option("--allow <cidrs>", "addresses or CIDR blocks the key works from, comma-separated or repeated (default: any)", listValue)
    .addHelpText("after", "\nExample:\n  triggers keys create --name shop --scopes events:write")
    .action(async (options, command) => {
      const context = contextOf(command);
      const key = await context.client().keys.create({ name: options.name, scopes: options.scopes, allowedCidrs: options.allow });
      context.output.result(apiJson(ApiKeySchema, key), () =>
        [
          `Created key ${key.id}${key.name ? ` (${key.name})` : ""} with ${key.scopes.join(", ")}.`,
          `Secret, shown only now (keep it): ${key.secret}`,
        ].join("\n"),
      );
    });

  keys
    .command("list")
    .description("the keys that still work, newest first, never with their secrets")
    .action(async (_options, command) => {
      const context = contextOf(command);
      const list = await context.client().keys.list();
      context.output.result({ api_keys: list.map((key) => apiJson(ApiKeySchema, key)) }, () =>
        table(
          [
            { title: "ID" },
            { title: "NAME", max: 30 },
            { title: "PREFIX" },
            { title: "SCOPES" },
            { title: "CREATED" },
            { title: "LAST USED" },
            { title: "EXPIRES" },
          ],
          list.map((key) => [
            key.id,
            key.name || "-",
            key.prefix,
            key.scopes.join(","),
            formatTime(key.createdAt),
            formatTime(key.lastUsedAt),
            formatTime(key.expiresAt),
          ]),
        ),
      );
    });

  keys
    .command("rotate")
    .description("issue a key with the same name, scopes and allowlist; the old one keeps working for the grace period")
    .argument("<id>", "the key's id")
    .option("--grace <seconds>", "how long the old key keeps working (default: a day; 0 ends it now)", integerIn(0, maxGraceSeconds))
    .action(async (id, options, command) => {
      const context = contextOf(command);
      const rotation = await context.client().keys.rotate(id, { gracePeriodSeconds: options.grace });
      const fresh = rotation.apiKey;
      context.output.result(apiJson(RotateKeyResponseSchema, rotation), () =>
        [
          `New key ${fresh?.id} replaces ${id}, which works until ${formatTime(rotation.rotated?.expiresAt)}.`,
          `Secret, shown only now (keep it): ${fresh?.secret}`,
        ].join("\n"),
      );
    });

  keys
    .command("revoke")
    .description("revoke a key at once (the org's last admin key cannot be)")
    .argument("<id>", "the key's id")
    .action(async (id, _options, command) => {
      const context = contextOf(command);
      await context.client().keys.revoke(id);
      context.output.result({ id, revoked: true }, () => `Revoked key ${id}.`);
    });
}
