//! Every table's `Entity` under a readable name, for `use entity::prelude::*`.

pub use super::app_setting::Entity as AppSetting;
pub use super::collection::Entity as Collection;
pub use super::image::Entity as Image;
pub use super::profile::Entity as Profile;
pub use super::sea_orm_active_enums::VideoPromptStatus;
pub use super::session::Entity as Session;
pub use super::user::Entity as User;
pub use super::video_prompt::Entity as VideoPrompt;
