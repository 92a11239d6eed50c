//! Images in the schema: `image(id)`, `uploadImage` (GraphQL multipart request spec; the HTTP
//! layer spools the file within its limits), `deleteImage`, and the `Image` type.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, ScalarType, Upload, Value};
use chrono::{DateTime, Utc};
use entity::{image, video_prompt};

use super::{
    collections::Collection,
    connection::{self, PageConnection},
    context::ContextExt,
    exports::{ExportFormat, export_url},
    ids::{parse_id, to_id},
    loaders::{CollectionLoader, PromptPageKey, PromptPageLoader},
    plain_fields::{Plain, PlainFields, PlainValue},
    video_prompts::{VideoPrompt, prompt_columns, prompt_connection},
};
use crate::{
    error::{AppError, Missing},
    services::{
        columns::{ColumnSet, Loaded},
        exports::ExportScope,
        images::NewUpload,
        ownership,
        pagination::{Page, PageRequest},
        video_prompts,
    },
};

/// An uploaded image. Its type and size were read from the file itself.
///
/// Through a page (`Collection.images`) it holds only the columns the client's selection needs;
/// every field reads through a checked accessor, so one whose column was not read is an
/// internal error rather than a blank value.
#[derive(Clone)]
pub struct Image {
    row: Loaded<image::Model>,
    /// The page of `videoPrompts` read in the same statement as the image (`image(id)`), which
    /// that field answers when it asks for the same page and columns.
    read_prompts: Option<ReadPromptPage>,
}

#[derive(Clone)]
struct ReadPromptPage {
    page: PageRequest,
    columns: ColumnSet<video_prompt::Model>,
    prompts: Arc<Page<Loaded<video_prompt::Model>>>,
}

impl Image {
    /// A whole record (upload, `VideoPrompt.image`).
    pub fn full(row: impl Into<Arc<image::Model>>) -> Self {
        Self::from(Loaded::full(row))
    }
}

/// A row as a page read it (`Collection.images`), with the columns its selection needs.
impl From<Loaded<image::Model>> for Image {
    fn from(row: Loaded<image::Model>) -> Self {
        Self {
            row,
            read_prompts: None,
        }
    }
}

/// The columns the selected `Image` fields read. `id` and `collection_id` are always read by a
/// page; a field this does not know reads everything (a superset is safe, a subset is not).
pub fn image_columns<'a>(fields: impl IntoIterator<Item = &'a str>) -> ColumnSet<image::Model> {
    use image::Column as C;
    let mut set = ColumnSet::empty();
    for field in fields {
        set = match field {
            "__typename" | "id" | "url" | "collection" | "videoPrompts" => set,
            "fileName" => set.with(C::FileName),
            "mimeType" => set.with(C::MimeType),
            "byteSize" => set.with(C::ByteSize),
            "width" => set.with(C::Width),
            "height" => set.with(C::Height),
            "createdAt" => set.with(C::CreatedAt),
            _ => return ColumnSet::all(),
        };
    }
    set
}

#[Object]
impl Image {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(to_id(*self.row.id()?))
    }

    /// The collection the image is in.
    async fn collection(&self, ctx: &Context<'_>) -> Result<Collection> {
        let found = ctx
            .loader::<CollectionLoader>()
            .load_one(*self.row.collection_id()?)
            .await?
            .ok_or(AppError::NotFound(Missing::Collection))?;
        Ok(Collection(found))
    }

    /// The name the file had on the uploader's machine (display only).
    async fn file_name(&self) -> Result<&str> {
        Ok(self.row.file_name()?)
    }

    /// image/png, image/jpeg, image/webp, image/heic or image/heif, from the file's bytes.
    async fn mime_type(&self) -> Result<&str> {
        Ok(self.row.mime_type()?)
    }

    async fn byte_size(&self) -> Result<i32> {
        Ok(shown_byte_size(*self.row.byte_size()?))
    }

    /// Width in pixels as the picture is shown, which is how a browser draws it: after a JPEG's
    /// EXIF orientation and a HEIF's rotation and crop (for HEIF, the primary image's). A
    /// 640 × 428 picture stored turned by 90° has width 428 and height 640.
    async fn width(&self) -> Result<Option<i32>> {
        Ok(*self.row.width()?)
    }

    /// Height in pixels as the picture is shown (turned and cropped like `width`).
    async fn height(&self) -> Result<Option<i32>> {
        Ok(*self.row.height()?)
    }

    /// A short-lived signed URL the browser can load the image from (no token needed).
    async fn url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(ctx
            .state()
            .signer
            .url(*self.row.id()?, Utc::now().timestamp()))
    }

    async fn created_at(&self) -> Result<DateTime<Utc>> {
        Ok(*self.row.created_at()?)
    }

    /// A link that downloads this image's video prompts as `format`, newest first; like
    /// `User.exportUrl`, short-lived and usable without a token.
    async fn export_url(&self, ctx: &Context<'_>, format: ExportFormat) -> Result<String> {
        Ok(export_url(ctx, ExportScope::Image(*self.row.id()?), format))
    }

    /// The prompts asked for this image, newest first. `first`: 0 to 100 (default 20).
    #[graphql(complexity = "connection::complexity(first, child_complexity)")]
    async fn video_prompts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<PageConnection<Plain<VideoPrompt>>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let columns = prompt_columns(connection::node_fields(ctx));
        let prompts = match &self.read_prompts {
            Some(read) if read.page == page && read.columns == columns => {
                Some(read.prompts.clone())
            }
            _ => {
                ctx.loader::<PromptPageLoader>()
                    .load_one(PromptPageKey {
                        image_id: *self.row.id()?,
                        page,
                        columns,
                    })
                    .await?
            }
        };
        prompt_connection(prompts.as_deref(), page)
    }
}

