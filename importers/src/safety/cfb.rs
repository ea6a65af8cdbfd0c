//! The compound file (MS-CFB) an XLS workbook lives in, checked before
//! calamine opens it.
//!
//! A compound file is a run of sectors; its sector table (the FAT) gives
//! each sector the next one of its stream, and calamine reads a stream by
//! following that chain until it ends, the directory's with no length limit
//! at all. A table in which a chain comes back to a sector already read
//! makes calamine append the same sectors again and again until memory runs
//! out: an abort, not a panic, so [`crate::sheet`] cannot turn it into the
//! file's error (fuzzing found a 528-byte file doing it). A header that lists
//! one sector of the table many times multiplies the file's size the same
//! way. This reads the header, the table and the directory as calamine 0.38
//! reads them and refuses both shapes, so that every chain calamine follows
//! ends within the file.

use std::borrow::Cow;

use crate::sheet::FileError;

const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// Sector ids from here up are markers, not sectors.
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// Ids of sectors of the table the header lists.
const HEADER_DIFAT: usize = 109;
/// A directory entry's size; calamine drops a shorter last piece.
const DIRECTORY_ENTRY: usize = 128;
/// Streams shorter than this live in the mini stream, where calamine reads
/// at most that many bytes of a chain, loop or not.
const MINI_STREAM_CUTOFF: u64 = 4096;

/// Refuses a compound file in which calamine would follow a chain of
/// sectors that does not end, or build a sector table larger than the file.
/// A header calamine does not accept passes: calamine refuses it before
/// reading any further.
pub(super) fn check(bytes: &[u8]) -> Result<(), FileError> {
    let Some(header) = Header::read(bytes) else {
        return Ok(());
    };
    // calamine's bound on sector ids: the file's length in sectors.
    let maxid = u32::try_from(bytes.len() / header.sector_size)
        .map_err(|_| damaged("it is larger than a compound file can be"))?;
    let mut sectors = Sectors {
        body: &bytes[header.sector_size..],
        size: header.sector_size,
        maxid,
        loaded: 0,
    };

    // The header lists the first 109 sectors of the table; a chain of DIFAT
    // sectors lists the rest, each ending with the next one's id.
    let mut difat = header.difat;
    let mut sector_id = header.difat_start;
    let mut difat_sectors = 0u64;
    while sector_id < RESERVED_SECTORS {
        difat_sectors += 1;
        if difat_sectors > u64::from(maxid) + 1 {
            return Err(damaged("its list of sector table sectors loops"));
        }
        difat.extend(words(&sectors.get(sector_id)?)?);
        sector_id = difat
            .pop()
            .ok_or_else(|| damaged("its list of sector table sectors is empty"))?;
    }

    // Each listed sector is read into the table, however often it is listed.
    // The header's 109 are allowed whatever they say; beyond them, no more
    // than the file has sectors, so that the table is no larger than the
    // file plus the header's share.
    let table_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    if table_sectors.len() as u64 > u64::from(maxid) + 1 + HEADER_DIFAT as u64 {
        return Err(damaged(
            "its sector table is listed as longer than the file",
        ));
    }
    let mut fat = Vec::new();
    for id in table_sectors {
        fat.extend(words(&sectors.get(id)?)?);
    }

    let mut chains = Chains {
        fat: &fat,
        maxid,
        state: vec![State::Unseen; maxid as usize + 1],
    };
    let directory = chains.read(&mut sectors, header.dir_start)?;
    let entries: Vec<Entry> = directory
        .chunks_exact(DIRECTORY_ENTRY)
        .map(|entry| Entry::read(entry, header.sector_size))
        .collect();
    let Some(root) = entries.first() else {
        return Ok(()); // calamine: "Empty Root directory".
    };
    if header.version != 3 && root.start == ENDOFCHAIN {
        return Ok(());
    }
    // The mini stream (the root entry's chain) and its table are read when
    // the header gives the table a length.
    if header.mini_fat_len > 0 {
        chains.check(root.start)?;
        chains.check(header.mini_fat_start)?;
    }
    // Any stream may be asked for by name; those not in the mini stream are
    // read through the sector table.
    for entry in &entries {
        if entry.len >= MINI_STREAM_CUTOFF {
            chains.check(entry.start)?;
        }
    }
    Ok(())
}

