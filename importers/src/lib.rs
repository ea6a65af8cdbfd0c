//! Pure parsers for the files Sufficiency reads: bytes in, typed rows and
//! row-level errors out. No database, no web, no panics on any input.
//!
//! - [`vocab`]: the domain's vocabulary as types (URN, postcode, ratings...).
//! - [`sheet`]: CSV and spreadsheet files into rows of cells.
//! - [`safety`]: checks that run before a spreadsheet is parsed.
//! - [`ofsted`]: Ofsted's published provider-level files.
//! - [`ods`]: ODS cells some generators leave untyped, typed as LibreOffice reads them.

pub mod ods;
pub mod ofsted;
pub mod postcodes;
pub mod returns;
pub mod safety;
pub mod sheet;
pub mod vocab;

mod columns;

use serde::{Deserialize, Serialize};

pub use safety::Limits;
pub use sheet::{FileError, Format};

/// A problem with one row: where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// Row number as shown by a spreadsheet program (1-based).
    pub row: usize,
    /// Column heading, when the problem is in one cell.
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(column) => write!(f, "Row {}, {}: {}", self.row, column, self.message),
            None => write!(f, "Row {}: {}", self.row, self.message),
        }
    }
}
