// Uses the types graphql-codegen generated from operations.graphql the way an app does, with
// Apollo Client's typed documents; tests/browser/codegen.mjs type-checks it (tsc --strict).
// Each `@ts-expect-error` marks a wrong use the types must refuse: if the generated types
// were loose (`any`) the directive would be unused and tsc would fail.
import { ApolloClient, type TypedDocumentNode } from '@apollo/client';

import type {
  CameraStyle,
  FollowSubscription,
  FollowSubscriptionVariables,
  GenerateMutation,
  GenerateMutationVariables,
  LibraryQuery,
  LibraryQueryVariables,
  PromptStateFragment,
  VideoPromptStatus,
} from './generated/operations';

// The documents as an app holds them (a loader or the client preset would make these).
declare const LIBRARY: TypedDocumentNode<LibraryQuery, LibraryQueryVariables>;
declare const GENERATE: TypedDocumentNode<GenerateMutation, GenerateMutationVariables>;
declare const FOLLOW: TypedDocumentNode<FollowSubscription, FollowSubscriptionVariables>;

const FINISHED: readonly VideoPromptStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** The finished prompts of the library's first page, as the app lists them. */
export async function finishedPrompts(client: ApolloClient): Promise<PromptStateFragment[]> {
  const { data } = await client.query({
    query: LIBRARY,
    variables: { collections: 20, images: 20, prompts: 5 },
  });
  const collections = data?.me?.collections.nodes ?? [];
  const prompts = collections.flatMap((collection) =>
    collection.images.nodes.flatMap((image) => image.videoPrompts.nodes),
  );
  return prompts.filter((prompt) => FINISHED.includes(prompt.status));
}

/** The German scene line of a prompt, when it has one. */
export function sceneOf(prompt: PromptStateFragment): string {
  return prompt.details?.scene ?? '';
}

/** Starts a generation and follows it; resolves with the final prompt text. */
export async function generate(client: ApolloClient, imageId: string, cameraStyle: CameraStyle) {
  const { data } = await client.mutate({
    mutation: GENERATE,
    variables: { input: { imageId, cameraStyle, filmEffect: 'GOLDEN_HOUR' } },
  });
  const id = data?.generateVideoPrompt.id;
  if (!id) return null;
  return new Promise<string | null>((resolve) => {
    client.subscribe({ query: FOLLOW, variables: { id } }).subscribe(({ data: event }) => {
      const record = event?.videoPromptUpdated;
      if (record && FINISHED.includes(record.status)) resolve(record.prompt);
    });
  });
}

/** Wrong uses: each must be a type error. */
export function wrongUses(data: LibraryQuery, prompt: PromptStateFragment, client: ApolloClient) {
  // @ts-expect-error `me` is null when signed out
  const email: string = data.me.email;

  // @ts-expect-error DONE is not a VideoPromptStatus
  const done: VideoPromptStatus = 'DONE';

  // @ts-expect-error `errorCode` was not selected in PromptState
  const code = prompt.errorCode;

  // @ts-expect-error `width` is nullable (an image whose size is unknown)
  const width: number = data.me!.collections.nodes[0].images.nodes[0].width;

  // @ts-expect-error HYPERLAPSE is not a CameraStyle
  const style: CameraStyle = 'HYPERLAPSE';

  // @ts-expect-error the variable `prompts` is required
  const variables: LibraryQueryVariables = { collections: 20, images: 20 };

  // @ts-expect-error Apollo's typed document refuses variables of another operation
  void client.query({ query: LIBRARY, variables: { id: 'x' } });

  return { email, done, code, width, style, variables };
}
