//! Sessions (and API tokens' users) this instance has read, kept while the
//! database's session counter stays where it was when they were read.
//!
//! Triggers bump `session_versions` in the transaction of any change to a
//! session or a user (migration 000017), or to a token's revocation, hash or
//! owner (000018): a sign-in or sign-out anywhere, a session's data saved, a
//! deactivation, a new password or role, a revoked token. A request
//! reads the counter (one row by key, with the search counter beside it) and
//! uses a held session only if the counter has not moved since; otherwise
//! everything held is dropped and its session is read afresh. So a request
//! sees every change committed before it began, from this instance, another
//! one, a CLI command or by hand, exactly as if it had read its session from
//! the database, without reading the session row, joining its user or
//! decoding its JSON on every page.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// Sessions held at most; when full, all are dropped at once (each is read
/// again on its next request).
const HELD_AT_MOST: usize = 10_000;

/// Values of `V` (a session, a token's user) by key `K` (a session id, a
/// token's hash).
#[derive(Debug)]
pub struct SessionCache<K, V> {
    held: Mutex<Held<K, V>>,
}

#[derive(Debug)]
struct Held<K, V> {
    /// The counter every held session was read at.
    version: i64,
    sessions: HashMap<K, V>,
}

impl<K, V: Clone> Default for SessionCache<K, V> {
    fn default() -> Self {
        SessionCache {
            held: Mutex::new(Held {
                version: 0,
                sessions: HashMap::new(),
            }),
        }
    }
}

impl<K: Eq + Hash, V: Clone> SessionCache<K, V> {
    /// Session `id` as read at counter `version` (the counter now), if held.
    pub fn get(&self, id: &K, version: i64) -> Option<V> {
        let mut held = self.held.lock().ok()?;
        if held.version != version {
            held.move_to(version);
            return None;
        }
        held.sessions.get(id).cloned()
    }

    /// Holds session `id`, read in the same statement as counter `version`.
    /// A read older than what is held is not kept (a change came between).
    pub fn put(&self, id: K, version: i64, value: V) {
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        held.move_to(version);
        if held.version == version {
            if held.sessions.len() >= HELD_AT_MOST {
                held.sessions.clear();
            }
            held.sessions.insert(id, value);
        }
    }
}

impl<K, V> Held<K, V> {
    /// Forgets everything read before `version`, if it is newer.
    fn move_to(&mut self, version: i64) {
        if version > self.version {
            self.version = version;
            self.sessions.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::session::Id;

    #[test]
    fn a_held_session_is_used_only_at_the_counter_it_was_read_at() {
        let cache = SessionCache::default();
        let id = Id::default();
        cache.put(id, 5, "alice");
        assert_eq!(cache.get(&id, 5), Some("alice"));
        // Something changed: the counter moved on, so nothing held is used,
        // even if the counter were later read at the old value again.
        assert_eq!(cache.get(&id, 6), None);
        assert_eq!(cache.get(&id, 5), None);
    }

    #[test]
    fn a_read_older_than_what_is_held_is_not_kept() {
        let cache = SessionCache::default();
        let (old, new) = (Id::default(), Id::default());
        cache.put(new, 7, "new");
        // Read at 6 but put after a request saw 7: a change came between.
        cache.put(old, 6, "old");
        assert_eq!(cache.get(&old, 7), None);
        assert_eq!(cache.get(&new, 7), Some("new"));
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = SessionCache::default();
        let ids: Vec<Id> = (0..=HELD_AT_MOST).map(|_| Id::default()).collect();
        for id in &ids {
            cache.put(*id, 1, ());
        }
        let held = ids.iter().filter(|id| cache.get(id, 1).is_some()).count();
        assert!(held <= HELD_AT_MOST, "{held} held");
        assert!(
            cache.get(&ids[HELD_AT_MOST], 1).is_some(),
            "the newest is held"
        );
    }
}
