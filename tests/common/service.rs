//! A running service for end-to-end tests: [`Service`] on a loopback port with its
//! store in a fresh directory, and a small HTTP client to talk to it.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use guichet::outbox::OutboxConfig;
use guichet::pipeline::PipelineConfig;
use guichet::serve::{ServeConfig, Service, ServiceClock};
use guichet::timekeeper::TimekeeperConfig;

use super::root;

pub const OPERATOR: &str = "test-operator-token";

/// A running service and what a test needs to talk to it.
pub struct Running {
    pub runtime: tokio::runtime::Runtime,
    pub service: Option<Service>,
    pub base: String,
    pub data_dir: PathBuf,
    pub http: ureq::Agent,
}

/// An answer: status and JSON body (`Null` when empty).
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
}

/// A free loopback port, with nothing listening on it yet (for the real binary, or a
/// helpdesk that is down).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn data_dir(name: &str) -> PathBuf {
    let dir = root()
        .join("target/service-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

impl Running {
    pub fn start(data_dir: PathBuf) -> Running {
        Running::start_on(data_dir, ServiceClock::System)
    }

    /// A service on the given clock; on a simulated one, [`Running::advance_to`]
    /// moves time.
    pub fn start_on(data_dir: PathBuf, clock: ServiceClock) -> Running {
        // Quick retries, so that retry and dead-letter paths run in a test.
        let outbox = OutboxConfig {
            first_retry: Duration::from_millis(50),
            max_retry: Duration::from_millis(200),
            max_attempts: 3,
            timeout: Duration::from_secs(2),
            poll: Duration::from_millis(20),
        };
        Running::start_with(data_dir, clock, outbox)
    }

    /// A service on a simulated clock set at `at` (RFC 3339) that retries deliveries
    /// every 50 to 200 ms for as long as a test needs: a fake helpdesk that is down,
    /// then up, gets every call within the test's waits.
    pub fn start_delivering(data_dir: PathBuf, at: &str) -> Running {
        Running::start_with(
            data_dir,
            ServiceClock::Simulated(std::sync::Arc::new(guichet::clock::SimulatedClock::new(
                at.parse().expect("an RFC 3339 time"),
            ))),
            OutboxConfig {
                first_retry: Duration::from_millis(50),
                max_retry: Duration::from_millis(200),
                max_attempts: 1_000,
                timeout: Duration::from_secs(2),
                poll: Duration::from_millis(20),
            },
        )
    }

    /// A service on `clock` whose deliveries follow `outbox`.
    pub fn start_with(data_dir: PathBuf, clock: ServiceClock, outbox: OutboxConfig) -> Running {
        Running::start_piped(data_dir, clock, outbox, PipelineConfig::default())
    }

    /// A service on `clock` whose deliveries follow `outbox` and whose pipeline
    /// follows `pipeline`.
    pub fn start_piped(
        data_dir: PathBuf,
        clock: ServiceClock,
        outbox: OutboxConfig,
        pipeline: PipelineConfig,
    ) -> Running {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let service = runtime
            .block_on(Service::start(ServeConfig {
                data_dir: data_dir.clone(),
                store: None,
                listen: "127.0.0.1:0".parse().unwrap(),
                operator_token: Some(OPERATOR.to_string()),
                pipeline,
                outbox,
                clock,
                timekeeper: TimekeeperConfig::default(),
            }))
            .expect("service starts");
        let base = format!("http://{}", service.addr());
        Running {
            runtime,
            service: Some(service),
            base,
            data_dir,
            http: client(),
        }
    }

    /// A client of a service running elsewhere (the real binary) at `base`; it
    /// has no service of its own to stop.
    pub fn attach(base: &str) -> Running {
        Running {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
            service: None,
            base: base.to_string(),
            data_dir: PathBuf::new(),
            http: client(),
        }
    }

    /// Moves the simulated clock to `to`, firing what falls due on the way.
    pub fn advance_to(&self, to: &str) -> usize {
        let to = to.parse().expect("an RFC 3339 time");
        self.service
            .as_ref()
            .unwrap()
            .advance_to(to)
            .expect("timers fire")
    }

    /// Returns once every event sent so far is processed, follow-ups included.
    pub fn wait_idle(&self) {
        self.service.as_ref().unwrap().wait_idle();
    }

    /// The value of the `/metrics` line that starts with `series` (a metric's name
    /// and labels, as `guichet_plugin_snapshots{state="ready"}`); `None` when there is
    /// no such line.
    pub fn metric(&self, series: &str) -> Option<f64> {
        let mut response = self
            .http
            .get(format!("{}/metrics", self.base))
            .call()
            .expect("metrics");
        let text = response.body_mut().read_to_string().unwrap();
        text.lines().find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
    }

    /// Returns once `count` pre-initialised copies of plugins are ready and none is
    /// being made (at most a minute, else it panics).
    pub fn wait_for_snapshots(&self, count: u64) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        // Every state is written at each scrape.
        let state = |name: &str| {
            self.metric(&format!("guichet_plugin_snapshots{{state=\"{name}\"}}"))
                .expect("the snapshot gauges")
        };
        while state("making") > 0.0 || state("ready") < count as f64 {
            assert!(
                std::time::Instant::now() < until,
                "{count} snapshots were not made within a minute"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn stop(mut self) -> PathBuf {
        let service = self.service.take().unwrap();
        self.runtime
            .block_on(service.shutdown())
            .expect("clean stop");
        self.data_dir.clone()
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Answer {
        self.call_with(method, path, token, body, &[])
    }

    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .header("Content-Type", "application/json")
            .body(body.unwrap_or_default())
            .unwrap();
        let mut response = self.http.run(request).expect("the service answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            content_type,
        }
    }

    pub fn json(&self, method: &str, path: &str, token: &str, body: Value) -> Answer {
        self.call(
            method,
            path,
            Some(token),
            Some(body.to_string().into_bytes()),
        )
    }

    /// Creates tenant `id`; returns its admin token.
    pub fn tenant(&self, id: &str) -> String {
        let answer = self.json("POST", "/v1/tenants", OPERATOR, json!({"id": id}));
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body["admin_token"].as_str().unwrap().to_string()
    }

    pub fn token(&self, tenant: &str, admin: &str, scope: &str) -> String {
        let answer = self.json(
            "POST",
            &format!("/v1/tenants/{tenant}/tokens"),
            admin,
            json!({"scope": scope}),
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body["token"].as_str().unwrap().to_string()
    }

    pub fn enable_triage(&self, tenant: &str, admin: &str) {
        let config: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("examples/triage/config.json")).unwrap(),
        )
        .unwrap();
        let answer = self.json(
            "PUT",
            &format!("/v1/tenants/{tenant}/plugins/triage"),
            admin,
            json!({"reference": "triage", "config": config, "enabled": true,
                   "subscriptions": ["ticket_created"]}),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
}

/// The tests' HTTP client: statuses are answers, not errors; 30 s at most a request.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(service) = self.service.take() {
            let _ = self.runtime.block_on(service.shutdown());
        }
    }
}
