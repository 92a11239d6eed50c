// All prompts across the person's images, newest first, paged.
import { useCallback } from 'preact/hooks';
import { AllPromptsDocument, type AllPromptsQuery } from '../gql/graphql';
import { describeError } from '../errors';
import { useHeadingFocus, useMorePages, useQuery, useTitle, type Page } from '../hooks';
import { Loading, ProblemNotice } from '../ui';
import { ExportLinks } from './export';
import { LoadOlderPrompts, PromptItem } from './image';

const PAGE = 20;
type Node = NonNullable<AllPromptsQuery['me']>['videoPrompts']['nodes'][number];
const select = (data: unknown): Page<Node> | null => (data as AllPromptsQuery).me?.videoPrompts ?? null;

export function AllPrompts() {
  useTitle('Alle Prompts');
  const heading = useHeadingFocus();
  const query = useQuery(AllPromptsDocument, { first: PAGE }, ['prompts']);
  const more = useMorePages(
    AllPromptsDocument,
    useCallback((after: string, first: number) => ({ first, after }), []),
    select,
    query.data ? select(query.data) : null,
    PAGE,
  );
  return (
    <section>
      <h1 tabIndex={-1} ref={heading}>Alle Prompts</h1>
      <ExportLinks target={{ all: true }} label="Alle Prompts exportieren" />
      {query.error && !query.data && <ProblemNotice problem={describeError(query.error)} />}
      {query.loading && !query.data ? (
        <Loading />
      ) : more.nodes.length === 0 ? (
        <p class="empty">Noch keine Prompts. Öffnen Sie ein Bild in einer Sammlung und klicken Sie auf „Generieren“.</p>
      ) : (
        <ol class="prompt-list" aria-label="Alle Prompts, neueste zuerst">
          {more.nodes.map((prompt) => (
            <PromptItem key={prompt.id} prompt={prompt} image={prompt.image} />
          ))}
        </ol>
      )}
      <LoadOlderPrompts more={more} />
    </section>
  );
}
