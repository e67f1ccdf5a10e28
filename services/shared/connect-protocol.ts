// The parts of the Connect protocol that connect-es exports but marks private: imported here and nowhere else.
//
// They are the protocol's own tables (code names, code to HTTP status) and its error body, which our hand-written
// JSON routes and the gateway's REST answers must write exactly as Connect does. connect-es asks callers of private
// exports to pin an exact version, so package.json pins every @connectrpc package exactly, and
// test/shared/connect-protocol.test.ts holds each one to what we rely on: an upgrade that changes one fails there.
export { codeFromString, codeToHttpStatus, codeToString, errorToJson } from "@connectrpc/connect/protocol-connect";
