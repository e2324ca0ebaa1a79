//! Conversions between the host model (`crate::model`) and the WIT bindings of each
//! version of `guichet:plugin` (`convert_types.rs`, included once per version).
//!
//! Times cross the boundary as milliseconds since the Unix epoch. A time a plugin
//! returns that is out of chrono's range is clamped rather than refused: it can only
//! come from a buggy plugin, and a clamped timer still fires.

use chrono::{DateTime, Utc};

use crate::model;

pub fn millis(t: model::Timestamp) -> i64 {
    t.timestamp_millis()
}

pub fn from_millis(ms: i64) -> model::Timestamp {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

macro_rules! same_enum {
    ($model:ty, $wit:ty, [$($variant:ident),* $(,)?]) => {
        impl From<$model> for $wit {
            fn from(value: $model) -> Self {
                match value { $(<$model>::$variant => <$wit>::$variant,)* }
            }
        }
        impl From<$wit> for $model {
            fn from(value: $wit) -> Self {
                match value { $(<$wit>::$variant => <$model>::$variant,)* }
            }
        }
    };
}

/// `guichet:plugin@0.1.0`: every kind but `fields-changed`.
pub mod v0_1_0 {
    use super::{from_millis, millis};
    use crate::model;
    use crate::runtime::bindings::v0_1_0 as bindings;
    use bindings::types as wit;

    include!("convert_types.rs");

    fn event_kind(k: &model::EventKind) -> Option<wit::EventKind> {
        common_event_kind(k)
    }
}

/// `guichet:plugin@0.2.0`: every kind, and the problems `check-config` finds.
pub mod v0_2_0 {
    use super::{from_millis, millis};
    use crate::model;
    use crate::runtime::bindings::v0_2_0 as bindings;
    use bindings::types as wit;

    include!("convert_types.rs");

    fn event_kind(k: &model::EventKind) -> Option<wit::EventKind> {
        let model::EventKind::FieldsChanged {
            priority,
            channel,
            fields,
        } = k
        else {
            return common_event_kind(k);
        };
        Some(wit::EventKind::FieldsChanged(wit::FieldsChange {
            priority: priority.map(|c| wit::PriorityChange {
                previous: c.previous.into(),
                current: c.current.into(),
            }),
            channel: channel.map(|c| wit::ChannelChange {
                previous: c.previous.into(),
                current: c.current.into(),
            }),
            fields: fields
                .iter()
                .map(|f| wit::FieldChange {
                    name: f.name.clone(),
                    previous: f.previous.as_ref().map(Into::into),
                    current: f.current.as_ref().map(Into::into),
                })
                .collect(),
        }))
    }

    impl From<bindings::config_check::ConfigProblem> for model::ConfigProblem {
        fn from(p: bindings::config_check::ConfigProblem) -> Self {
            model::ConfigProblem {
                path: p.path,
                message: p.message,
            }
        }
    }
}
