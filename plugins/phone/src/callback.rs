//! Twilio's voice status callback: the form Twilio posts to the `StatusCallback` URL
//! when a call changes state (<https://www.twilio.com/docs/voice/twiml#request-parameters>,
//! <https://www.twilio.com/docs/voice/api/call-resource#statuscallback>): `CallSid`,
//! `AccountSid`, `From`, `To`, `CallStatus`, `Direction`, `CallDuration`, `Timestamp`
//! (RFC 2822), `CallbackSource`, `SequenceNumber`, the caller's geography, ...

use crate::time::parse_rfc2822;

/// The parameters of a form body, decoded, in the order sent.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// What this adapter reads of a status callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    /// `CallSid`: the call's id.
    pub call_sid: String,
    /// `From`: the caller, E.164 as Twilio gives it (`client:…` for a Twilio client).
    pub from: String,
    /// `CallerName`, when caller-name lookup is on.
    pub caller_name: Option<String>,
    /// `CallStatus`.
    pub status: String,
    /// Whether `Direction` is `inbound` (a call to one of the account's numbers).
    pub inbound: bool,
    /// `Timestamp`, when it is there and an RFC 2822 date.
    pub timestamp_ms: Option<i64>,
}

/// Where a call stands, by its `CallStatus`
/// (<https://www.twilio.com/docs/voice/api/call-resource#call-status-values>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `queued`, `initiated`, `ringing`, `answered`, `in-progress`: not over yet.
    Pending,
    /// `no-answer`, `busy`, `failed`, `canceled`: over, nobody answered.
    Missed,
    /// `completed`, or a status this adapter does not know: over, nothing to report.
    Ended,
}

impl StatusCallback {
    /// Reads the callback's parameters; a missing `CallSid`, `From` or `CallStatus` is
    /// an error (the body is not a status callback).
    pub fn read(params: &[(String, String)]) -> Result<StatusCallback, String> {
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, v)| n == name && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
        };
        let required = |name: &str| {
            get(name).ok_or_else(|| format!("not a Twilio voice status callback: no `{name}`"))
        };
        Ok(StatusCallback {
            call_sid: required("CallSid")?,
            from: required("From")?,
            status: required("CallStatus")?.to_ascii_lowercase(),
            caller_name: get("CallerName"),
            inbound: get("Direction").is_some_and(|d| d.eq_ignore_ascii_case("inbound")),
            timestamp_ms: get("Timestamp").and_then(|t| parse_rfc2822(&t)),
        })
    }

    /// Where the call stands.
    pub fn stage(&self) -> Stage {
        match self.status.as_str() {
            "queued" | "initiated" | "ringing" | "answered" | "in-progress" => Stage::Pending,
            "no-answer" | "busy" | "failed" | "canceled" => Stage::Missed,
            _ => Stage::Ended,
        }
    }

    /// When this callback was sent: its `Timestamp`, else `now_ms`.
    pub fn at(&self, now_ms: i64) -> i64 {
        self.timestamp_ms.unwrap_or(now_ms)
    }

    /// The missed call this callback reports, if it is the end of an inbound call that
    /// nobody answered. `first_seen_ms` is when an earlier callback of the same call
    /// was sent (Twilio's `ringing` or `initiated` event, when subscribed): the wait is
    /// counted from it; without one the wait is 0 and the call started at this
    /// callback's time, since a terminal status callback gives no ringing time
    /// (`CallDuration` is the time in the call, 0 for an unanswered call).
    pub fn missed_call(
        &self,
        first_seen_ms: Option<i64>,
        now_ms: i64,
        agents: &[String],
    ) -> Option<MissedCall> {
        if !self.inbound || self.stage() != Stage::Missed {
            return None;
        }
        let ended = self.at(now_ms);
        let started = first_seen_ms
            .filter(|first| *first <= ended)
            .unwrap_or(ended);
        let waited = u32::try_from((ended - started) / 1_000).unwrap_or(u32::MAX);
        Some(MissedCall {
            call_sid: self.call_sid.clone(),
            caller: self.from.clone(),
            caller_name: self.caller_name.clone(),
            rang: agents.to_vec(),
            waited_seconds: waited,
            started_at_ms: started,
        })
    }
}

