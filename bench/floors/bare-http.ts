// Floor: a bare node:http server that reads the request and answers a small JSON body, the least any HTTP API costs.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { announcePort } from "../processes.js";

const answer = JSON.stringify({ ok: true });

const server = http.createServer((req, res) => {
  req.resume();
  req.once("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": answer.length });
    res.end(answer);
  });
});
server.listen(0, "127.0.0.1", () => announcePort((server.address() as AddressInfo).port));
