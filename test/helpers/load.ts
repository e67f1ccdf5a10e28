// Events posted without pause by several clients at once, as the crash tests need: every accepted id is kept.
import type { apiClient } from "./api-client.js";

export interface Load {
  /** The ids of the events accepted so far, in the order their answers came. */
  accepted: string[];
  /** Stops posting; resolves once every client's last call has answered. */
  stop(): Promise<void>;
}

export function postUnderLoad(api: ReturnType<typeof apiClient>, type: string, clients = 8): Load {
  const accepted: string[] = [];
  let posting = true;
  const post = async (client: number) => {
    for (let i = 0; posting; i++) {
      const reply = await api.post("/v1/events", { type, data: { client, i } });
      if (reply.status === 200) accepted.push(reply.body.id);
    }
  };
  const clientsDone = Array.from({ length: clients }, (_, client) => post(client));
  return {
    accepted,
    async stop() {
      posting = false;
      await Promise.all(clientsDone);
    },
  };
}
