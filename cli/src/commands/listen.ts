// triggers listen --forward-to: the org's events live, each POSTed to a local URL signed as a webhook, resuming where it stopped.
import type { Command } from "@commander-js/extra-typings";
import type { Event, WatchQuery } from "../../../sdk/src/index.js";
import { contextOf } from "../context.js";
import { clock } from "../event-view.js";
import { type Forwarded, forwardEvent } from "../forward-event.js";
import { stopOnInterrupt } from "../interrupts.js";
import { ListenState } from "../listen-state.js";
import { listValue, urlValue } from "../option-values.js";
import { reconnectNotice } from "../reconnect-notice.js";
import { matchesTypes } from "../type-patterns.js";

export function registerListen(program: Command): void {
  program
    .command("listen")
    .description("forward the org's events, live, to a local URL, signed with Standard Webhooks headers; resumes where it stopped")
    .requiredOption("--forward-to <url>", "where each event is POSTed, such as http://localhost:3000/hook", urlValue)
    .option("--types <patterns>", "exact types and prefix.* patterns, comma-separated or repeated (default: every type)", listValue)
    .option("--source <source>", "only events from this source")
    .addHelpText(
      "after",
      `
Example:
  triggers listen --forward-to http://localhost:3000/hook --types 'order.*'

Each POST carries the body and the webhook-id, webhook-timestamp and webhook-signature headers a subscription's
webhook would, signed with a local secret (whsec_...) that listen makes once, keeps in the config folder and prints
at start: verify with it as with a subscription's. A restarted listen forwards what arrived while it was stopped.`,
    )
    .action(async (options, command) => {
      const { output, configDir, client } = contextOf(command);
      const url = options.forwardTo;
      const types = options.types ?? [];
      const state = new ListenState(configDir);
      const secret = state.secret();
      const saved = state.position(url);
      // Saved before the stream opens, so that a listen stopped before its first event still finds what arrived since.
      const position = saved ?? { since: new Date().toISOString() };
      if (!saved) state.savePosition(url, position);
      const query: WatchQuery = {
        cursor: position.cursor,
        since: position.cursor ? undefined : position.since,
        // The API filters by one pattern; several are matched here.
        type: types.length === 1 ? types[0] : undefined,
        source: options.source,
      };

      output.note(`Forwarding events${types.length > 0 ? ` of types ${types.join(", ")}` : ""} to ${url}`);
      output.note(`Signing secret: ${secret}`);
      output.note(saved ? "Resuming after the last event forwarded." : "Starting from now.");
      const signal = stopOnInterrupt();
      let opened = false;
      const events = client().events.watch(query, {
        signal,
        onOpen: () => {
          if (!opened) output.note("Ready; Ctrl-C stops.");
          opened = true;
        },
        onReconnect: (reconnect) => output.note(reconnectNotice(reconnect)),
      });
      for await (const { event, cursor } of events) {
        if (matchesTypes(types, event.type)) {
          const forwarded = await forwardEvent(url, event, secret);
          output.line(output.json ? JSON.stringify(forwardedJson(event, forwarded)) : forwardedLine(event, forwarded));
        }
        state.savePosition(url, { cursor });
      }
    });
}

function forwardedJson(event: Event, { status, durationMs, error }: Forwarded) {
  return { event_id: event.id, type: event.type, status, duration_ms: durationMs, error };
}

/** `11:40:01  order.created  <id>  → 200 in 12 ms`. */
function forwardedLine(event: Event, { status, durationMs, error }: Forwarded): string {
  const answer = status === undefined ? `failed: ${error}` : String(status);
  return `${clock(event.receivedAt)}  ${event.type.padEnd(24)}  ${event.id}  → ${answer} in ${durationMs} ms`;
}
