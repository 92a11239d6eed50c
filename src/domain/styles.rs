//! The camera styles and film effects a user picks from, with the German labels the app shows
//! and the Gemini prompt names. One list each, shared by the GraphQL enums, the pickers and the
//! message sent to Gemini, so a label can never differ between screen and prompt.

use async_graphql::{Enum, resolver_utils::EnumType};
use serde::{Deserialize, Serialize};

/// How the camera moves in the generated video.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CameraStyle {
    Static,
    Pan,
    Tilt,
    DollyIn,
    DollyOut,
    Tracking,
    Orbit,
    Crane,
    Handheld,
    Drone,
    Zoom,
}

/// The visual effect or look of the generated video.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilmEffect {
    None,
    Cinematic,
    SlowMotion,
    Timelapse,
    FilmGrain,
    BlackAndWhite,
    GoldenHour,
    ShallowFocus,
    Vintage,
    Dreamy,
    Noir,
}

impl CameraStyle {
    /// Every value, in the order the pickers show them.
    pub const ALL: [CameraStyle; 11] = [
        Self::Static,
        Self::Pan,
        Self::Tilt,
        Self::DollyIn,
        Self::DollyOut,
        Self::Tracking,
        Self::Orbit,
        Self::Crane,
        Self::Handheld,
        Self::Drone,
        Self::Zoom,
    ];

    /// The German label shown to users and named in the Gemini prompt.
    pub fn label(self) -> &'static str {
        match self {
            Self::Static => "Statische Kamera",
            Self::Pan => "Kameraschwenk",
            Self::Tilt => "Vertikaler Schwenk",
            Self::DollyIn => "Dolly-Fahrt auf das Motiv zu",
            Self::DollyOut => "Dolly-Fahrt vom Motiv weg",
            Self::Tracking => "Begleitende Kamerafahrt",
            Self::Orbit => "Kreisfahrt um das Motiv",
            Self::Crane => "Kranfahrt",
            Self::Handheld => "Handkamera",
            Self::Drone => "Drohnenflug",
            Self::Zoom => "Langsamer Zoom",
        }
    }

    /// The stable name stored in the database and used in GraphQL (`DOLLY_IN`).
    pub fn as_str(self) -> &'static str {
        enum_name(self)
    }

    /// Parses a stored name back; `None` for anything unknown.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|style| style.as_str() == value)
    }
}

impl FilmEffect {
    /// Every value, in the order the pickers show them.
    pub const ALL: [FilmEffect; 11] = [
        Self::None,
        Self::Cinematic,
        Self::SlowMotion,
        Self::Timelapse,
        Self::FilmGrain,
        Self::BlackAndWhite,
        Self::GoldenHour,
        Self::ShallowFocus,
        Self::Vintage,
        Self::Dreamy,
        Self::Noir,
    ];

    /// The German label shown to users and named in the Gemini prompt.
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "Kein besonderer Effekt",
            Self::Cinematic => "Kinolook",
            Self::SlowMotion => "Zeitlupe",
            Self::Timelapse => "Zeitraffer",
            Self::FilmGrain => "Analoges Filmkorn",
            Self::BlackAndWhite => "Schwarz-Weiß",
            Self::GoldenHour => "Goldene Stunde",
            Self::ShallowFocus => "Geringe Schärfentiefe",
            Self::Vintage => "Vintage-Look",
            Self::Dreamy => "Verträumter Weichzeichner",
            Self::Noir => "Film noir",
        }
    }

    /// The stable name stored in the database and used in GraphQL (`SLOW_MOTION`).
    pub fn as_str(self) -> &'static str {
        enum_name(self)
    }

    /// Parses a stored name back; `None` for anything unknown.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|effect| effect.as_str() == value)
    }
}

/// The GraphQL name of an enum value, which is also how it is stored.
fn enum_name<T: EnumType>(value: T) -> &'static str {
    T::items()
        .iter()
        .find(|item| item.value == value)
        .map(|item| item.name)
        .expect("BUG: every enum value has an item")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_labels_are_distinct() {
        for style in CameraStyle::ALL {
            assert_eq!(CameraStyle::parse(style.as_str()), Some(style));
        }
        for effect in FilmEffect::ALL {
            assert_eq!(FilmEffect::parse(effect.as_str()), Some(effect));
        }
        assert_eq!(CameraStyle::DollyIn.as_str(), "DOLLY_IN");
        assert_eq!(FilmEffect::BlackAndWhite.as_str(), "BLACK_AND_WHITE");
        let mut labels: Vec<_> = CameraStyle::ALL.iter().map(|s| s.label()).collect();
        labels.dedup();
        assert_eq!(labels.len(), CameraStyle::ALL.len());
    }
}
