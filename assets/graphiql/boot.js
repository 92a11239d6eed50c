// Starts GraphiQL for videoprompt. A separate file (not an inline <script>) so
// that the page can be served with `script-src 'self'`.
//
// Queries and mutations go to POST /graphql on this origin; subscriptions go
// over a WebSocket to /graphql (graphql-transport-ws protocol, the graphql-ws
// client that is bundled inside graphiql.min.js).
//
// Authorization: put `{ "Authorization": "Bearer <token>" }` into GraphiQL's
// "Headers" tab. GraphiQL sends those headers with every HTTP request, and for
// a subscription its fetcher merges the same headers object into the
// WebSocket's `connection_init` payload (createGraphiQLFetcher:
// connectionParams = { ...wsConnectionParams, ...headers }), so the token
// reaches the server both ways. A new WebSocket is opened per subscription
// run, so a changed token applies to the next run.
(function () {
  'use strict';

  var httpUrl = location.origin + '/graphql';
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';

  var fetcher = GraphiQL.createFetcher({
    url: httpUrl,
    subscriptionUrl: wsUrl,
  });

  // Lines kept short enough for the editor's width beside the result pane.
  var defaultQuery = [
    '# videoprompt – GraphiQL',
    '#',
    '# Strg+Enter führt die Abfrage aus.',
    '#',
    '# Angemeldet abfragen: ein Token mit der',
    '# Mutation `login` holen und unten unter',
    '# „Headers“ eintragen:',
    '#   { "Authorization": "Bearer <token>" }',
    '# Das gilt auch für Subscriptions (WebSocket).',
    '',
    '# Kamerastile und Filmeffekte (deutsche Labels):',
    '{',
    '  cameraStyles { value label }',
    '  filmEffects { value label }',
    '}',
    '',
  ].join('\n');

  var container = document.getElementById('graphiql');
  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      // Keep the headers tab (and so the bearer token) across reloads, in
      // this browser's localStorage for this origin only.
      shouldPersistHeaders: true,
      isHeadersEditorEnabled: true,
    })
  );
})();
