// How our messages look as JSON, everywhere: snake_case names as in the protos, and empty lists and strings present
// rather than omitted; and how JSON is read: strictly.
import type { JsonReadOptions, JsonWriteOptions } from "@bufbuild/protobuf";

export const apiJson: Partial<JsonWriteOptions> = { useProtoFieldName: true, alwaysEmitImplicit: true };

/** Decodes UTF-8, throwing a TypeError on bytes that are not: text is refused, never stored with replacement characters. */
export const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * How servers read JSON requests: a field the method does not have is refused rather than dropped (a misspelt
 * field would otherwise be lost without a word), and so is text that is not UTF-8. Connect's own default is lenient.
 */
export const strictJsonRead: Partial<JsonReadOptions> & { textDecoder: TextDecoder } = {
  ignoreUnknownFields: false,
  textDecoder: strictUtf8,
};
