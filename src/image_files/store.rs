//! Where image bytes live: an `object_store` store, a folder under the data dir by default.
//!
//! `--object-store-url` points elsewhere: `s3://bucket/prefix`, `gs://bucket/prefix`,
//! `az://container/prefix` (or the providers' https URLs), `file:///shared/images` (a folder
//! several instances mount), or `memory://` (tests; lost on exit). Credentials and settings for
//! the clouds come from the usual `AWS_*`, `GOOGLE_*` and `AZURE_*` environment variables.
//!
//! object_store's cloud support is built from its `*-base` features with `ring` and our own
//! reqwest rather than its `aws`/`gcp`/`azure` features, which would compile aws-lc-rs (a C
//! library) for nothing: this adds three small crates to the build.

use std::{path::Path as FsPath, sync::Arc};

use anyhow::Context;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::{
    GetOptions, ObjectStore, PutOptions, PutPayload, local::LocalFileSystem, path::Path,
};

/// The folder inside the data dir that holds image bytes by default.
pub const DEFAULT_FOLDER: &str = "images";

/// A cheap handle on the store, with the key prefix every image goes under.
#[derive(Clone, Debug)]
pub struct ImageStore {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
}

impl ImageStore {
    /// The configured store, or `<data_dir>/images`.
    pub fn open(url: Option<&str>, data_dir: &FsPath) -> anyhow::Result<Self> {
        let Some(url) = url else {
            let folder = data_dir.join(DEFAULT_FOLDER);
            std::fs::create_dir_all(&folder)
                .with_context(|| format!("could not create {}", folder.display()))?;
            let store = LocalFileSystem::new_with_prefix(&folder)
                .with_context(|| format!("could not open the image folder {}", folder.display()))?;
            return Ok(Self {
                store: Arc::new(store),
                prefix: Path::default(),
            });
        };
        let parsed = url::Url::parse(url)
            .with_context(|| format!("the object store URL `{url}` is not a URL"))?;
        if parsed.scheme() == "file" {
            // LocalFileSystem needs the folder to exist.
            let folder = parsed
                .to_file_path()
                .map_err(|()| anyhow::anyhow!("`{url}` is not a local folder"))?;
            std::fs::create_dir_all(&folder)
                .with_context(|| format!("could not create {}", folder.display()))?;
        }
        let options = std::env::vars().filter_map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            ["aws_", "google_", "azure_"]
                .iter()
                .any(|p| lower.starts_with(p))
                .then_some((lower, value))
        });
        if !matches!(parsed.scheme(), "file" | "memory") {
            // reqwest is built without a TLS crypto provider of its own; the process uses ring.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let (store, prefix) = object_store::parse_url_opts(&parsed, options)
            .with_context(|| format!("could not open the object store at `{url}`"))?;
        Ok(Self {
            store: Arc::from(store),
            prefix,
        })
    }

    /// An in-memory store (tests).
    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(object_store::memory::InMemory::new()),
            prefix: Path::default(),
        }
    }

    fn location(&self, key: &str) -> Path {
        let mut location = self.prefix.clone();
        for part in key.split('/') {
            location = location.clone().join(part);
        }
        location
    }

    /// Stores `bytes` under `key`, atomically (a reader never sees half a file).
    pub async fn put(&self, key: &str, bytes: Bytes) -> anyhow::Result<()> {
        self.store
            .put_opts(
                &self.location(key),
                PutPayload::from(bytes),
                PutOptions::default(),
            )
            .await
            .with_context(|| format!("could not store image bytes under {key}"))?;
        Ok(())
    }

    /// The bytes under `key` as a stream; `None` when there are none.
    pub async fn get(
        &self,
        key: &str,
    ) -> anyhow::Result<Option<impl Stream<Item = anyhow::Result<Bytes>> + Send + 'static>> {
        match self
            .store
            .get_opts(&self.location(key), GetOptions::default())
            .await
        {
            Ok(found) => Ok(Some(found.into_stream().map_err(anyhow::Error::from))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => {
                Err(anyhow::Error::from(err).context(format!("could not read image bytes {key}")))
            }
        }
    }

    /// Reads all the bytes under `key` (the worker sends them to Gemini).
    pub async fn read(&self, key: &str) -> anyhow::Result<Option<Bytes>> {
        let Some(stream) = self.get(key).await? else {
            return Ok(None);
        };
        let chunks: Vec<Bytes> = stream.try_collect().await?;
        Ok(Some(chunks.concat().into()))
    }

    /// The keys of the bytes last written before `cutoff`, in no particular order.
    pub fn keys_older_than(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> impl Stream<Item = anyhow::Result<String>> + Send + 'static {
        let prefix = self.prefix.clone();
        let skip = prefix.parts().count();
        let prefix = (skip > 0).then_some(prefix);
        self.store
            .list(prefix.as_ref())
            .map_err(|err| anyhow::Error::from(err).context("could not list the image store"))
            .try_filter_map(move |meta| {
                let key = (meta.last_modified < cutoff).then(|| {
                    meta.location
                        .parts()
                        .skip(skip)
                        .map(|part| part.as_ref().to_owned())
                        .collect::<Vec<_>>()
                        .join("/")
                });
                std::future::ready(Ok(key))
            })
    }

    /// Deletes the bytes under `key`; already gone counts as done.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        let location = self.location(key);
        let mut results = self
            .store
            .delete_stream(futures_util::stream::once(async move { Ok(location) }).boxed());
        while let Some(result) = results.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => {
                    return Err(anyhow::Error::from(err)
                        .context(format!("could not delete image bytes {key}")));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_round_trip_and_deleting_twice_is_fine() {
        let store = ImageStore::in_memory();
        store
            .put("ab/one", Bytes::from_static(b"png"))
            .await
            .unwrap();
        assert_eq!(
            store.read("ab/one").await.unwrap().unwrap().as_ref(),
            b"png"
        );
        store.delete("ab/one").await.unwrap();
        store.delete("ab/one").await.unwrap();
        assert!(store.read("ab/one").await.unwrap().is_none());
    }

    #[test]
    fn cloud_urls_are_understood_without_touching_the_network() {
        let dir = tempfile::tempdir().unwrap();
        for url in [
            "s3://bucket/images",
            "gs://bucket/images",
            "https://account.blob.core.windows.net/container/images",
            "memory://",
        ] {
            ImageStore::open(Some(url), dir.path()).unwrap_or_else(|err| panic!("{url}: {err:#}"));
        }
        let folder = dir.path().join("shared");
        let url = format!("file://{}", folder.display());
        ImageStore::open(Some(&url), dir.path()).unwrap();
        assert!(folder.is_dir());
        assert!(ImageStore::open(Some("not a url"), dir.path()).is_err());
        assert!(ImageStore::open(Some("ftp://example.com/x"), dir.path()).is_err());
    }
}
