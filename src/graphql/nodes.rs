//! Relay's global object identification: the `Node` interface (User, Collection, Image,
//! VideoPrompt) and `node(id)` / `nodes(ids)`. The ids stay the rows' UUIDs, unique across the
//! tables, so an id needs no type inside it and no client's stored ids change; an id that is
//! someone else's answers null, exactly like one that does not exist.

use std::collections::HashMap;

use async_graphql::{Context, ID, Interface, Object, Result};
use uuid::Uuid;

use super::{
    collections::Collection, context::ContextExt, ids::parse_id, images::Image, users::User,
    video_prompts::VideoPrompt,
};
use crate::{
    error::AppError,
    services::ownership::{self, OwnedRecord},
};

/// Most ids one `nodes` call takes.
pub const MAX_NODES: usize = 100;

/// An object with a global id: `node(id)` finds it again.
#[derive(Interface, Clone)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The object's id, unique across all types."
))]
pub enum Node {
    User(User),
    Collection(Collection),
    Image(Image),
    VideoPrompt(VideoPrompt),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any of your objects by its id (your user, a collection, an image, a video prompt);
    /// null when it does not exist or is not yours.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let id = parse_id(&id, "id")?;
        Ok(find(ctx, &[id]).await?.remove(&id))
    }

    /// Several objects by id, at most 100, in the order asked (null for each that does not
    /// exist or is not yours). Costs the same few statements whatever the number.
    #[graphql(complexity = "ids.len().max(1).saturating_mul(child_complexity).saturating_add(1)")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::invalid(
                "ids",
                format!("`nodes` takes at most {MAX_NODES} ids."),
            )
            .into());
        }
        let ids = ids
            .iter()
            .map(|id| parse_id(id, "ids"))
            .collect::<Result<Vec<_>, _>>()?;
        let found = find(ctx, &ids).await?;
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }
}

/// The caller's objects among `ids`; nothing for a caller who is not signed in.
async fn find(ctx: &Context<'_>, ids: &[Uuid]) -> Result<HashMap<Uuid, Node>> {
    let Some(user) = ctx.caller_user() else {
        return Ok(HashMap::new());
    };
    let others: Vec<Uuid> = ids.iter().copied().filter(|id| *id != user.id).collect();
    let mut found: HashMap<Uuid, Node> =
        ownership::owned_records(&ctx.state().db, user.id, &others)
            .await?
            .into_iter()
            .map(|(id, record)| {
                let node = match record {
                    OwnedRecord::Collection(row) => Node::Collection(Collection(row)),
                    OwnedRecord::Image(row) => Node::Image(Image::full(row)),
                    OwnedRecord::VideoPrompt(row) => Node::VideoPrompt(VideoPrompt::full(*row)),
                };
                (id, node)
            })
            .collect();
    if others.len() < ids.len() {
        found.insert(user.id, Node::User(User(user.clone())));
    }
    Ok(found)
}
