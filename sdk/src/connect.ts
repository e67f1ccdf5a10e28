// The "./connect" entry: the generated services and messages, for calling the API with a Connect or gRPC client of your own.
export { createClient } from "@connectrpc/connect";
export * from "../../gen/triggers/v1/auth_pb.js";
export * from "../../gen/triggers/v1/delivery_pb.js";
export * from "../../gen/triggers/v1/event_pb.js";
export * from "../../gen/triggers/v1/inbox_pb.js";
export * from "../../gen/triggers/v1/ingest_pb.js";
