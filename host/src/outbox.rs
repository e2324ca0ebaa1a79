//! Delivery of applied actions to the tenants' webhooks, at least once, from the
//! durable outbox that the pipeline fills in the same transaction as the actions.
//!
//! A delivery is a JSON `POST` signed with HMAC-SHA256: the header
//! `X-Guichet-Signature: sha256=<hex>` is the HMAC, keyed by the webhook's secret, of
//! `<X-Guichet-Timestamp>.<body>`, so a receiver can check both the origin and the
//! freshness. A 2xx answer removes the item; anything else (or no answer within the
//! timeout) schedules a retry after an exponentially growing delay; after
//! [`OutboxConfig::max_attempts`] the item goes to the tenant's dead letters, which
//! an admin can read and replay. Items survive restarts: the worker resumes them.
//!
//! The worker polls the outbox every [`OutboxConfig::poll`]; it owns delivery only,
//! and never changes tickets.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::clock::Clock;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::metrics::{Metrics, Outcome};
use crate::store::Store;

/// Settings of webhook delivery.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// The delay before the first retry; each further retry waits twice as long.
    pub first_retry: Duration,
    /// The longest wait between two attempts.
    pub max_retry: Duration,
    /// Attempts before an item goes to the dead letters.
    pub max_attempts: u32,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    pub poll: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(600),
            max_attempts: 10,
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(100),
        }
    }
}

/// The signature header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The running delivery worker.
pub struct Delivery {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Delivery {
    /// Starts delivering. Due times and signature timestamps come from `clock`: on a
    /// simulated clock, a retry waits until the clock is moved past it.
    pub fn start(
        store: Arc<dyn Store>,
        config: OutboxConfig,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
    ) -> Delivery {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("guichet-outbox".to_string())
            .spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(config.timeout))
                    .build()
                    .into();
                while !flag.load(Ordering::SeqCst) {
                    if let Err(e) =
                        deliver_due(store.as_ref(), &agent, &config, &metrics, clock.as_ref())
                    {
                        tracing::error!(error = %e, "outbox: cannot read the store");
                    }
                    std::thread::sleep(config.poll);
                }
            })
            .expect("spawn the outbox worker");
        Delivery {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops after the attempt in progress; queued items stay in the store.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn deliver_due(
    store: &dyn Store,
    agent: &ureq::Agent,
    config: &OutboxConfig,
    metrics: &Metrics,
    clock: &dyn Clock,
) -> Result<(), crate::store::StoreError> {
    let now = clock.now();
    for item in store.outbox()? {
        if item.next_attempt_at > now {
            continue;
        }
        let Some(webhook) = store.webhook(&item.tenant, &item.webhook)? else {
            let mut item = item;
            item.last_error = Some("the webhook was removed".to_string());
            store.dead_letter(&item)?;
            continue;
        };
        let timestamp = clock.now().timestamp();
        let answer = agent
            .post(&webhook.url)
            .header("Content-Type", "application/json")
            .header("X-Guichet-Delivery", &item.id)
            .header("X-Guichet-Timestamp", timestamp.to_string())
            .header(
                "X-Guichet-Signature",
                signature(&webhook.secret, timestamp, &item.body),
            )
            .send(item.body.as_str());
        let failure = match answer {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!("the receiver answered {}", response.status())),
            Err(e) => Some(format!("no answer: {e}")),
        };
        let outcome = if failure.is_none() { "ok" } else { "error" };
        metrics.deliveries.get_or_create(&Outcome { outcome }).inc();
        match failure {
            None => {
                tracing::info!(tenant = %item.tenant, webhook = %item.webhook, id = %item.id, "delivered");
                store.remove_outbox(&item.tenant, &item.id)?;
            }
            Some(error) => {
                let mut item = item;
                item.attempts += 1;
                tracing::warn!(
                    tenant = %item.tenant, webhook = %item.webhook, id = %item.id,
                    attempts = item.attempts, %error, "delivery failed"
                );
                item.last_error = Some(error);
                if item.attempts >= config.max_attempts {
                    store.dead_letter(&item)?;
                } else {
                    let wait = config
                        .first_retry
                        .saturating_mul(1 << (item.attempts - 1).min(20))
                        .min(config.max_retry);
                    item.next_attempt_at =
                        clock.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    store.update_outbox(&item)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_an_hmac_of_the_timestamp_and_the_body() {
        // Computed independently: printf '1700000000.{}' | openssl dgst -sha256 -hmac key
        assert_eq!(
            signature("key", 1_700_000_000, "{}"),
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }
}
