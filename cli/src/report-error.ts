// Turns what went wrong into an exit code and a message that names the cause and what to do: on stderr, JSON in json mode.
import { Code } from "@connectrpc/connect";
import { ErrorReason, TriggersError } from "../../sdk/src/index.js";
import { codeToString } from "../../services/shared/connect-protocol.js";
import { CommandFailure, UsageError } from "./command-errors.js";
import { ExitCode } from "./exit-codes.js";
import type { Output } from "./output.js";

/** Where listing commands show what exists, for a not-found answer: by the first word of the command. */
const listingOf: Record<string, string> = {
  events: "`triggers inbox list --status all` lists events",
  inbox: "`triggers inbox list --status all` lists events",
  subscriptions: "`triggers subscriptions list` lists subscriptions",
  replay: "`triggers subscriptions list` lists subscriptions",
  deliveries: "`triggers deliveries list --event <id>` lists an event's deliveries",
  keys: "`triggers keys list` lists keys",
};

interface Report {
  message: string;
  hint: string | undefined;
  exitCode: ExitCode;
  details?: Record<string, unknown>;
}

/** Prints the error and returns the exit code. `command` is the command's words (`events get`), `url` the gateway's. */
export function reportError(err: unknown, output: Output, command: string, url: string | undefined): ExitCode {
  const report = describe(err, command, url);
  if (output.json) {
    output.note(JSON.stringify({ error: { message: report.message, hint: report.hint, ...report.details } }));
  } else {
    output.note(`triggers: ${report.message}`);
    if (report.hint) output.note(`  what to do: ${report.hint}`);
  }
  return report.exitCode;
}

function describe(err: unknown, command: string, url: string | undefined): Report {
  if (err instanceof UsageError) return { message: err.message, hint: err.hint, exitCode: ExitCode.usage };
  if (err instanceof CommandFailure) return { message: err.message, hint: err.hint, exitCode: ExitCode.apiError };
  if (err instanceof TriggersError) {
    const status = err.status === undefined ? "no answer" : String(err.status);
    const requestId = err.requestId ? `, request id ${err.requestId}` : "";
    return {
      message: `${codeToString(err.code).replaceAll("_", " ")}: ${err.message} (${status}${requestId})`,
      hint: hintFor(err, command, url),
      exitCode: ExitCode.apiError,
      details: {
        code: codeToString(err.code),
        status: err.status,
        reason: err.reason === undefined ? undefined : `ERROR_REASON_${ErrorReason[err.reason]}`,
        field: err.field,
        request_id: err.requestId,
      },
    };
  }
  // A bug, or the machine refusing something (a full disk): say what it was, for a report.
  return { message: err instanceof Error ? err.message : String(err), hint: undefined, exitCode: ExitCode.apiError };
}

function hintFor(err: TriggersError, command: string, url: string | undefined): string | undefined {
  switch (err.code) {
    case Code.Unauthenticated:
      return "the gateway refused the API key: run `triggers login` with a valid key, or set TRIGGERS_API_KEY";
    case Code.PermissionDenied:
      return "the key lacks what this needs (its scope or allowed addresses): use a key that has it; an admin key makes one with `triggers keys create`";
    case Code.NotFound:
      return `check the id: ${listingOf[command.split(" ")[0] ?? ""] ?? "the list commands show what exists"}`;
    case Code.InvalidArgument:
    case Code.FailedPrecondition:
    case Code.OutOfRange:
      if (err.reason === ErrorReason.IDEMPOTENCY_KEY_REUSED) return "an idempotency key is reused for a different event: give another key";
      return err.field ? `fix ${err.field}, then run the command again` : "fix the request, then run the command again";
    case Code.ResourceExhausted:
      if (err.reason === ErrorReason.RATE_LIMITED) {
        return `the org's plan allows no more now${err.retryAfterSeconds ? `: try again in ${err.retryAfterSeconds} s` : ""}, or ask the operator for a larger plan`;
      }
      if (err.reason === ErrorReason.TOO_MANY_STREAMS) return "stop another tail or listen that uses this key, or use another key";
      return "send less at once";
    case Code.Unavailable:
    case Code.DeadlineExceeded:
      return err.status === undefined
        ? `check that the gateway at ${url ?? "the configured URL"} is up (npm start runs one) and that TRIGGERS_URL or the saved URL is right`
        : "a service is down or restarting: try again in a moment";
    case Code.Unimplemented:
      return "the gateway does not serve this call: it may be older than this CLI";
    case Code.Canceled:
      return undefined;
    default:
      return err.requestId ? `the server failed: quote request id ${err.requestId} when reporting it` : undefined;
  }
}
