// Exportieren: the prompts of an image, a collection or all of them as JSON, CSV or Markdown.
// The API hands out a short-lived signed link per download (`exportUrl`), so the link is asked
// for when the person clicks, then followed; the server's `Content-Disposition: attachment`
// makes it a download that leaves the page as it is.
import { useState } from 'preact/hooks';
import { request } from '../api/client';
import {
  AllExportDocument,
  CollectionExportDocument,
  ImageExportDocument,
  type ExportFormat,
} from '../gql/graphql';
import { describeError, type Problem } from '../errors';
import { Button, ProblemNotice } from '../ui';

export type ExportTarget = { imageId: string } | { collectionId: string } | { all: true };

const FORMATS: { format: ExportFormat; label: string; hint: string }[] = [
  { format: 'CSV', label: 'CSV', hint: 'für Tabellen (Excel, LibreOffice)' },
  { format: 'MARKDOWN', label: 'Markdown', hint: 'zum Lesen und Weitergeben' },
  { format: 'JSON', label: 'JSON', hint: 'für Programme' },
];

async function exportUrl(target: ExportTarget, format: ExportFormat): Promise<string | null> {
  if ('imageId' in target) return (await request(ImageExportDocument, { id: target.imageId, format })).image?.exportUrl ?? null;
  if ('collectionId' in target) {
    return (await request(CollectionExportDocument, { id: target.collectionId, format })).collection?.exportUrl ?? null;
  }
  return (await request(AllExportDocument, { format })).me?.exportUrl ?? null;
}

export function ExportLinks({ target, label }: { target: ExportTarget; label: string }) {
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const download = async (format: ExportFormat) => {
    setBusy(format);
    setProblem(null);
    try {
      const url = await exportUrl(target, format);
      if (!url) {
        setProblem({ message: 'Das gibt es nicht (mehr) – vielleicht wurde es inzwischen gelöscht.' });
        return;
      }
      const link = document.createElement('a');
      link.href = url;
      link.download = '';
      document.body.append(link);
      link.click();
      link.remove();
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <section class="export card" aria-label={label}>
      <h2 class="small-heading">{label}</h2>
      <ul>
        {FORMATS.map(({ format, label: name, hint }) => (
          <li key={format}>
            <Button busy={busy === format} busyLabel="Wird vorbereitet …" onClick={() => download(format)} title={hint} aria-label={`Als ${name} exportieren (${hint})`}>
              {name}
            </Button>
          </li>
        ))}
      </ul>
      <ProblemNotice problem={problem} />
    </section>
  );
}