fn damaged(what: &str) -> FileError {
    FileError::new(format!(
        "The file could not be read as a spreadsheet: it is damaged ({what}). Save it again from your spreadsheet program and try again"
    ))
}

/// What calamine takes from the header.
struct Header {
    version: u16,
    sector_size: usize,
    dir_start: u32,
    mini_fat_start: u32,
    mini_fat_len: u32,
    difat_start: u32,
    /// The first [`HEADER_DIFAT`] ids of sectors of the table.
    difat: Vec<u32>,
}

impl Header {
    /// `None` when calamine refuses the header itself: too short, not a
    /// compound file, or a sector size it does not know. The header fills
    /// the first sector; with 4096-byte sectors, 3,584 bytes pad it.
    fn read(bytes: &[u8]) -> Option<Header> {
        let head = bytes.get(..512)?;
        if head[..8] != SIGNATURE {
            return None;
        }
        let u16_at = |at: usize| u16::from_le_bytes([head[at], head[at + 1]]);
        let u32_at = |at: usize| u32::from_le_bytes(head[at..at + 4].try_into().unwrap_or([0; 4]));
        let sector_size = match u16_at(30) {
            0x0009 => 512,
            0x000C => 4096,
            _ => return None,
        };
        if u16_at(32) != 0x0006 || bytes.len() < sector_size {
            return None;
        }
        Some(Header {
            version: u16_at(26),
            sector_size,
            dir_start: u32_at(48),
            mini_fat_start: u32_at(60),
            mini_fat_len: u32_at(64),
            difat_start: u32_at(68),
            difat: words(&head[76..512]).ok()?.collect(),
        })
    }
}

/// A directory entry: where its stream starts and how long it says it is.
struct Entry {
    start: u32,
    len: u64,
}

impl Entry {
    fn read(entry: &[u8], sector_size: usize) -> Entry {
        let mut len = [0u8; 8];
        // calamine reads 4 bytes of the length from files with 512-byte
        // sectors, 8 from those with 4096-byte ones.
        let width = if sector_size == 512 { 4 } else { 8 };
        len[..width].copy_from_slice(&entry[120..120 + width]);
        Entry {
            start: u32::from_le_bytes([entry[116], entry[117], entry[118], entry[119]]),
            len: u64::from_le_bytes(len),
        }
    }
}

/// Little-endian words; calamine asserts (panics) on a length that is not
/// a multiple of 4, which happens when a sector is cut short by the end of
/// the file.
fn words(bytes: &[u8]) -> Result<impl Iterator<Item = u32> + '_, FileError> {
    if !bytes.len().is_multiple_of(4) {
        return Err(damaged("a sector is cut short by the end of the file"));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
}

/// calamine's buffer of sectors: it reads the file in order into a buffer
/// that grows to hold the furthest sector asked for, zero-filled past the
/// end of the file. A sector that runs past the end is returned short the
/// first time and zero-padded after.
struct Sectors<'a> {
    /// The file after its header: sector 0 first.
    body: &'a [u8],
    size: usize,
    maxid: u32,
    /// The buffer's length.
    loaded: usize,
}

impl<'a> Sectors<'a> {
    fn get(&mut self, id: u32) -> Result<Cow<'a, [u8]>, FileError> {
        if id > self.maxid {
            return Err(damaged("a sector lies past the end of the file"));
        }
        let start = id as usize * self.size;
        let mut end = start + self.size;
        if end > self.loaded {
            // Read on from where the buffer ends, up to `end` or the file's end.
            let filled = self.loaded.max(end.min(self.body.len()));
            self.loaded = end;
            end = end.min(filled);
        }
        if start > end {
            // calamine slices backwards here and panics.
            return Err(damaged("a sector lies past the end of the file"));
        }
        Ok(if end <= self.body.len() {
            Cow::Borrowed(&self.body[start..end])
        } else {
            let mut padded = self.body.get(start..).unwrap_or_default().to_vec();
            padded.resize(end - start, 0);
            Cow::Owned(padded)
        })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Unseen,
    /// On the chain being followed.
    OnChain,
    /// The chain from here ends.
    Ends,
}

