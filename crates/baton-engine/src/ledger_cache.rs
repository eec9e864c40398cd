//! What the rate-limit code keeps between runs, so a detector run reads what changed: each API's
//! time-of-day profile (recomputed every ten minutes: reading a week of minutes takes ~0.1 s per
//! API at 20 agents) and its recent ledger minutes (read whole every five minutes, else only the
//! last three minutes, the ones that still change as calls and usage reports arrive).

use std::collections::HashMap;

use baton_core::ratelimit::{minute_of, MinuteUsage, TimeOfDayProfile};
use baton_store::ratelimits::ApiKey;
use baton_store::Store;
use chrono::{DateTime, Duration, Utc};

/// How much of the recent past the pressure detector and the view read: the longest usual
/// window (an hour) with room for an episode that began before it.
pub(crate) const RECENT: i64 = 3 * 3600;

/// Profiles change slowly: recomputed at most this often.
const PROFILE_TTL: Duration = Duration::minutes(10);
/// The recent minutes are read whole at least this often (a usage report may still change an
/// older minute).
const MINUTES_TTL: Duration = Duration::minutes(5);
/// Between whole reads, the minutes from this long before the current one are read again.
const STILL_CHANGING: i64 = 3 * 60;

/// One API's recent minutes, oldest first.
struct Minutes {
    rows: Vec<MinuteUsage>,
    read_whole_at: DateTime<Utc>,
}

#[derive(Default)]
pub(crate) struct LedgerCache {
    profiles: HashMap<ApiKey, (DateTime<Utc>, TimeOfDayProfile)>,
    minutes: HashMap<ApiKey, Minutes>,
    /// When the ledger's old minutes were last dropped.
    pub(crate) pruned_at: Option<DateTime<Utc>>,
}

fn stale(at: DateTime<Utc>, now: DateTime<Utc>, ttl: Duration) -> bool {
    now - at >= ttl || at > now
}

/// The profile from the whole days before the last hour.
fn read_profile(
    store: &Store,
    api: &ApiKey,
    now: DateTime<Utc>,
) -> baton_store::Result<TimeOfDayProfile> {
    let (totals, days) = store.slot_totals(&api.api, api.key.as_deref(), minute_of(now) - 3600)?;
    Ok(TimeOfDayProfile::from_slot_totals(&totals, days))
}

fn profile_in<'c>(
    profiles: &'c mut HashMap<ApiKey, (DateTime<Utc>, TimeOfDayProfile)>,
    store: &Store,
    api: &ApiKey,
    now: DateTime<Utc>,
) -> baton_store::Result<&'c TimeOfDayProfile> {
    let fresh = profiles
        .get(api)
        .is_some_and(|(at, _)| !stale(*at, now, PROFILE_TTL));
    if !fresh {
        let profile = read_profile(store, api, now)?;
        profiles.insert(api.clone(), (now, profile));
    }
    Ok(&profiles.get(api).expect("inserted above").1)
}

impl LedgerCache {
    /// The API's time-of-day profile.
    pub(crate) fn profile(
        &mut self,
        store: &Store,
        api: &ApiKey,
        now: DateTime<Utc>,
    ) -> baton_store::Result<&TimeOfDayProfile> {
        profile_in(&mut self.profiles, store, api, now)
    }

    /// The API's profile, and its minutes from `recent` seconds before `now` to the current one.
    pub(crate) fn profile_and_minutes(
        &mut self,
        store: &Store,
        api: &ApiKey,
        now: DateTime<Utc>,
        recent: i64,
    ) -> baton_store::Result<(&TimeOfDayProfile, &[MinuteUsage])> {
        let now_minute = minute_of(now);
        let key = api.key.as_deref();
        let (from, to) = (now_minute - recent, now_minute + 60);
        match self.minutes.get_mut(api) {
            Some(kept) if !stale(kept.read_whole_at, now, MINUTES_TTL) => {
                let changing = now_minute - STILL_CHANGING;
                kept.rows
                    .retain(|m| m.minute >= from && m.minute < changing);
                kept.rows
                    .extend(store.api_minutes(&api.api, key, changing, to)?);
            }
            _ => {
                let rows = store.api_minutes(&api.api, key, from, to)?;
                self.minutes.insert(
                    api.clone(),
                    Minutes {
                        rows,
                        read_whole_at: now,
                    },
                );
            }
        }
        let profile = profile_in(&mut self.profiles, store, api, now)?;
        let minutes = &self.minutes.get(api).expect("read above").rows;
        Ok((profile, minutes))
    }
}

#[cfg(test)]
mod tests {
    use baton_core::agent::AgentDraft;
    use baton_core::protocol::{AgentInfo, Event, EventKind, StatusDocument};
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::seconds(secs)
    }

    fn calls(store: &mut Store, agent: i64, seqs: std::ops::Range<u64>, secs: i64) {
        let events = seqs
            .map(|seq| Event {
                api: Some("openai".into()),
                status: Some(200),
                ..Event::new(seq, at(secs), EventKind::ApiCall)
            })
            .collect();
        let doc = StatusDocument {
            events,
            cursor: "c".into(),
            ..StatusDocument::new(AgentInfo::new("a"))
        };
        store.ingest(agent, &doc, at(secs)).unwrap();
    }

    fn requests(minutes: &[MinuteUsage]) -> u64 {
        minutes.iter().map(|m| m.requests).sum()
    }

    #[test]
    fn recent_minutes_are_read_whole_then_only_where_they_still_change() {
        let mut store = Store::open_in_memory().unwrap();
        let agent = store
            .add_agent(&AgentDraft::new("A", "http://127.0.0.1:1"))
            .unwrap()
            .id;
        let api = ApiKey {
            api: "openai".into(),
            key: None,
        };
        calls(&mut store, agent, 1..4, 0);
        let mut cache = LedgerCache::default();
        let (_, minutes) = cache
            .profile_and_minutes(&store, &api, at(30), 3_600)
            .unwrap();
        assert_eq!(requests(minutes), 3);
        // A call in the current minute is seen at once.
        calls(&mut store, agent, 4..5, 600);
        let (_, minutes) = cache
            .profile_and_minutes(&store, &api, at(610), 3_600)
            .unwrap();
        assert_eq!(requests(minutes), 4);
        // A late call dated ten minutes back is seen at the next whole read.
        calls(&mut store, agent, 5..6, 0);
        let (_, minutes) = cache
            .profile_and_minutes(&store, &api, at(620), 3_600)
            .unwrap();
        assert_eq!(requests(minutes), 4);
        let (_, minutes) = cache
            .profile_and_minutes(&store, &api, at(630) + MINUTES_TTL, 3_600)
            .unwrap();
        assert_eq!(requests(minutes), 5);
        // Minutes older than `recent` leave.
        let (_, minutes) = cache
            .profile_and_minutes(&store, &api, at(640) + MINUTES_TTL, 400)
            .unwrap();
        assert_eq!(requests(minutes), 1);
    }
}
