// Uploads one image by the GraphQL multipart request spec, with XMLHttpRequest because fetch
// cannot report upload progress. The bearer token in `Authorization` is also the header that
// forces a CORS preflight, which the server demands of every multipart request (CSRF guard).

import { UploadImageDocument, type UploadImageMutation } from '../gql/graphql';
import { getToken } from '../session';
import { ApiError, BAD_RESPONSE, errorFromJson, NETWORK, noticeExpiry } from './client';

export type UploadedImage = UploadImageMutation['uploadImage'];

export interface UploadHandle {
  done: Promise<UploadedImage>;
  abort: () => void;
}

export const ABORTED = 'ABORTED';

export function uploadImage(
  collectionId: string,
  file: File,
  onProgress: (fraction: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const token = getToken();
  const done = new Promise<UploadedImage>((resolve, reject) => {
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: UploadImageDocument.toString(),
        variables: { collectionId, file: null },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', file, file.name);

    xhr.open('POST', '/graphql');
    xhr.setRequestHeader('accept', 'application/json');
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError(NETWORK, 'upload failed'));
    xhr.onabort = () => reject(new ApiError(ABORTED, 'upload aborted'));
    xhr.onload = () => {
      type Answer = { data?: { uploadImage?: UploadedImage } | null; errors?: { message?: string }[] };
      let json: Answer | null;
      try {
        json = JSON.parse(xhr.responseText) as Answer;
      } catch {
        json = null;
      }
      if (json?.errors && json.errors.length > 0) {
        const err = errorFromJson(json.errors, xhr.status);
        noticeExpiry(err, token);
        reject(err);
      } else if (json?.data?.uploadImage) {
        onProgress(1);
        resolve(json.data.uploadImage);
      } else if (xhr.status === 413) {
        reject(new ApiError('PAYLOAD_TOO_LARGE', 'HTTP 413', { httpStatus: 413 }));
      } else if (xhr.status === 401) {
        const err = new ApiError('UNAUTHENTICATED', 'HTTP 401', { httpStatus: 401 });
        noticeExpiry(err, token);
        reject(err);
      } else {
        reject(new ApiError(xhr.status >= 500 ? NETWORK : BAD_RESPONSE, `HTTP ${xhr.status}`));
      }
    };
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