/// A missed call, ready for the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedCall {
    pub call_sid: String,
    pub caller: String,
    pub caller_name: Option<String>,
    pub rang: Vec<String>,
    pub waited_seconds: u32,
    pub started_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_ANSWER: &str = "Called=%2B14155550100&ToState=CA&CallerCountry=FR&Direction=inbound&Timestamp=Mon%2C%2016%20Nov%202026%2009%3A14%3A05%20%2B0000&CallbackSource=call-progress-events&SequenceNumber=0&CallSid=CA5f0d6a8b3c2e4f1a9b7c6d5e4f3a2b1c&To=%2B14155550100&CallStatus=no-answer&From=%2B33612345678&CallDuration=0&AccountSid=ACtest&ApiVersion=2010-04-01";

    #[test]
    fn reads_a_no_answer_callback() {
        let cb = StatusCallback::read(&parse_form(NO_ANSWER.as_bytes())).unwrap();
        assert_eq!(cb.call_sid, "CA5f0d6a8b3c2e4f1a9b7c6d5e4f3a2b1c");
        assert_eq!(cb.from, "+33612345678");
        assert_eq!(cb.status, "no-answer");
        assert!(cb.inbound);
        assert_eq!(cb.stage(), Stage::Missed);
        // 2026-11-16T09:14:05Z
        assert_eq!(cb.timestamp_ms, Some(1_794_820_445_000));
        let missed = cb.missed_call(None, 0, &["alice".into()]).unwrap();
        assert_eq!(missed.waited_seconds, 0);
        assert_eq!(missed.started_at_ms, 1_794_820_445_000);
        assert_eq!(missed.rang, ["alice"]);
        assert_eq!(missed.caller, "+33612345678");
    }

    #[test]
    fn the_wait_counts_from_an_earlier_callback() {
        let cb = StatusCallback::read(&parse_form(NO_ANSWER.as_bytes())).unwrap();
        let missed = cb.missed_call(Some(1_794_820_420_000), 0, &[]).unwrap();
        assert_eq!(missed.waited_seconds, 25);
        assert_eq!(missed.started_at_ms, 1_794_820_420_000);
        // A first sighting after the end (clock skew) is not believed.
        let missed = cb.missed_call(Some(1_794_820_500_000), 0, &[]).unwrap();
        assert_eq!(missed.waited_seconds, 0);
    }

    #[test]
    fn statuses_and_directions() {
        for (status, stage) in [
            ("busy", Stage::Missed),
            ("failed", Stage::Missed),
            ("canceled", Stage::Missed),
            ("completed", Stage::Ended),
            ("ringing", Stage::Pending),
            ("in-progress", Stage::Pending),
            ("initiated", Stage::Pending),
        ] {
            let body = NO_ANSWER.replace("no-answer", status);
            let cb = StatusCallback::read(&parse_form(body.as_bytes())).unwrap();
            assert_eq!(cb.stage(), stage, "{status}");
            assert_eq!(
                cb.missed_call(None, 0, &[]).is_some(),
                stage == Stage::Missed
            );
        }
        // An outbound call nobody picked up is not a missed call of the team's.
        let body = NO_ANSWER.replace("Direction=inbound", "Direction=outbound-dial");
        let cb = StatusCallback::read(&parse_form(body.as_bytes())).unwrap();
        assert_eq!(cb.missed_call(None, 0, &[]), None);
    }

    #[test]
    fn a_bad_timestamp_falls_back_to_the_clock() {
        let body = NO_ANSWER.replace("Nov", "Nox");
        let cb = StatusCallback::read(&parse_form(body.as_bytes())).unwrap();
        assert_eq!(cb.timestamp_ms, None);
        assert_eq!(
            cb.missed_call(None, 42_000, &[]).unwrap().started_at_ms,
            42_000
        );
    }

    #[test]
    fn required_parameters() {
        for name in ["CallSid", "From", "CallStatus"] {
            let params: Vec<(String, String)> = parse_form(NO_ANSWER.as_bytes())
                .into_iter()
                .filter(|(n, _)| n != name)
                .collect();
            let err = StatusCallback::read(&params).unwrap_err();
            assert!(err.contains(name), "{err}");
        }
        let err =
            StatusCallback::read(&parse_form(b"From=&CallSid=CA1&CallStatus=busy")).unwrap_err();
        assert!(err.contains("From"), "{err}");
        assert!(StatusCallback::read(&parse_form(b"{\"CallSid\": \"CA1\"}")).is_err());
    }
}
