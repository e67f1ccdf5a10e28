// How the app talks to a Triggers API: its address from the connection, the key as a bearer token, Triggers' errors as Zapier's.
const { version } = require("./package.json");

/** The connection's API address, without a trailing slash: every request is made against it. */
const apiUrl = (bundle, path) => `${String(bundle.authData.api_url).replace(/\/+$/, "")}${path}`;

/** Sends the connection's key on every request, and says which app and version is calling. */
const withKey = (request, _z, bundle) => {
  if (bundle.authData.api_key) request.headers.authorization = `Bearer ${bundle.authData.api_key}`;
  request.headers["user-agent"] = `triggers-zapier/${version}`;
  return request;
};

/**
 * Triggers answers errors as {code, message}: the message says what to fix, and the Zap's history shows it. A key
 * that no longer works is the connection's to fix, so Zapier asks the user to reconnect. (A 429 never gets here:
 * zapier-platform-core throws it first, and has the step wait what Retry-After says.)
 */
function throwIfRefused(response, z) {
  if (response.status < 400) return response;
  const { code, message } = parsed(response.content);
  const text = message ? `${message} (${code}, HTTP ${response.status})` : `Triggers answered HTTP ${response.status}`;
  if (response.status === 401) throw new z.errors.ExpiredAuthError(text);
  throw new z.errors.Error(text, code || `http_${response.status}`, response.status);
}

/** Every answer's refusal as Zapier's error, but for a request that reads the answer's status itself. */
const refusalOf = (response, z) => (response.skipThrowForStatus ? response : throwIfRefused(response, z));

function parsed(content) {
  try {
    return JSON.parse(content) ?? {};
  } catch {
    return {};
  }
}

module.exports = { apiUrl, withKey, refusalOf, throwIfRefused };
