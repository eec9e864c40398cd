//! A change the store's database refused for want of rights (PostgreSQL roles, see
//! [`crate::roles`]), said in words: who the person is on this store, who can decide, and how
//! to get the right, never a raw SQL error.

use std::fmt;

/// What a PostgreSQL role may do on a store (`baton store grant ROLE viewer|decider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreRole {
    /// Sees everything, decides nothing: reads only.
    Viewer,
    /// Decides, changes rules, grants files, runs watchers and hooks; never changes the log.
    Decider,
}

impl StoreRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreRole::Viewer => "viewer",
            StoreRole::Decider => "decider",
        }
    }

    pub fn parse(text: &str) -> Option<StoreRole> {
        match text.trim().to_ascii_lowercase().as_str() {
            "viewer" => Some(StoreRole::Viewer),
            "decider" => Some(StoreRole::Decider),
            _ => None,
        }
    }
}

/// Where the refused role stands on the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Its role is one of the store's two.
    Is(StoreRole),
    /// It owns the database (or is a superuser) and was refused all the same.
    Owner,
    /// Neither viewer nor decider: no right on Baton's tables.
    Nothing,
    /// The database could not be asked.
    Unknown,
}

/// A change the database refused for want of rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The PostgreSQL role Baton is connected as.
    pub role: String,
    /// The database's own words ("permission denied for table decisions").
    pub denied: String,
    pub standing: Standing,
    /// The roles that can log in and decide (members of the store's decider role).
    pub deciders: Vec<String>,
    /// The database's owner: who gives rights (`baton store grant`).
    pub owner: Option<String>,
}

/// "ana", "ana and bo", "ana, bo and cy".
fn people(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

impl Refusal {
    /// "ask the store's owner (baton)".
    fn ask(&self) -> String {
        match &self.owner {
            Some(owner) => format!("ask the store's owner ({owner})"),
            None => "ask the store's owner".to_owned(),
        }
    }

    /// "ana and bo can decide", or that nobody is a decider yet.
    fn deciders_text(&self) -> String {
        if self.deciders.is_empty() {
            "Nobody is a decider on this store yet".to_owned()
        } else {
            format!("{} can decide", people(&self.deciders))
        }
    }

    /// Why the person may change nothing on this store (decide, grant, edit rules or agents),
    /// in words, when their role is a viewer's; None when the database lets them (or it is not
    /// known: the database says so if it refuses).
    pub fn read_only(&self) -> Option<String> {
        if self.standing != Standing::Is(StoreRole::Viewer) {
            return None;
        }
        let role = &self.role;
        let (ask, deciders) = (self.ask(), self.deciders_text());
        Some(format!(
            "You are a viewer on this store (PostgreSQL role {role}): you see everything and \
             decide nothing. {deciders}; to decide yourself, {ask} to run `baton store grant \
             {role} decider`."
        ))
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = &self.role;
        let (ask, deciders) = (self.ask(), self.deciders_text());
        match self.standing {
            Standing::Is(StoreRole::Viewer) => write!(
                f,
                "you are a viewer on this store (PostgreSQL role {role}): you see everything and \
                 decide nothing, so the database refused this change ({}). {deciders}; to decide \
                 yourself, {ask} to run `baton store grant {role} decider`",
                self.denied
            ),
            Standing::Is(StoreRole::Decider) => write!(
                f,
                "the database refused this to the PostgreSQL role {role}, a decider on this store \
                 ({}): a decider decides, changes rules and grants files, but never changes the \
                 decision log or the store's schema; {ask}",
                self.denied
            ),
            Standing::Owner => write!(
                f,
                "the database refused this to the PostgreSQL role {role} although it owns the \
                 store ({}); {ask} or the database's administrator",
                self.denied
            ),
            Standing::Nothing => write!(
                f,
                "the PostgreSQL role {role} has no rights on this store ({}): {ask} to run \
                 `baton store grant {role} viewer` (or `decider`)",
                self.denied
            ),
            Standing::Unknown => write!(
                f,
                "the database refused this to the PostgreSQL role {role} ({}): {ask} to run \
                 `baton store grant {role} decider`",
                self.denied
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(standing: Standing, deciders: &[&str]) -> String {
        Refusal {
            role: "cy".into(),
            denied: "permission denied for table decisions".into(),
            standing,
            deciders: deciders.iter().map(|d| d.to_string()).collect(),
            owner: Some("baton".into()),
        }
        .to_string()
    }

    #[test]
    fn a_viewer_hears_who_can_decide_and_how_to_become_a_decider() {
        let said = refusal(Standing::Is(StoreRole::Viewer), &["ana", "bo"]);
        assert!(said.starts_with("you are a viewer on this store"), "{said}");
        assert!(said.contains("ana and bo can decide"), "{said}");
        assert!(
            said.contains("ask the store's owner (baton) to run `baton store grant cy decider`"),
            "{said}"
        );
        let alone = refusal(Standing::Is(StoreRole::Viewer), &[]);
        assert!(alone.contains("Nobody is a decider"), "{alone}");
        assert!(refusal(Standing::Is(StoreRole::Viewer), &["a", "b", "c"]).contains("a, b and c"));
    }

    #[test]
    fn only_a_viewer_is_read_only_and_hears_who_can_decide() {
        let viewer = Refusal {
            role: "cy".into(),
            denied: String::new(),
            standing: Standing::Is(StoreRole::Viewer),
            deciders: vec!["ana".into()],
            owner: Some("baton".into()),
        };
        let said = viewer.read_only().expect("a viewer changes nothing");
        assert!(
            said.starts_with("You are a viewer on this store (PostgreSQL role cy)"),
            "{said}"
        );
        assert!(said.contains("ana can decide"), "{said}");
        assert!(said.contains("`baton store grant cy decider`"), "{said}");
        for standing in [
            Standing::Is(StoreRole::Decider),
            Standing::Owner,
            Standing::Nothing,
            Standing::Unknown,
        ] {
            let other = Refusal {
                standing,
                ..viewer.clone()
            };
            assert_eq!(other.read_only(), None, "{standing:?}");
        }
    }

    #[test]
    fn every_standing_names_the_role_and_the_database_words() {
        for standing in [
            Standing::Is(StoreRole::Decider),
            Standing::Owner,
            Standing::Nothing,
            Standing::Unknown,
        ] {
            let said = refusal(standing, &["ana"]);
            assert!(said.contains("cy"), "{said}");
            assert!(
                said.contains("permission denied for table decisions"),
                "{said}"
            );
        }
        assert!(refusal(Standing::Nothing, &[]).contains("`baton store grant cy viewer`"));
        assert_eq!(StoreRole::parse(" Viewer "), Some(StoreRole::Viewer));
        assert_eq!(StoreRole::parse("decider"), Some(StoreRole::Decider));
        assert_eq!(StoreRole::parse("admin"), None);
    }
}
