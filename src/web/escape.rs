//! HTML escaping for every template (`askama.toml` names it). askama's own
//! escaper tests one byte at a time; this one tests eight at once and copies
//! the runs between special characters whole. Its output is askama's, byte
//! for byte (tested against it below).

use std::fmt;

#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        let bytes = text.as_bytes();
        let mut copied = 0;
        while let Some(at) = next_special(bytes, copied) {
            if at > copied {
                dest.write_str(&text[copied..at])?;
            }
            dest.write_str(entity(bytes[at]))?;
            copied = at + 1;
        }
        if copied < bytes.len() {
            dest.write_str(&text[copied..])?;
        }
        Ok(())
    }

    fn write_escaped_char<W: fmt::Write>(&self, mut dest: W, c: char) -> fmt::Result {
        match u8::try_from(c) {
            Ok(byte) if is_special(byte) => dest.write_str(entity(byte)),
            _ => dest.write_char(c),
        }
    }
}

/// The same entities as askama's escaper.
fn entity(byte: u8) -> &'static str {
    match byte {
        b'"' => "&#34;",
        b'&' => "&#38;",
        b'\'' => "&#39;",
        b'<' => "&#60;",
        _ => "&#62;",
    }
}

fn is_special(byte: u8) -> bool {
    matches!(byte, b'"' | b'&' | b'\'' | b'<' | b'>')
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that equals `byte`. A byte above a
/// match may be marked falsely (the subtraction's borrow), never one below,
/// so the lowest mark is always a true match.
fn equal_bytes(word: u64, byte: u8) -> u64 {
    let zeroed = word ^ (ONES * u64::from(byte));
    zeroed.wrapping_sub(ONES) & !zeroed & HIGH_BITS
}

/// Where the first special character at or after `from` is.
fn next_special(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let (words, tail) = rest.as_chunks::<8>();
    for (n, word) in words.iter().enumerate() {
        let word = u64::from_le_bytes(*word);
        let marks = equal_bytes(word, b'"')
            | equal_bytes(word, b'&')
            | equal_bytes(word, b'\'')
            | equal_bytes(word, b'<')
            | equal_bytes(word, b'>');
        if marks != 0 {
            return Some(from + n * 8 + (marks.trailing_zeros() / 8) as usize);
        }
    }
    let scanned = from + words.len() * 8;
    tail.iter()
        .position(|&b| is_special(b))
        .map(|at| scanned + at)
}

#[cfg(test)]
mod tests {
    use askama::filters::Escaper;

    use super::*;

    fn ours(text: &str) -> String {
        let mut out = String::new();
        Html.write_escaped_str(&mut out, text).unwrap();
        out
    }

    fn askamas(text: &str) -> String {
        let mut out = String::new();
        askama::filters::Html
            .write_escaped_str(&mut out, text)
            .unwrap();
        out
    }

    #[test]
    fn escapes_the_five_characters_as_askama_does() {
        assert_eq!(
            ours(r#"Tom & Jerry's <b>"home"</b>"#),
            "Tom &#38; Jerry&#39;s &#60;b&#62;&#34;home&#34;&#60;/b&#62;"
        );
        assert_eq!(ours(""), "");
        assert_eq!(
            ours("Children’s home, Bournemouth"),
            "Children’s home, Bournemouth"
        );
    }

    #[test]
    fn every_position_in_a_word_and_every_mix_matches_askama() {
        // Each special character (and harmless neighbours, multi-byte ones
        // included) at every offset of strings up to three words long.
        let alphabet = [
            "a", "\"", "&", "'", "<", ">", "é", " ", "=", "?", "\u{7f}", "£",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let length = (seed % 25) as usize;
            let mut pick = seed;
            for _ in 0..length {
                pick = pick.rotate_left(5).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                text.push_str(alphabet[(pick >> 59) as usize % alphabet.len()]);
            }
            assert_eq!(ours(&text), askamas(&text), "{text:?}");
        }
        for c in ['"', '&', '\'', '<', '>', 'a', 'é', '£'] {
            let (mut mine, mut theirs) = (String::new(), String::new());
            Html.write_escaped_char(&mut mine, c).unwrap();
            askama::filters::Html
                .write_escaped_char(&mut theirs, c)
                .unwrap();
            assert_eq!(mine, theirs);
        }
    }

    #[test]
    fn a_match_after_a_false_mark_is_still_found_first() {
        // '&' (0x26) then '\'' (0x27): the subtraction's borrow from the
        // first can mark the second falsely; both are real here.
        assert_eq!(ours("abcdef&'"), "abcdef&#38;&#39;");
        assert_eq!(ours("abcdefgh<"), "abcdefgh&#60;");
    }
}