/// Follows chains through the sector table. Each sector is followed once
/// over all chains: one known to end is not followed again.
struct Chains<'a> {
    fat: &'a [u32],
    maxid: u32,
    state: Vec<State>,
}

impl Chains<'_> {
    /// The sector after `id`, unless the chain stops there: at its end, or
    /// where calamine stops with an error (a sector past the end of the
    /// file) or a panic (an id past the end of the table).
    fn next(&self, id: u32) -> Option<u32> {
        if id == ENDOFCHAIN || id > self.maxid {
            return None;
        }
        self.fat.get(id as usize).copied()
    }

    /// Refuses the chain from `start` if it comes back to a sector.
    fn check(&mut self, start: u32) -> Result<(), FileError> {
        self.follow(start, |_| Ok(()))
    }

    /// The chain's content as calamine reads it with no length limit.
    fn read(&mut self, sectors: &mut Sectors<'_>, start: u32) -> Result<Vec<u8>, FileError> {
        let mut content = Vec::new();
        self.follow(start, |id| {
            content.extend_from_slice(&sectors.get(id)?);
            Ok(())
        })?;
        Ok(content)
    }

    fn follow(
        &mut self,
        start: u32,
        mut each: impl FnMut(u32) -> Result<(), FileError>,
    ) -> Result<(), FileError> {
        let mut chain = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            let state = self.state.get(id as usize).copied();
            if state == Some(State::Ends) {
                break;
            }
            if state == Some(State::OnChain) {
                return Err(damaged("a chain of its sectors loops back on itself"));
            }
            each(id)?;
            let Some(next) = self.next(id) else {
                break;
            };
            self.state[id as usize] = State::OnChain;
            chain.push(id);
            id = next;
        }
        for id in chain {
            self.state[id as usize] = State::Ends;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FREESECT: u32 = 0xFFFF_FFFF;
    const FATSECT: u32 = 0xFFFF_FFFD;

    /// A compound file with 512-byte sectors: the sector table in sector 0,
    /// the directory in sector 1, then `data_sectors` sectors of zeros.
    /// `fat` gives the table's first entries; `entries` the directory's
    /// (name, start, length). The header lists the table once, or in all its
    /// 109 slots and then `listed_again` times more in a DIFAT sector at the
    /// end.
    struct Compound<'a> {
        fat: &'a [u32],
        entries: &'a [(&'a str, u32, u32)],
        data_sectors: usize,
        mini_fat: Option<u32>,
        listed_again: Option<usize>,
    }

    impl Compound<'_> {
        fn bytes(&self) -> Vec<u8> {
            let mut file = vec![0u8; 512];
            file[..8].copy_from_slice(&SIGNATURE);
            let mut put =
                |at: usize, value: u32| file[at..at + 4].copy_from_slice(&value.to_le_bytes());
            put(24, 0x0003_003E); // minor version, version 3
            put(28, 0x0009_FFFE); // byte order, sector shift 9
            put(32, 0x0006); // mini sector shift 6
            put(44, 1); // sectors in the table
            put(48, 1); // directory
            put(56, 4096); // mini stream cutoff
            put(60, self.mini_fat.unwrap_or(ENDOFCHAIN));
            put(64, u32::from(self.mini_fat.is_some()));
            let difat_sector = 2 + self.data_sectors as u32;
            put(68, self.listed_again.map_or(ENDOFCHAIN, |_| difat_sector));
            put(72, u32::from(self.listed_again.is_some()));
            for slot in 0..HEADER_DIFAT {
                let listed = slot == 0 || self.listed_again.is_some();
                put(76 + slot * 4, if listed { 0 } else { FREESECT });
            }
            let mut fat = vec![FREESECT; 128];
            fat[..self.fat.len()].copy_from_slice(self.fat);
            file.extend(fat.iter().flat_map(|id| id.to_le_bytes()));
            let mut directory = vec![0u8; 512];
            for (i, (name, start, len)) in self.entries.iter().enumerate() {
                let entry = &mut directory[i * 128..(i + 1) * 128];
                let name: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
                entry[..name.len()].copy_from_slice(&name);
                entry[64..66].copy_from_slice(&(name.len() as u16 + 2).to_le_bytes());
                entry[116..120].copy_from_slice(&start.to_le_bytes());
                entry[120..124].copy_from_slice(&len.to_le_bytes());
            }
            file.extend(directory);
            file.resize(file.len() + self.data_sectors * 512, 0);
            if let Some(times) = self.listed_again {
                let mut ids = vec![FREESECT; 128];
                ids[..times].fill(0);
                ids[127] = ENDOFCHAIN;
                file.extend(ids.iter().flat_map(|id| id.to_le_bytes()));
            }
            file
        }
    }

    /// Sector table: itself, the directory, then a Workbook stream of 8
    /// sectors (4096 bytes, past the mini stream) in sectors 2 to 9.
    const FAT: [u32; 10] = [FATSECT, ENDOFCHAIN, 3, 4, 5, 6, 7, 8, 9, ENDOFCHAIN];
    const ENTRIES: [(&str, u32, u32); 2] = [("Root Entry", ENDOFCHAIN, 0), ("Workbook", 2, 4096)];

    fn file(fat: &[u32], entries: &[(&str, u32, u32)]) -> Vec<u8> {
        Compound {
            fat,
            entries,
            data_sectors: 8,
            mini_fat: None,
            listed_again: None,
        }
        .bytes()
    }

    fn refusal(bytes: &[u8]) -> String {
        check(bytes).unwrap_err().message
    }

    #[test]
    fn a_well_formed_compound_file_passes() {
        check(&file(&FAT, &ENTRIES)).unwrap();
    }

    #[test]
    fn a_directory_chain_that_loops_is_refused() {
        // The directory's sector says it is followed by itself.
        let mut fat = FAT;
        fat[1] = 1;
        assert!(refusal(&file(&fat, &ENTRIES)).contains("loops back on itself"));
    }

    #[test]
    fn a_stream_chain_that_loops_is_refused() {
        let mut fat = FAT;
        fat[9] = 5;
        assert!(refusal(&file(&fat, &ENTRIES)).contains("loops back on itself"));
        // Two streams may end in the same sectors: no loop.
        let shared = [
            ("Root Entry", ENDOFCHAIN, 0),
            ("Workbook", 2, 4096),
            ("Book", 5, 4096),
        ];
        check(&file(&FAT, &shared)).unwrap();
        // A stream read from the mini stream reads at most 4096 bytes, loop or not.
        let small = [("Root Entry", ENDOFCHAIN, 0), ("Workbook", 2, 100)];
        check(&file(&fat, &small)).unwrap();
    }

    #[test]
    fn a_mini_stream_chain_that_loops_is_refused() {
        let mut fat = FAT;
        fat[9] = 2;
        let loops = Compound {
            fat: &fat,
            entries: &[("Root Entry", 2, 64)],
            data_sectors: 8,
            mini_fat: Some(2),
            listed_again: None,
        };
        assert!(refusal(&loops.bytes()).contains("loops back on itself"));
    }

    #[test]
    fn a_sector_table_listed_more_often_than_the_file_has_sectors_is_refused() {
        let listed = |times| Compound {
            fat: &FAT,
            entries: &ENTRIES,
            data_sectors: 8,
            mini_fat: None,
            listed_again: Some(times),
        };
        // 6,144 bytes: calamine takes sector ids up to 12, so 13 sectors
        // besides the header's 109.
        check(&listed(13).bytes()).unwrap();
        assert!(refusal(&listed(14).bytes()).contains("sector table is listed as longer"));
    }

    #[test]
    fn headers_calamine_refuses_itself_pass_to_it() {
        check(b"").unwrap();
        check(&[0xD0; 600]).unwrap();
        let mut bad_shift = file(&FAT, &ENTRIES);
        bad_shift[30] = 7;
        check(&bad_shift).unwrap();
    }

    #[test]
    fn a_sector_past_the_end_is_refused() {
        let mut fat = FAT;
        fat[1] = 400;
        assert!(refusal(&file(&fat, &ENTRIES)).contains("past the end of the file"));
    }

    #[test]
    fn real_workbooks_pass() {
        for path in [
            "../tests/fixtures/returns/valid.xls",
            "../tests/fixtures/ofsted/providers_bcp_area.xls",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            check(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}
