//! Password hashing (argon2id) and the password rules NCSC and ASVS ask for:
//! at least 12 characters, long passphrases welcome, no composition rules, no
//! expiry, and refusal of common passwords (including a common word with
//! digits or symbols stuck on the end), of words tied to this service or
//! the user, and of anything else a strength estimator (zxcvbn) expects to
//! fall within 10^10 guesses: repeats, keyboard rows, sequences, dates.

use std::collections::HashSet;
use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 256;

/// 19,600 common passwords, lower-cased (Royce Williams' list as shipped by
/// Django; see docs/attribution.md).
const COMMON: &str = include_str!("common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// Checks a new password; the message says what to do instead.
pub fn check_new(password: &str, email: &str, service_words: &[&str]) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!(
            "Your password must be at least {MIN_LENGTH} characters. Three random words make a strong one"
        ));
    }
    if length > MAX_LENGTH {
        return Err(format!(
            "Your password must be {MAX_LENGTH} characters or fewer"
        ));
    }
    let lower = password.to_lowercase();
    let core: &str = lower.trim_matches(|c: char| !c.is_alphabetic());
    let common = common_passwords();
    if common.contains(lower.as_str()) || core.is_empty() || common.contains(core) {
        return Err("This password is too common. Choose one that is harder to guess, such as three random words".into());
    }
    let local_part = email.split('@').next().unwrap_or("").to_lowercase();
    let mut banned: Vec<String> = service_words.iter().map(|w| w.to_lowercase()).collect();
    if local_part.chars().count() >= 4 {
        banned.push(local_part);
    }
    // Made of these words with digits and symbols around them, such as
    // "BCPcouncil2026": what is left is too little to count.
    let mut rest = lower.clone();
    for word in banned.iter().filter(|w| w.chars().count() >= 3) {
        rest = rest.replace(word.as_str(), "");
    }
    if rest.chars().filter(|c| c.is_alphabetic()).count() < 4 {
        return Err(
            "Your password must not be made from your email address or the names of this service and your council. Three random words make a strong password".into(),
        );
    }
    let mut hints: Vec<&str> = banned.iter().map(String::as_str).collect();
    hints.push(email);
    // zxcvbn's matching grows with length; a password's first 100 characters
    // are plenty to judge it (its authors' advice).
    let judged: String = password.chars().take(100).collect();
    let estimate = zxcvbn::zxcvbn(&judged, &hints);
    if estimate.score() < zxcvbn::Score::Three {
        let reason = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(reason_in_words)
            .unwrap_or("It follows a pattern that is easy to guess");
        return Err(format!(
            "Your password is too easy to guess. {reason}. Use three random words together, like a phrase nobody would guess"
        ));
    }
    Ok(())
}

/// zxcvbn's warning, as GOV.UK would say it.
fn reason_in_words(warning: zxcvbn::feedback::Warning) -> &'static str {
    use zxcvbn::feedback::Warning::*;
    match warning {
        StraightRowsOfKeysAreEasyToGuess | ShortKeyboardPatternsAreEasyToGuess => {
            "It uses keys that are next to each other"
        }
        RepeatsLikeAaaAreEasyToGuess | RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            "It repeats a letter or a pattern"
        }
        SequencesLikeAbcAreEasyToGuess => "It uses a sequence like abc or 1234",
        RecentYearsAreEasyToGuess | DatesAreOftenEasyToGuess => "It contains a year or a date",
        ThisIsATop10Password
        | ThisIsATop100Password
        | ThisIsACommonPassword
        | ThisIsSimilarToACommonlyUsedPassword => "It is like a commonly used password",
        AWordByItselfIsEasyToGuess
        | NamesAndSurnamesByThemselvesAreEasyToGuess
        | CommonNamesAndSurnamesAreEasyToGuess => "It is a single word or name",
    }
}

fn hasher(settings: &config::Auth) -> Result<Argon2<'static>, String> {
    let params = Params::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        1,
        None,
    )
    .map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes with the configured cost (argon2id, random salt, PHC string).
pub fn hash(password: &str, settings: &config::Auth) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher(settings)?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub async fn hash_blocking(password: String, settings: config::Auth) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password, &settings))
        .await
        .map_err(|e| e.to_string())?
}

static DUMMY_HASH: OnceLock<String> = OnceLock::new();

/// Prepares the hash that unknown emails are checked against, at the cost
/// real hashes have, so that both take the same time.
pub fn init(settings: &config::Auth) {
    let _ = DUMMY_HASH
        .get_or_init(|| hash("not a real password, only for timing", settings).unwrap_or_default());
}

/// Verifies off the async threads (argon2 is deliberately slow). With no
/// stored hash it verifies against the dummy hash and answers false.
pub async fn verify_blocking(password: String, stored: Option<String>) -> Result<bool, String> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored
            .or_else(|| DUMMY_HASH.get().cloned())
            .unwrap_or_default();
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return Ok(false);
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await
    .map_err(|e| e.to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<(), String> {
        check_new(p, "jo.bloggs@acme.example", &["sufficiency", "bournemouth"])
    }

    #[test]
    fn length_rules_without_composition_rules() {
        assert!(check("short one").is_err());
        assert!(
            check("correct horse battery").is_ok(),
            "plain words are fine"
        );
        assert!(
            check(&"a long passphrase ".repeat(10)).is_ok(),
            "over 64 characters is allowed"
        );
        assert!(check(&"x".repeat(MAX_LENGTH + 1)).is_err());
    }

    #[test]
    fn common_passwords_and_decorated_ones_are_refused() {
        assert!(check("qwerty123456").is_err());
        assert!(
            check("password1234!").is_err(),
            "common word with digits and symbols"
        );
        assert!(check("123456789012").is_err(), "no letters at all");
        assert!(check("Sufficiency2026!").is_err(), "service name");
        assert!(check("jo.bloggs2026").is_err(), "email local part");
    }

    #[test]
    fn guessable_passwords_are_refused_with_the_reason() {
        // From an outside test: each passed the length and common-list checks.
        for weak in [
            "aaaaaaaaaaaa",
            "qwertyuiopas",
            "passwordpassword",
            "abcabcabcabc",
            "BCPcouncil2026",
        ] {
            let refused = check_new(weak, "jo@acme.example", &["bcp", "council", "sufficiency"]);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|m| m.starts_with("Your password is too easy to guess")
                        || m.contains("too common")
                        || m.contains("must not be made from")),
                "{weak}: {refused:?}"
            );
        }
        assert_eq!(
            check("aaaaaaaaaaaaa"),
            Err("Your password is too easy to guess. It repeats a letter or a pattern. Use three random words together, like a phrase nobody would guess".into())
        );
        assert!(check("marmalade cactus lighthouse").is_ok());
    }

    #[test]
    fn hash_and_verify_round_trip() {
        let settings = config::Auth {
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            secure_cookies: false,
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            throttle_max_failures: 5,
            throttle_window_minutes: 15,
            throttle_max_block_minutes: 15,
            two_factor_roles: Vec::new(),
            two_factor_issuer: "Test".into(),
        };
        let h = hash("correct horse battery", &settings).unwrap();
        assert!(h.starts_with("$argon2id$"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(
            rt.block_on(verify_blocking(
                "correct horse battery".into(),
                Some(h.clone())
            ))
            .unwrap()
        );
        assert!(
            !rt.block_on(verify_blocking("wrong horse battery".into(), Some(h)))
                .unwrap()
        );
        assert!(
            !rt.block_on(verify_blocking("anything".into(), None))
                .unwrap()
        );
    }
}
