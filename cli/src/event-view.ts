// How an event reads in text output: a row of a table, and the whole event with its history.
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { type Event, EventDeliveryStatus, EventHistoryStatus, type GetEventResponse } from "../../sdk/src/index.js";
import { enumName, formatTime, oneLineJson } from "./format.js";
import { type Column, fieldList, table } from "./table.js";

const eventColumns: Column[] = [
  { title: "ID" },
  { title: "TYPE", max: 40 },
  { title: "SOURCE", max: 24 },
  { title: "RECEIVED" },
  { title: "DELIVERY" },
  { title: "DATA", max: 60 },
];

function eventRow(event: Event): string[] {
  return [
    event.id,
    event.type,
    event.source || "-",
    formatTime(event.receivedAt),
    enumName(EventDeliveryStatus, event.deliveryStatus),
    oneLineJson(event.data),
  ];
}

export function eventsTable(events: Event[]): string {
  return table(eventColumns, events.map(eventRow));
}

export function eventDetails({ event, history, deliveryAttempts }: GetEventResponse): string {
  if (!event) return "";
  const fields: Array<[string, string]> = [
    ["id", event.id],
    ["type", event.type],
    ["source", event.source || "-"],
    ["occurred", formatTime(event.occurredAt)],
    ["received", formatTime(event.receivedAt)],
    ["acked", formatTime(event.ackedAt)],
    ["delivery", enumName(EventDeliveryStatus, event.deliveryStatus)],
    ["attempts", String(deliveryAttempts)],
    ["data", oneLineJson(event.data) || "{}"],
    ["history", history.map((change) => `${enumName(EventHistoryStatus, change.status)} ${formatTime(change.at)}`).join(", ")],
  ];
  return fieldList(fields);
}

/** tail's line for an event: `11:40:01  order.created  shop  <id>  {"order_id":42}`, its data cut to the terminal's width. */
export function tailLine(event: Event, width = 120): string {
  const head = `${clock(event.receivedAt)}  ${event.type.padEnd(24)}  ${(event.source || "-").padEnd(12)}  ${event.id}  `;
  const data = oneLineJson(event.data) || "{}";
  const room = Math.max(10, width - head.length);
  return `${head}${data.length > room ? `${data.slice(0, room - 1)}…` : data}`;
}

/** The time of day, on this machine's clock: what a person watching a live tail reads. */
export function clock(time: Timestamp | undefined): string {
  return time ? timestampDate(time).toTimeString().slice(0, 8) : "--:--:--";
}
