// Sammlungen: the person's collections, newest first, and a new one.
import { useCallback, useState } from 'preact/hooks';
import { request } from '../api/client';
import { CollectionsDocument, CreateCollectionDocument, type CollectionsQuery } from '../gql/graphql';
import { changed } from '../bus';
import { describeError, type Problem } from '../errors';
import { formatDate } from '../format';
import { useHeadingFocus, useMorePages, useQuery, useTitle, type Page } from '../hooks';
import { navigate } from '../router';
import { Button, Loading, ProblemNotice, Thumb } from '../ui';

const PAGE = 20;
type CollectionNode = NonNullable<CollectionsQuery['me']>['collections']['nodes'][number];
const select = (data: unknown): Page<CollectionNode> | null => (data as CollectionsQuery).me?.collections ?? null;

export function Collections() {
  useTitle('Sammlungen');
  const heading = useHeadingFocus();
  const query = useQuery(CollectionsDocument, { first: PAGE }, ['collections']);
  const more = useMorePages(CollectionsDocument, useCallback((after: string) => ({ first: PAGE, after }), []), select, query.data ? select(query.data) : null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    if (name.trim() === '') {
      setProblem({ message: 'Bitte geben Sie der Sammlung einen Namen.' });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const result = await request(CreateCollectionDocument, { name });
      changed('collections');
      navigate(`/sammlungen/${result.createCollection.id}`);
    } catch (err) {
      setProblem(describeError(err, 'collection-name'));
      setBusy(false);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1} ref={heading}>Sammlungen</h1>
      <form class="card form inline-form" onSubmit={create}>
        <div class="field">
          <label for="new-collection">Neue Sammlung</label>
          <input id="new-collection" type="text" maxLength={100} placeholder="z. B. Urlaub 2026" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <Button type="submit" variant="primary" busy={busy} busyLabel="Wird angelegt …">
          Anlegen
        </Button>
      </form>
      <ProblemNotice problem={problem} />
      {query.error && !query.data && <ProblemNotice problem={describeError(query.error)} />}
      {query.loading && !query.data ? (
        <Loading />
      ) : more.nodes.length === 0 && query.data ? (
        <p class="empty">Sie haben noch keine Sammlung. Legen Sie oben die erste an.</p>
      ) : (
        <ul class="collection-list" aria-label="Ihre Sammlungen">
          {more.nodes.map((collection) => (
            <li key={collection.id} class="card collection-card">
              <h2>
                <a href={`/sammlungen/${collection.id}`}>{collection.name}</a>
              </h2>
              <p class="meta">Angelegt am {formatDate(collection.createdAt)}</p>
              {collection.images.nodes.length > 0 ? (
                <div class="mini-thumbs" aria-hidden="true">
                  {collection.images.nodes.map((image) => (
                    <Thumb key={image.id} class="mini-thumb" src={image.url} alt="" onExpired={query.refetch} />
                  ))}
                  {collection.images.pageInfo.hasNextPage && <span class="more-thumbs">+</span>}
                </div>
              ) : (
                <p class="meta">Noch keine Bilder</p>
              )}
            </li>
          ))}
        </ul>
      )}
      {more.hasMore && (
        <Button onClick={more.loadMore} busy={more.loadingMore} busyLabel="Wird geladen …">
          Weitere Sammlungen laden
        </Button>
      )}
    </section>
  );
}
