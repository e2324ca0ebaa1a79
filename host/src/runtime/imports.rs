// The host interfaces of one version of `guichet:plugin`, bound to `CallState`'s
// methods (`call.rs`), which do the work in the host's model. Included by
// `call.rs` once per version served, beside that version's bindings: the
// interfaces' WIT is the same in every version, their generated types are not.

impl types::Host for CallState {}

impl tickets::Host for CallState {
    fn get(&mut self, id: String) -> wasmtime::Result<Option<types::Ticket>> {
        Ok(self.ticket(&id)?.as_ref().map(Into::into))
    }

    fn open_by_identity(
        &mut self,
        identity: types::Identity,
    ) -> wasmtime::Result<Vec<types::Ticket>> {
        let found = self.open_tickets_of(&identity.into())?;
        Ok(found.iter().map(Into::into).collect())
    }

    fn recent(
        &mut self,
        since: types::Timestamp,
        limit: u32,
    ) -> wasmtime::Result<Vec<types::Ticket>> {
        let found = self.recent_tickets(since, limit)?;
        Ok(found.iter().map(Into::into).collect())
    }
}

impl storage::Host for CallState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        self.storage_get(&key)
    }

    fn set(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), storage::StorageError>> {
        Ok(self
            .storage_set(key, value)?
            .map_err(|refusal| match refusal {
                StorageRefusal::InvalidKey => storage::StorageError::InvalidKey,
                StorageRefusal::ValueTooLarge => storage::StorageError::ValueTooLarge,
                StorageRefusal::QuotaExceeded => storage::StorageError::QuotaExceeded,
            }))
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<()> {
        self.storage_delete(key)
    }

    fn list_keys(&mut self, prefix: String) -> wasmtime::Result<Vec<String>> {
        self.storage_keys(prefix)
    }
}

impl config::Host for CallState {
    fn get(&mut self) -> wasmtime::Result<String> {
        Ok(self.config_text())
    }
}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Trace => LogLevel::Trace,
            log::Level::Debug => LogLevel::Debug,
            log::Level::Info => LogLevel::Info,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Error => LogLevel::Error,
        };
        self.push_log(level, message);
        Ok(())
    }
}
