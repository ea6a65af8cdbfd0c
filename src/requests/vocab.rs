//! The fixed lists a bed request is made of: how long the placement is
//! expected to last, the matching considerations an officer may tick (no
//! free text about the child), a provider's answer and reason for not
//! offering, and where a request stands.

use serde::Serialize;

macro_rules! list {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code.trim() { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The codes, for error messages and the API description.
            pub fn codes() -> String {
                Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

list! {
    /// How long the placement is expected to last.
    Length {
        Emergency => "emergency", "Emergency (a few days)";
        ShortTerm => "short_term", "Short term (up to 3 months)";
        LongTerm => "long_term", "Long term";
    }
}

list! {
    /// What a provider must know to match, from a fixed list: never the
    /// child's story.
    Consideration {
        OnlyChild => "only_child", "Needs to be the only child in the home";
        GoingMissing => "going_missing", "History of going missing";
        Exploitation => "exploitation", "Risk of exploitation";
        SchoolPlace => "school_place", "Needs a school place";
        NoPets => "no_pets", "Needs a home without pets";
        LevelAccess => "level_access", "Needs level access";
    }
}

list! {
    /// Why a provider cannot offer.
    Reason {
        NoVacancy => "no_vacancy", "No vacancy";
        DoesNotMeetNeeds => "does_not_meet_needs", "Cannot meet the child's needs";
        Matching => "matching", "Matching with the children already there";
        Other => "other", "Other";
    }
}

list! {
    /// A home's answer.
    Answer {
        Offer => "offer", "Offer";
        CannotOffer => "cannot_offer", "Cannot offer";
        Withdrawn => "withdrawn", "Offer withdrawn";
    }
}

list! {
    /// Where a request stands in the database.
    Status {
        Open => "open", "Open";
        Placed => "placed", "Placed";
        NoSuitableOffer => "no_suitable_offer", "No suitable offer";
        Withdrawn => "withdrawn", "Withdrawn by the council";
    }
}

list! {
    /// Where a request stands for the officer: waiting for answers, waiting
    /// for a decision (every home answered, or the reply-by time passed),
    /// or closed.
    Stage {
        Open => "open", "Waiting for answers";
        AwaitingDecision => "awaiting", "Awaiting decision";
        Closed => "closed", "Closed";
    }
}

/// Codes as one column ("a,b"), in list order.
pub fn join<T: Copy>(items: &[T], code: fn(T) -> &'static str) -> String {
    items.iter().map(|i| code(*i)).collect::<Vec<_>>().join(",")
}

/// A column of codes back as items (unknown codes are skipped).
pub fn split<T>(text: &str, from_code: fn(&str) -> Option<T>) -> Vec<T> {
    text.split(',').filter_map(from_code).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Consideration::ALL {
            assert_eq!(Consideration::from_code(c.code()), Some(*c));
        }
        let text = join(
            &[Consideration::NoPets, Consideration::OnlyChild],
            Consideration::code,
        );
        assert_eq!(text, "no_pets,only_child");
        assert_eq!(
            split(&text, Consideration::from_code),
            [Consideration::NoPets, Consideration::OnlyChild]
        );
        assert_eq!(split("", Consideration::from_code), []);
    }
}
