// A hidden trigger behind the event type dropdowns: the types of the events the org has received.
const { apiUrl } = require("../api");

// One page holds as many types as the API lists at once; an org with more types than this types the rest.
const pageSize = 1000;

const perform = async (z, bundle) => {
  if (bundle.meta?.page) return [];
  const response = await z.request({ url: apiUrl(bundle, "/v1/event-types"), params: { limit: String(pageSize) } });
  return response.data.event_types.map((type) => ({ id: type, name: type }));
};

module.exports = {
  key: "event_type_list",
  noun: "Event Type",
  display: { label: "Event Types", description: "Lists the types of the events your org has received.", hidden: true },
  operation: { perform, sample: { id: "order.created", name: "order.created" } },
};
