// A proto element's leading comment as prose: its lines joined, paragraphs kept.
import type { AnyDesc, DescFile } from "@bufbuild/protobuf";
import { getComments } from "@bufbuild/protoplugin";

export function commentOf(desc: Exclude<AnyDesc, DescFile>): string {
  return (getComments(desc).leading ?? "")
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s*\n\s*/g, " ").trim())
    .filter(Boolean)
    .join("\n\n");
}
