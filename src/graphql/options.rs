//! The pickers: every camera style and film effect with its German label.

use async_graphql::{Object, SimpleObject};

use crate::domain::styles::{CameraStyle, FilmEffect};

/// A camera style with the German label the app shows.
#[derive(SimpleObject)]
pub struct CameraStyleOption {
    pub value: CameraStyle,
    /// German label, e.g. "Kreisfahrt um das Motiv".
    pub label: &'static str,
}

/// A film effect with the German label the app shows.
#[derive(SimpleObject)]
pub struct FilmEffectOption {
    pub value: FilmEffect,
    /// German label, e.g. "Goldene Stunde".
    pub label: &'static str,
}

#[derive(Default)]
pub struct OptionsQuery;

#[Object]
impl OptionsQuery {
    /// Every camera style, in display order, with its German label.
    async fn camera_styles(&self) -> Vec<CameraStyleOption> {
        CameraStyle::ALL
            .into_iter()
            .map(|value| CameraStyleOption {
                value,
                label: value.label(),
            })
            .collect()
    }

    /// Every film effect, in display order, with its German label.
    async fn film_effects(&self) -> Vec<FilmEffectOption> {
        FilmEffect::ALL
            .into_iter()
            .map(|value| FilmEffectOption {
                value,
                label: value.label(),
            })
            .collect()
    }
}
