// How our messages look as JSON, everywhere: snake_case names as in the protos, and empty lists and strings present rather than omitted.
import type { JsonWriteOptions } from "@bufbuild/protobuf";

export const apiJson: Partial<JsonWriteOptions> = { useProtoFieldName: true, alwaysEmitImplicit: true };
