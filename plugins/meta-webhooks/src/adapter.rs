//! The `adapter!` macro: the WIT glue of a Meta adapter, the same for every one of
//! them but for its name, its channel and what its Graph node is called. A macro
//! rather than functions, since each adapter has its own copy of the WIT bindings.

/// Writes the `adapter` and `config-check` exports of a Meta adapter in the crate
/// where it is called, which must have run `wit_bindgen::generate!` for
/// `guichet:plugin/channel-adapter@0.3.0` at its root and have these modules:
/// `config` (`Config`, `KEYS`, `parse`), `messages` (`read(body, node_id) ->
/// Result<(items, left out), AdapterError>`) and `replies` (`render(config,
/// outbound)`).
///
/// `adapter!(WhatsApp, Whatsapp, "phone number")`: the exporting type, the `channel`
/// case it serves, and what its Graph node is (for the log line about messages sent
/// to another one).
///
/// - `handle-inbound`: a `GET` is Meta's verification handshake, answered with the
///   challenge; a `POST` is a notification signed with `X-Hub-Signature-256`, read by
///   `messages::read`. Meta sends no delivery id: messages are told apart by their
///   own ids. A configuration that cannot be read refuses every request.
/// - `render-actions`: `replies::render`.
/// - `check-config`: every problem `config::parse` finds.
#[macro_export]
macro_rules! adapter {
    ($adapter:ident, $channel:ident, $node:literal) => {
        use exports::guichet::plugin::adapter::{
            AdapterError, Guest, Header, HttpAnswer, InboundBatch, IncomingRequest, Outbound,
            OutgoingRequest,
        };
        use exports::guichet::plugin::config_check::{self, ConfigProblem};
        use guichet::plugin::types::Channel;
        use guichet::plugin::{config as host_config, log};

        struct $adapter;

        /// The configuration, or why the adapter cannot work with it.
        fn config() -> Result<config::Config, String> {
            config::Config::load(&host_config::get(), &config::KEYS)
        }

        impl Guest for $adapter {
            fn served_channel() -> Channel {
                Channel::$channel
            }

            fn handle_inbound(request: IncomingRequest) -> Result<InboundBatch, AdapterError> {
                let config = config().map_err(AdapterError::Rejected)?;
                let (batch, elsewhere) = handle(&config, &request)?;
                if elsewhere > 0 {
                    log::log(
                        log::Level::Warn,
                        &format!(
                            concat!("{} message(s) to another ", $node, " than {} ignored"),
                            elsewhere, config.node_id
                        ),
                    );
                }
                Ok(batch)
            }

            fn render_actions(outbound: Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
                let config = config().map_err(AdapterError::Malformed)?;
                replies::render(&config, &outbound)
            }
        }

        /// Reads a request: a handshake (GET) or a signed notification (POST). Also
        /// says how many messages were for another node, and so left out.
        fn handle(
            config: &config::Config,
            request: &IncomingRequest,
        ) -> Result<(InboundBatch, usize), AdapterError> {
            let headers = request
                .headers
                .iter()
                .map(|header| (header.name.as_str(), header.value.as_str()));
            let incoming = $crate::accept(
                &request.method,
                &request.path,
                headers,
                &request.body,
                config,
            )
            .map_err(AdapterError::Rejected)?;
            match incoming {
                $crate::Incoming::Verification { challenge } => {
                    let answer = HttpAnswer {
                        status: 200,
                        headers: vec![Header {
                            name: "content-type".into(),
                            value: $crate::webhook::CHALLENGE_CONTENT_TYPE.into(),
                        }],
                        body: challenge.into_bytes(),
                    };
                    let batch = InboundBatch {
                        delivery_id: None,
                        items: Vec::new(),
                        answer: Some(answer),
                    };
                    Ok((batch, 0))
                }
                $crate::Incoming::Notification { body } => {
                    // No delivery id from Meta: messages are told apart by their ids.
                    let (items, elsewhere) = messages::read(body, &config.node_id)?;
                    let batch = InboundBatch {
                        delivery_id: None,
                        items,
                        answer: None,
                    };
                    Ok((batch, elsewhere))
                }
            }
        }

        /// Every problem of a configuration, before it is set: the reading each call
        /// does.
        impl config_check::Guest for $adapter {
            fn check_config(config: String) -> Vec<ConfigProblem> {
                match config::parse(&config) {
                    Ok(_) => Vec::new(),
                    Err(problems) => problems
                        .into_iter()
                        .map(|p| ConfigProblem {
                            path: p.path,
                            message: p.message,
                        })
                        .collect(),
                }
            }
        }

        export!($adapter);
    };
}
