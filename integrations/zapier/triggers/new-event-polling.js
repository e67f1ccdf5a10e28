// The polling trigger, for accounts that cannot take webhooks: Zapier reads the inbox's newest events and starts the Zap for those it has not seen.
const { eventOutput, newestEvents, outputFields, sample } = require("../events");

const perform = async (z, bundle) => {
  // Zapier dedupes by id: every event comes once, acknowledged by another consumer or not.
  const events = await newestEvents(z, bundle, { type: bundle.inputData.event_type, limit: 100 });
  return events.map(eventOutput);
};

module.exports = {
  key: "new_event_polling",
  noun: "Event",
  display: {
    label: "New Event (Polling)",
    description:
      "Triggers when Triggers has received an event, checked every few minutes. Use New Event unless webhooks cannot reach Zapier.",
  },
  operation: {
    type: "polling",
    inputFields: [
      {
        key: "event_type",
        label: "Event Type",
        dynamic: "event_type_list.id.name",
        helpText: "One type, such as `order.created`, or a pattern such as `order.*`. Leave empty for every event.",
      },
    ],
    perform,
    canPaginate: false,
    sample,
    outputFields,
  },
};
