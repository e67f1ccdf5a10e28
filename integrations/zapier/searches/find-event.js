// The search that finds an event by its id, pending or acknowledged.
const { apiUrl, throwIfRefused } = require("../api");
const { eventOutput, outputFields, sample } = require("../events");

const perform = async (z, bundle) => {
  const response = await z.request({
    url: apiUrl(bundle, `/v1/events/${encodeURIComponent(bundle.inputData.id)}`),
    // Not found is an answer for a search: no event.
    skipThrowForStatus: true,
  });
  if (response.status === 404) return [];
  throwIfRefused(response, z);
  return [eventOutput(response.data.event)];
};

module.exports = {
  key: "find_event",
  noun: "Event",
  display: { label: "Find Event", description: "Finds an event by its id, pending or acknowledged." },
  operation: {
    inputFields: [{ key: "id", label: "Event ID", required: true }],
    perform,
    sample,
    outputFields: [
      ...outputFields,
      { key: "acked_at", label: "Acknowledged At", type: "datetime" },
      { key: "delivery_status", label: "Delivery Status" },
    ],
  },
};
