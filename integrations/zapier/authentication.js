// The connection: a Triggers API's address and an API key, checked by asking the API who the key is.
const { apiUrl } = require("./api");

const test = async (z, bundle) => {
  const response = await z.request({ url: apiUrl(bundle, "/v1/me") });
  return response.data;
};

module.exports = {
  type: "custom",
  fields: [
    {
      key: "api_url",
      label: "API URL",
      required: true,
      type: "string",
      placeholder: "https://triggers.example.com",
      helpText: "Where your Triggers gateway answers, such as `https://triggers.example.com`.",
    },
    {
      key: "api_key",
      label: "API Key",
      required: true,
      type: "password",
      helpText:
        "A Triggers API key (`tk_live_...`). Instant triggers create and delete subscriptions, which needs the `admin` scope; the others need `events:read` or `events:write`.",
    },
  ],
  test,
  // The test call's answer: the org's name, and which of its keys this connection uses.
  connectionLabel: (_z, bundle) => `${bundle.inputData.org.name} (${bundle.inputData.api_key.name || bundle.inputData.api_key.prefix})`,
};
