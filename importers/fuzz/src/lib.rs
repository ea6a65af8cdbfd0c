//! What the fuzz targets share: a mutator that edits the parts inside a
//! spreadsheet's zip, a guess at a file's format from its bytes, and a panic
//! hook that lets the importers catch calamine's panics.
//!
//! libFuzzer's byte mutations of deflated data almost never inflate to
//! anything, so on their own they would test the zip reader and little of
//! the XML inside. The mutator unzips, mutates one part's content (or, now
//! and then, its name) with libFuzzer's own mutations, and zips again.

use std::io::{Cursor, Read, Write};

use importers::Format;

/// A zip's parts: name and content.
type Parts = Vec<(String, Vec<u8>)>;

/// Reading more than this from one input's parts gives up (zip bombs).
const MAX_UNZIPPED: u64 = 4 * 1024 * 1024;

/// For `fuzz_mutator!`: mutates a zip part by part; other input (or an
/// unlucky draw) byte by byte.
pub fn mutate(data: &mut [u8], size: usize, max_size: usize, seed: u32) -> usize {
    let mut rng = Rng(u64::from(seed) | 1);
    if rng.below(8) != 0
        && let Some(mut parts) = unzip(&data[..size])
        && !parts.is_empty()
    {
        let index = rng.below(parts.len());
        let (name, content) = &mut parts[index];
        if rng.below(16) == 0 {
            let mut bytes = std::mem::take(name).into_bytes();
            mutate_bytes(&mut bytes);
            *name = String::from_utf8_lossy(&bytes).into_owned();
        } else {
            mutate_bytes(content);
        }
        if let Some(zipped) = zip(&parts).filter(|z| z.len() <= max_size) {
            data[..zipped.len()].copy_from_slice(&zipped);
            return zipped.len();
        }
    }
    libfuzzer_sys::fuzzer_mutate(data, size, max_size)
}

/// libFuzzer's mutations, on a buffer with room to grow.
fn mutate_bytes(bytes: &mut Vec<u8>) {
    let size = bytes.len();
    bytes.resize(size * 2 + 64, 0);
    let max_size = bytes.len();
    let new_size = libfuzzer_sys::fuzzer_mutate(bytes, size, max_size);
    bytes.truncate(new_size);
}

fn unzip(data: &[u8]) -> Option<Parts> {
    let mut archive = zip::ZipArchive::new(Cursor::new(data)).ok()?;
    let mut parts = Vec::with_capacity(archive.len());
    let mut budget = MAX_UNZIPPED;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).ok()?;
        let name = entry.name().ok()?.into_owned();
        let mut content = Vec::new();
        entry.take(budget).read_to_end(&mut content).ok()?;
        budget = budget.checked_sub(content.len() as u64)?;
        parts.push((name, content));
    }
    Some(parts)
}

fn zip(parts: &Parts) -> Option<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for (name, content) in parts {
        zip.start_file(name.as_str(), options).ok()?;
        zip.write_all(content).ok()?;
    }
    Some(zip.finish().ok()?.into_inner())
}

/// xorshift64: enough to choose what to mutate.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The format an upload with these bytes would be read as, given the file
/// name a person would give it (the application takes the format from the
/// name, then checks the bytes match).
pub fn format_of(data: &[u8]) -> Format {
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if data.starts_with(b"PK\x03\x04") {
        // ODS stores its mimetype first, uncompressed.
        let head = &data[..data.len().min(128)];
        if head.windows(12).any(|w| w == b"opendocument") {
            Format::Ods
        } else {
            Format::Xlsx
        }
    } else if data.starts_with(OLE) {
        Format::Xls
    } else {
        Format::Csv
    }
}

/// libfuzzer-sys's panic hook aborts on every panic, even one the importers
/// catch (`sheet::read` turns calamine's panics into file errors). This hook
/// only prints; a panic that escapes the importers still aborts, in
/// libfuzzer-sys's wrapper, and is reported as a crash.
pub fn abort_only_on_uncaught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|info| eprintln!("{info}"))));
}
