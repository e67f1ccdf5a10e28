// The instant trigger: a Triggers subscription per Zap, whose signed webhooks start it the moment an event arrives.
const { apiUrl, throwIfRefused } = require("../api");
const { eventOutput, matchesTypes, newestEvents, outputFields, sample } = require("../events");
const { verifiedEvent } = require("../signature");

const typesOf = (bundle) => bundle.inputData.event_types ?? [];

/** Creates the subscription that posts the chosen types to the Zap's URL; Zapier keeps the answer, secret and all. */
const performSubscribe = async (z, bundle) => {
  const response = await z.request({
    url: apiUrl(bundle, "/v1/subscriptions"),
    method: "POST",
    body: { url: bundle.targetUrl, event_types: typesOf(bundle), description: "Zapier" },
  });
  const { id, secret } = response.data;
  return { id, secret };
};

/** Deletes the Zap's subscription; one deleted already (by an admin, in Triggers) is as good as deleted now. */
const performUnsubscribe = async (z, bundle) => {
  const response = await z.request({
    url: apiUrl(bundle, `/v1/subscriptions/${encodeURIComponent(bundle.subscribeData.id)}`),
    method: "DELETE",
    skipThrowForStatus: true,
  });
  if (response.status !== 404) throwIfRefused(response, z);
  return {};
};

/** A webhook's event, once its signature holds with the secret this Zap's subscription was given. */
const perform = async (z, bundle) => [eventOutput(verifiedEvent(z, bundle.subscribeData.secret, bundle.rawRequest))];

/** Recent events of the chosen types, newest first, for the Zap editor's samples. */
const performList = async (z, bundle) => {
  const types = typesOf(bundle);
  // The inbox filters by one type or pattern; for several, the newest events are sifted here.
  const events = await newestEvents(z, bundle, { type: types.length === 1 ? types[0] : undefined, limit: 100 });
  return events.filter((event) => matchesTypes(types, event.type)).map(eventOutput);
};

module.exports = {
  key: "new_event",
  noun: "Event",
  display: {
    label: "New Event",
    description: "Triggers the moment Triggers receives an event of the types you choose.",
  },
  operation: {
    type: "hook",
    inputFields: [
      {
        key: "event_types",
        label: "Event Types",
        list: true,
        dynamic: "event_type_list.id.name",
        altersDynamicFields: false,
        helpText: "Exact types, such as `order.created`, or patterns such as `order.*`. Leave empty for every event.",
      },
    ],
    performSubscribe,
    performUnsubscribe,
    perform,
    performList,
    sample,
    outputFields,
  },
};
