// What the app gives Zaps for an event: one flat object, the same from a webhook, the inbox or a search.
const { apiUrl } = require("./api");

/**
 * The event's fields at the top level, its data as an object (Zapier offers each of its fields to map) and as JSON
 * text (to pass on whole), and its state in the inbox when known.
 */
function eventOutput(event) {
  return {
    id: event.id,
    type: event.type,
    source: event.source ?? "",
    occurred_at: event.occurred_at,
    received_at: event.received_at,
    data: event.data ?? {},
    data_json: JSON.stringify(event.data ?? {}),
    ...(event.acked_at ? { acked_at: event.acked_at } : {}),
    ...(event.delivery_status ? { delivery_status: deliveryStatus(event.delivery_status) } : {}),
  };
}

/** "EVENT_DELIVERY_STATUS_DELIVERED" reads better in a Zap as "delivered". */
const deliveryStatus = (status) => status.replace(/^EVENT_DELIVERY_STATUS_/, "").toLowerCase();

const outputFields = [
  { key: "id", label: "Event ID" },
  { key: "type", label: "Type" },
  { key: "source", label: "Source" },
  { key: "occurred_at", label: "Occurred At", type: "datetime" },
  { key: "received_at", label: "Received At", type: "datetime" },
  { key: "data_json", label: "Data (JSON)" },
];

const sample = {
  id: "0193a5e4-7c1a-7b2e-9f4d-3e8b1a2c5d60",
  type: "order.created",
  source: "shop",
  occurred_at: "2026-12-05T09:30:00.123Z",
  received_at: "2026-12-05T09:30:00.123Z",
  data: { order_id: "o_1", total: 42 },
  data_json: '{"order_id":"o_1","total":42}',
};

/** Whether a type is one of these: exact types and "prefix.*" patterns, as subscriptions take them; none means any. */
function matchesTypes(patterns, type) {
  if (patterns.length === 0) return true;
  return patterns.some((pattern) => (pattern.endsWith(".*") ? type.startsWith(pattern.slice(0, -1)) : pattern === type));
}

/** The newest events of the inbox, acknowledged or not, of one type or pattern when given. */
async function newestEvents(z, bundle, { type, limit }) {
  const params = { order: "desc", status: "all", limit: String(limit) };
  if (type) params.type = type;
  const response = await z.request({ url: apiUrl(bundle, "/v1/inbox"), params });
  return response.data.events;
}

module.exports = { eventOutput, outputFields, sample, matchesTypes, newestEvents };
