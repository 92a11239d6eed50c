// Exportieren: the prompts of an image, a collection or all of them as JSON, CSV or Markdown.
// Placeholder until the API's `exportUrl` lands on main.

export type ExportTarget = { imageId: string } | { collectionId: string } | { all: true };

export function ExportLinks(_props: { target: ExportTarget; label: string }) {
  return null;
}
