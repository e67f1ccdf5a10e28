// The Triggers app for Zapier: what Zapier loads, wiring the connection, triggers, actions and search together.
const { version: platformVersion } = require("zapier-platform-core");
const { refusalOf, withKey } = require("./api");
const authentication = require("./authentication");
const acknowledgeEvent = require("./creates/acknowledge-event");
const publishEvent = require("./creates/publish-event");
const { version } = require("./package.json");
const findEvent = require("./searches/find-event");
const eventTypeList = require("./triggers/event-type-list");
const newEvent = require("./triggers/new-event");
const newEventPolling = require("./triggers/new-event-polling");

const byKey = (...parts) => Object.fromEntries(parts.map((part) => [part.key, part]));

module.exports = {
  version,
  platformVersion,
  authentication,
  beforeRequest: [withKey],
  afterResponse: [refusalOf],
  triggers: byKey(newEvent, newEventPolling, eventTypeList),
  creates: byKey(publishEvent, acknowledgeEvent),
  searches: byKey(findEvent),
};
