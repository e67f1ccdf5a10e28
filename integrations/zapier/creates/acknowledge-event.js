// The action that acknowledges an event: it leaves the inbox, and pull consumers no longer get it.
const { apiUrl } = require("../api");
const { eventOutput, outputFields, sample } = require("../events");

const perform = async (z, bundle) => {
  const id = encodeURIComponent(bundle.inputData.id);
  const response = await z.request({ url: apiUrl(bundle, `/v1/events/${id}/ack`), method: "POST", body: {} });
  return eventOutput(response.data);
};

module.exports = {
  key: "acknowledge_event",
  noun: "Event",
  display: { label: "Acknowledge Event", description: "Acknowledges an event in the Triggers inbox. Acknowledging twice is harmless." },
  operation: {
    inputFields: [{ key: "id", label: "Event ID", required: true, helpText: "The event's id, as a trigger or a search gave it." }],
    perform,
    sample: { ...sample, acked_at: "2026-12-05T09:31:00.000Z" },
    outputFields: [...outputFields, { key: "acked_at", label: "Acknowledged At", type: "datetime" }],
  },
};
