// Message fields the API always fills in an answer, which protobuf types as optional.

/** The field's value; a missing one means the answer is not the API's, which no caller can handle. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the answer has no ${what}: is baseUrl a Triggers gateway?`);
  return value;
}
