// The action that publishes an event to Triggers, once however often Zapier runs the step again.
const { createHash } = require("node:crypto");
const { apiUrl } = require("../api");

/** The data field's JSON text as an object; anything else is the user's to fix. */
function dataOf(z, text) {
  if (text === undefined || text === "") return {};
  let data;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new z.errors.Error(`Data is not JSON: ${err.message}`, "invalid_data", 400);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new z.errors.Error('Data must be a JSON object, such as {"order_id": "o_1"}', "invalid_data", 400);
  }
  return data;
}

/**
 * The key that makes the publish safe to repeat. Zapier gives an app no id for a run of a Zap, so without a key of
 * the user's own it is made from what makes a run this run: the Zap and every input of the step. A step Zapier
 * runs again (a retry after a timeout, a replay from the Zap's history) stores the event once; so, for 24 hours,
 * would two runs whose inputs are all the same, which the user tells apart by mapping an id into the key.
 */
function idempotencyKey(bundle, event) {
  if (bundle.inputData.idempotency_key) return String(bundle.inputData.idempotency_key);
  const run = JSON.stringify([bundle.meta?.zap?.id ?? "", event]);
  return `zapier:${createHash("sha256").update(run).digest("hex")}`;
}

const perform = async (z, bundle) => {
  const { type, source, occurred_at } = bundle.inputData;
  const event = { type, source: source ?? "", data: dataOf(z, bundle.inputData.data), ...(occurred_at ? { occurred_at } : {}) };
  const response = await z.request({
    url: apiUrl(bundle, "/v1/events"),
    method: "POST",
    headers: { "idempotency-key": idempotencyKey(bundle, event) },
    body: event,
  });
  return response.data;
};

module.exports = {
  key: "publish_event",
  noun: "Event",
  display: { label: "Publish Event", description: "Publishes an event to Triggers, for its inbox and its subscriptions." },
  operation: {
    inputFields: [
      {
        key: "type",
        label: "Type",
        required: true,
        dynamic: "event_type_list.id.name",
        helpText: "What happened, such as `order.created`.",
      },
      {
        key: "source",
        label: "Source",
        helpText: "Who says it happened: a URI or any name, such as `zapier` or `https://shop.example.com`.",
      },
      {
        key: "data",
        label: "Data",
        type: "text",
        helpText: 'The event\'s payload: a JSON object, such as `{"order_id": "o_1"}`. Empty for `{}`.',
      },
      { key: "occurred_at", label: "Occurred At", type: "datetime", helpText: "When it happened; when Triggers receives it if empty." },
      {
        key: "idempotency_key",
        label: "Idempotency Key",
        helpText:
          "Makes a repeated step store one event. Leave empty and the app makes one from the Zap and this step's inputs; map an id (the triggering item's) to tell apart runs whose inputs are all the same.",
      },
    ],
    perform,
    sample: {
      id: "0193a5e4-7c1a-7b2e-9f4d-3e8b1a2c5d60",
      received_at: "2026-12-05T09:30:00.123Z",
      status: "EVENT_STATUS_ACCEPTED",
      duplicate: false,
    },
    outputFields: [
      { key: "id", label: "Event ID" },
      { key: "received_at", label: "Received At", type: "datetime" },
      { key: "duplicate", label: "Already Published", type: "boolean" },
    ],
  },
};
