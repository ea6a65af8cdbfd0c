//! Page numbers for long lists, as GOV.UK pagination links that keep the
//! list's filters and sort.

use serde::{Deserialize, Deserializer};
use url::form_urlencoded;

pub const DEFAULT_PER_PAGE: u64 = 50;

/// A page number from a request: 1 or more. Any run of digits is one, however
/// long (read as `MAX` past it), and a list shows its last page for a number
/// beyond it, so no number reaches a query's arithmetic unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageNumber(u64);

impl PageNumber {
    pub const FIRST: PageNumber = PageNumber(1);
    /// Far beyond any list here (a million pages of fifty).
    pub const MAX: u64 = 1_000_000;

    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self::FIRST);
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("'{text}' is not a page number"));
        }
        let number = text.parse::<u64>().unwrap_or(u64::MAX);
        Ok(PageNumber(number.clamp(1, Self::MAX)))
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// This page of a list of `total` items, `per_page` to a page: a page
    /// past the end is the last page.
    pub fn within(self, total: u64, per_page: u64) -> u64 {
        self.0.min(total.div_ceil(per_page.max(1)).max(1))
    }
}

impl Default for PageNumber {
    fn default() -> Self {
        Self::FIRST
    }
}

impl serde::Serialize for PageNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for PageNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PageNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone)]
pub struct Pagination {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    /// First and last item shown, 1-based ("Showing 51 to 100 of 230").
    pub from: u64,
    pub to: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub links: Vec<PageLink>,
    /// The navigation's accessible name, distinct when a page has two.
    pub label: &'static str,
}

#[derive(Debug, Clone)]
pub struct PageLink {
    pub number: u64,
    pub href: String,
    pub current: bool,
    /// An ellipsis stands in for skipped page numbers.
    pub ellipsis: bool,
}

impl Pagination {
    /// `query` is the list's other parameters (filters, sort) as pairs.
    pub fn new(
        path: &str,
        query: &[(String, String)],
        page: u64,
        per_page: u64,
        total: u64,
    ) -> Self {
        Self::with_parameter("page", "", path, query, page, per_page, total)
    }

    /// Pages of a second list on the same page: its page number goes in
    /// `parameter` and its links end in `fragment` (e.g. `#near-misses`),
    /// keeping every other parameter, the first list's page included.
    pub fn with_parameter(
        parameter: &str,
        fragment: &str,
        path: &str,
        query: &[(String, String)],
        page: u64,
        per_page: u64,
        total: u64,
    ) -> Self {
        let pages = total.div_ceil(per_page).max(1);
        let page = page.clamp(1, pages);
        let href = |n: u64| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in query
                .iter()
                .filter(|(k, v)| k != parameter && !v.is_empty())
            {
                s.append_pair(k, v);
            }
            if n > 1 {
                s.append_pair(parameter, &n.to_string());
            }
            let q = s.finish();
            if q.is_empty() {
                format!("{path}{fragment}")
            } else {
                format!("{path}?{q}{fragment}")
            }
        };
        let mut links = Vec::new();
        let mut last_shown = 0;
        // One page needs no navigation (the template shows none), so no
        // links are built: most lists, and most searches, fit on one.
        for n in (1..=pages).filter(|_| pages > 1) {
            // First, last, and two either side of the current page.
            let show = n == 1 || n == pages || n.abs_diff(page) <= 2;
            if show {
                if last_shown != 0 && n > last_shown + 1 {
                    links.push(PageLink {
                        number: 0,
                        href: String::new(),
                        current: false,
                        ellipsis: true,
                    });
                }
                links.push(PageLink {
                    number: n,
                    href: href(n),
                    current: n == page,
                    ellipsis: false,
                });
                last_shown = n;
            }
        }
        Pagination {
            page,
            pages,
            total,
            from: if total == 0 {
                0
            } else {
                (page - 1) * per_page + 1
            },
            to: (page * per_page).min(total),
            prev: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
            links,
            label: "Pagination",
        }
    }

    pub fn labelled(mut self, label: &'static str) -> Self {
        self.label = label;
        self
    }

    pub fn offset(page: u64, per_page: u64) -> u64 {
        page.saturating_sub(1) * per_page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_are_bounded_and_past_the_end_is_the_last_page() {
        let huge = PageNumber::parse("9223372036854775807").unwrap();
        assert_eq!(huge.get(), PageNumber::MAX);
        assert_eq!(
            PageNumber::parse("99999999999999999999999").unwrap().get(),
            PageNumber::MAX
        );
        assert_eq!(huge.within(230, 50), 5);
        assert_eq!(PageNumber::parse("0").unwrap(), PageNumber::FIRST);
        assert_eq!(PageNumber::parse("").unwrap(), PageNumber::FIRST);
        assert!(PageNumber::parse("-1").is_err());
        assert!(PageNumber::parse("2x").is_err());
        assert_eq!(PageNumber::parse("3").unwrap().within(0, 50), 1);
    }

    #[test]
    fn one_page_has_no_links() {
        let q = vec![("type".to_string(), "childrens_home".to_string())];
        let p = Pagination::new("/homes", &q, 1, 50, 7);
        assert_eq!((p.pages, p.from, p.to), (1, 1, 7));
        assert!(p.links.is_empty() && p.prev.is_none() && p.next.is_none());
    }

    #[test]
    fn keeps_filters_and_elides_far_pages() {
        let q = vec![
            ("type".to_string(), "childrens_home".to_string()),
            ("page".to_string(), "9".to_string()),
        ];
        let p = Pagination::new("/homes", &q, 10, 50, 1000);
        assert_eq!(p.pages, 20);
        assert_eq!(p.from, 451);
        assert_eq!(p.prev.as_deref(), Some("/homes?type=childrens_home&page=9"));
        let numbers: Vec<u64> = p.links.iter().map(|l| l.number).collect();
        assert_eq!(numbers, vec![1, 0, 8, 9, 10, 11, 12, 0, 20]);
        let near = Pagination::with_parameter("near", "#near-misses", "/search", &q, 2, 20, 45);
        assert_eq!(
            near.next.as_deref(),
            Some("/search?type=childrens_home&page=9&near=3#near-misses"),
            "the other list's page is kept"
        );
        assert_eq!(
            near.prev.as_deref(),
            Some("/search?type=childrens_home&page=9#near-misses")
        );
        let first = Pagination::new("/homes", &[], 1, 50, 0);
        assert_eq!((first.pages, first.from, first.to), (1, 0, 0));
        assert!(first.next.is_none());
    }
}