/// What a page node answers without its resolver: the row's own columns (`url`, `collection`
/// and `videoPrompts` need theirs).
impl PlainFields for Image {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        let row = &self.row;
        Some(match name {
            "id" => PlainValue::Id(*row.id().ok()?),
            "fileName" => PlainValue::Text(row.file_name().ok()?),
            "mimeType" => PlainValue::Text(row.mime_type().ok()?),
            "byteSize" => PlainValue::Int(shown_byte_size(*row.byte_size().ok()?)),
            "width" => row.width().ok()?.map_or(PlainValue::Null, PlainValue::Int),
            "height" => row.height().ok()?.map_or(PlainValue::Null, PlainValue::Int),
            "createdAt" => PlainValue::Value(row.created_at().ok()?.to_value()),
            _ => return None,
        })
    }
}

/// GraphQL's `Int` is 32 bits; the upload limit keeps real sizes far below its end.
fn shown_byte_size(bytes: i64) -> i32 {
    i32::try_from(bytes).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct ImageQuery;

#[Object]
impl ImageQuery {
    /// One of your images; null when it does not exist or is not yours.
    async fn image(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Image>> {
        let id = parse_id(&id, "id")?;
        let Some(session) = ctx.caller() else {
            return Ok(None);
        };
        let db = &ctx.state().db;
        let Some((page, columns)) = asked_prompt_page(ctx) else {
            return Ok(ownership::image(db, session.user_id, id)
                .await?
                .map(Image::full));
        };
        let found = video_prompts::owned_image_with_page(db, session.user_id, id, page, columns)
            .await?
            .map(|(row, prompts)| Image {
                row,
                read_prompts: Some(ReadPromptPage {
                    page,
                    columns,
                    prompts: Arc::new(prompts),
                }),
            });
        Ok(found)
    }
}

/// The page of `videoPrompts` this `image(id)` selection asks for, and its columns, when it
/// asks for one: so the image and that page are read in one statement. `None` when the field
/// is not selected, is selected with different arguments or fields under different aliases, or
/// has arguments its resolver will refuse (it then reports them itself).
fn asked_prompt_page(ctx: &Context<'_>) -> Option<(PageRequest, ColumnSet<video_prompt::Model>)> {
    let mut asked = None;
    for field in ctx.look_ahead().field("videoPrompts").selection_fields() {
        let (mut first, mut after) = (None, None);
        let arguments = field.arguments().ok()?;
        for (name, value) in &arguments {
            match (name.as_str(), value) {
                (_, Value::Null) => {}
                ("first", Value::Number(n)) => first = Some(i32::try_from(n.as_i64()?).ok()?),
                ("after", Value::String(text)) => after = Some(text.as_str()),
                _ => return None,
            }
        }
        let page = PageRequest::new(first, after).ok()?;
        let columns = prompt_columns(connection::node_fields_in(field.into()));
        match asked {
            None => asked = Some((page, columns)),
            Some(same) if same == (page, columns) => {}
            Some(_) => return None,
        }
    }
    asked
}

#[derive(Default)]
pub struct ImageMutation;

#[Object]
impl ImageMutation {
    /// Uploads an image into one of your collections, by the GraphQL multipart request spec.
    /// PNG, JPEG, WebP or HEIC/HEIF (the type is read from the bytes, not the file name), within
    /// the size and pixel limits. A file that is not such an image answers BAD_USER_INPUT with
    /// `extensions.field` `file` and `extensions.reason`: `UNSUPPORTED_TYPE`, `INCOMPLETE`,
    /// `DAMAGED` or `TOO_MANY_PIXELS`.
    async fn upload_image(
        &self,
        ctx: &Context<'_>,
        collection_id: ID,
        file: Upload,
    ) -> Result<Image> {
        let collection_id = parse_id(&collection_id, "collectionId")?;
        let session = ctx.session()?;
        // Only a multipart request carries files; a JSON request naming one has none to give.
        let upload = file.value(ctx).map_err(|_| {
            AppError::invalid(
                "file",
                "No file came with `file`: send it as a multipart request (see the README).",
            )
        })?;
        let stored = ctx
            .state()
            .images
            .upload(
                session.user_id,
                collection_id,
                NewUpload {
                    file_name: upload.filename,
                    file: upload.content,
                },
            )
            .await?;
        Ok(Image::full(stored))
    }

    /// Deletes one of your images with its bytes and its prompts.
    async fn delete_image(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id(&id, "id")?;
        let session = ctx.session()?;
        ctx.state().images.delete(session.user_id, id).await?;
        Ok(true)
    }
}
