//! Tokens: issuing them, and checking one that a request presents.
//!
//! A tenant token reads `gch_<id>_<secret>`: the id finds the stored record, the
//! secret is checked against the SHA-256 kept in it. The operator token reads
//! `gop_<secret>`. Secrets are 256 random bits from the operating system; only their
//! hashes are stored, and hashes are compared in constant time, so neither a stolen
//! store nor response timing gives a token away.
//!
//! This module owns token formats and checks; who may do what is the API's business.

use crate::model::Timestamp;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::{Scope, StoreError, TenantStore, TokenRecord};

/// A token as issued: the full text is shown once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub record: TokenRecord,
}

/// Who a request is, once its token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Operator,
    Tenant { tenant: String, scope: Scope },
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source");
    hex(&buf)
}

/// 256 random bits as hex: a webhook signing key.
pub fn random_secret() -> String {
    random_hex(32)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A new token for `tenant` with `scope`; the caller stores `record`.
pub fn issue(tenant: &str, scope: Scope, now: Timestamp) -> IssuedToken {
    let id = random_hex(12);
    let secret = random_hex(32);
    IssuedToken {
        token: format!("gch_{id}_{secret}"),
        record: TokenRecord {
            id,
            tenant: tenant.to_string(),
            scope,
            secret_sha256: sha256_hex(&secret),
            created_at: now,
        },
    }
}

/// A new operator token and the hash to store.
pub fn issue_operator() -> (String, String) {
    let secret = random_hex(32);
    let token = format!("gop_{secret}");
    let hash = sha256_hex(&token);
    (token, hash)
}

/// The hash under which an operator token given by the operator is stored.
pub fn operator_hash(token: &str) -> String {
    sha256_hex(token)
}

/// Who presents `token`, or `None` when it is not a valid token.
pub fn authenticate(store: &dyn TenantStore, token: &str) -> Result<Option<Caller>, StoreError> {
    if token.starts_with("gop_") || !token.starts_with("gch_") {
        // Any token that is not a tenant token is tried as the operator's, which
        // the operator may choose freely.
        return Ok(match store.operator_token_sha256()? {
            Some(hash) if same(&sha256_hex(token), &hash) => Some(Caller::Operator),
            _ => None,
        });
    }
    let Some((id, secret)) = token["gch_".len()..].split_once('_') else {
        return Ok(None);
    };
    let Some(record) = store.token(id)? else {
        // Hash anyway, so that an unknown id costs the same as a wrong secret.
        let _ = same(&sha256_hex(secret), &"0".repeat(64));
        return Ok(None);
    };
    if !same(&sha256_hex(secret), &record.secret_sha256) {
        return Ok(None);
    }
    Ok(Some(Caller::Tenant {
        tenant: record.tenant,
        scope: record.scope,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_token_checks_out_and_a_changed_one_does_not() {
        let dir = std::env::temp_dir().join(format!("guichet-tenancy-{}", std::process::id()));
        let store = crate::store::SledStore::open(&dir).unwrap();
        let issued = issue("acme", Scope::Integration, chrono::Utc::now());
        store.put_token(&issued.record).unwrap();
        assert_eq!(
            authenticate(&store, &issued.token).unwrap(),
            Some(Caller::Tenant {
                tenant: "acme".into(),
                scope: Scope::Integration
            })
        );
        let mut wrong = issued.token.clone();
        wrong.pop();
        wrong.push('x');
        assert_eq!(authenticate(&store, &wrong).unwrap(), None);
        assert_eq!(authenticate(&store, "gch_nope").unwrap(), None);
        assert_eq!(authenticate(&store, "").unwrap(), None);
        assert!(!issued.token.contains(&issued.record.secret_sha256));

        let (operator, hash) = issue_operator();
        store.set_operator_token_sha256(&hash).unwrap();
        assert_eq!(
            authenticate(&store, &operator).unwrap(),
            Some(Caller::Operator)
        );
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
