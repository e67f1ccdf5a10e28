// The event every load posts: about 1 KB of JSON, shaped like an order a shop would send.

const data = {
  order_id: 4242,
  customer: { id: "c_123", email: "someone@example.com", name: "A Customer" },
  items: Array.from({ length: 8 }, (_, i) => ({
    sku: `sku-${i}`,
    qty: i + 1,
    price: "19.90",
    title: `An item with a reasonably long title ${i}`,
  })),
  note: "x".repeat(100),
};

export const eventData = data;
export const eventBody = JSON.stringify({ type: "order.created", source: "bench", data });
