// Delivery's settings: the ones bounded by the stream's consumer.
import test from "ava";
import { loadDeliveryConfig } from "../../services/delivery/config.js";
import { ConfigError } from "../../services/shared/config.js";
import { consumerAckWaitMs } from "../../services/shared/streams.js";

test("delivery config - a webhook timeout that would outlast the consumer's ack wait is refused", (t) => {
  const err = t.throws(() => loadDeliveryConfig({ DELIVERY_TIMEOUT_MS: String(consumerAckWaitMs) }), { instanceOf: ConfigError });
  t.true(err!.message.startsWith("DELIVERY_TIMEOUT_MS:"), err!.message);
  t.is(loadDeliveryConfig({ DELIVERY_TIMEOUT_MS: "1000" }).timeoutMs, 1000);
});
