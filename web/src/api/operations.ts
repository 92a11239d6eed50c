// Every GraphQL operation the app sends. graphql-codegen reads them from here, checks them
// against ../schema.graphql, types them, and lists them in the trusted-documents manifest.
import { graphql } from '../gql';

export const PromptFieldsFragment = graphql(`
  fragment PromptFields on VideoPrompt {
    id
    status
    cameraStyle
    filmEffect
    notes
    prompt
    errorCode
    attempts
    createdAt
    completedAt
  }
`);

export const PromptDetailsFragment = graphql(`
  fragment PromptDetailFields on VideoPrompt {
    ...PromptFields
    details {
      scene
      camera
      lighting
      mood
      effects
    }
    model
    promptTokens
    outputTokens
    startedAt
  }
`);

export const ImageFieldsFragment = graphql(`
  fragment ImageFields on Image {
    id
    fileName
    mimeType
    byteSize
    width
    height
    url
    createdAt
  }
`);

export const MeQuery = graphql(`
  query Me {
    me {
      id
      email
      hasGeminiApiKey
      geminiApiKeyHint
    }
  }
`);

export const PickersQuery = graphql(`
  query Pickers {
    cameraStyles {
      value
      label
    }
    filmEffects {
      value
      label
    }
  }
`);

export const RegisterMutation = graphql(`
  mutation Register($input: CredentialsInput!) {
    register(input: $input) {
      token
      user {
        id
        email
      }
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($input: CredentialsInput!) {
    login(input: $input) {
      token
      user {
        id
        email
      }
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout
  }
`);

export const SetKeyMutation = graphql(`
  mutation SetGeminiApiKey($apiKey: String!) {
    setGeminiApiKey(apiKey: $apiKey) {
      id
      hasGeminiApiKey
      geminiApiKeyHint
    }
  }
`);

export const ClearKeyMutation = graphql(`
  mutation ClearGeminiApiKey {
    clearGeminiApiKey {
      id
      hasGeminiApiKey
      geminiApiKeyHint
    }
  }
`);

export const CollectionsQuery = graphql(`
  query Collections($first: Int!, $after: String) {
    me {
      id
      collections(first: $first, after: $after) {
        nodes {
          id
          name
          createdAt
          images(first: 4) {
            nodes {
              id
              fileName
              url
            }
            pageInfo {
              hasNextPage
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const CreateCollectionMutation = graphql(`
  mutation CreateCollection($name: String!) {
    createCollection(name: $name) {
      id
      name
    }
  }
`);

export const RenameCollectionMutation = graphql(`
  mutation RenameCollection($id: ID!, $name: String!) {
    renameCollection(id: $id, name: $name) {
      id
      name
    }
  }
`);

export const DeleteCollectionMutation = graphql(`
  mutation DeleteCollection($id: ID!) {
    deleteCollection(id: $id)
  }
`);

export const CollectionQuery = graphql(`
  query Collection($id: ID!, $first: Int!, $after: String) {
    collection(id: $id) {
      id
      name
      createdAt
      images(first: $first, after: $after) {
        nodes {
          ...ImageFields
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const UploadImageMutation = graphql(`
  mutation UploadImage($collectionId: ID!, $file: Upload!) {
    uploadImage(collectionId: $collectionId, file: $file) {
      ...ImageFields
    }
  }
`);

export const DeleteImageMutation = graphql(`
  mutation DeleteImage($id: ID!) {
    deleteImage(id: $id)
  }
`);

export const ImageQuery = graphql(`
  query Image($id: ID!, $first: Int!, $after: String) {
    image(id: $id) {
      ...ImageFields
      collection {
        id
        name
      }
      videoPrompts(first: $first, after: $after) {
        nodes {
          ...PromptFields
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const GenerateMutation = graphql(`
  mutation GenerateVideoPrompt($input: GenerateVideoPromptInput!) {
    generateVideoPrompt(input: $input) {
      ...PromptFields
    }
  }
`);

export const VideoPromptQuery = graphql(`
  query VideoPrompt($id: ID!) {
    videoPrompt(id: $id) {
      ...PromptDetailFields
      image {
        id
        fileName
        url
        width
        height
        collection {
          id
          name
        }
      }
    }
  }
`);

export const CancelMutation = graphql(`
  mutation CancelVideoPrompt($id: ID!) {
    cancelVideoPrompt(id: $id) {
      ...PromptDetailFields
    }
  }
`);

export const RetryMutation = graphql(`
  mutation RetryVideoPrompt($id: ID!) {
    retryVideoPrompt(id: $id) {
      id
      status
    }
  }
`);

export const AllPromptsQuery = graphql(`
  query AllPrompts($first: Int!, $after: String) {
    me {
      id
      videoPrompts(first: $first, after: $after) {
        nodes {
          ...PromptFields
          image {
            id
            fileName
            url
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const PromptUpdatedSubscription = graphql(`
  subscription PromptUpdated($id: ID!) {
    videoPromptUpdated(id: $id) {
      ...PromptDetailFields
    }
  }
`);

export const ImagePromptsSubscription = graphql(`
  subscription ImagePromptsUpdated($imageId: ID!) {
    videoPromptUpdated(imageId: $imageId) {
      ...PromptFields
    }
  }
`);

export const ImageExportQuery = graphql(`
  query ImageExport($id: ID!, $format: ExportFormat!) {
    image(id: $id) {
      id
      exportUrl(format: $format)
    }
  }
`);

export const CollectionExportQuery = graphql(`
  query CollectionExport($id: ID!, $format: ExportFormat!) {
    collection(id: $id) {
      id
      exportUrl(format: $format)
    }
  }
`);

export const AllExportQuery = graphql(`
  query AllExport($format: ExportFormat!) {
    me {
      id
      exportUrl(format: $format)
    }
  }
`);
