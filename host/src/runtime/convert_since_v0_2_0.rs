// What 0.2.0 added, in the terms of 0.2.0 and of each later version: the
// `fields-changed` event and the problems `check-config` finds. Included in
// `convert::v0_2_0` and `convert::v0_3_0`.

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
