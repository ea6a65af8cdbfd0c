//! A fixed list of GOV.UK checkboxes, each rendered once ticked and once
//! not, then copied whole into every page that shows it. The search form's
//! kinds of home and needs were about 300 of the search page's 900 template
//! writes (a third of its rendering) when written out on each request.

use askama::Template;

/// One checkbox item (`id` is `{name}-{code}`).
#[derive(Template)]
#[template(path = "macros/checkbox.html")]
struct Checkbox<'a> {
    name: &'a str,
    code: &'a str,
    label: &'a str,
    ticked: bool,
}

/// Each option's item as escaped HTML, unticked then ticked.
#[derive(Debug)]
pub struct Checkboxes {
    items: Vec<[String; 2]>,
}

impl Checkboxes {
    /// Items for the field `name`, from its options' codes and labels.
    pub fn new<'a>(name: &str, options: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let render = |code, label, ticked| {
            // Writing to a String fails only if a value's Display does;
            // &str's never does (and a unit test renders every list).
            Checkbox {
                name,
                code,
                label,
                ticked,
            }
            .render()
            .unwrap_or_default()
        };
        Checkboxes {
            items: options
                .into_iter()
                .map(|(code, label)| [render(code, label, false), render(code, label, true)])
                .collect(),
        }
    }

    /// The items in order, each ticked where `ticked` says (HTML, already
    /// escaped: shown with `|safe`).
    pub fn html<F: FnMut(usize) -> bool>(
        &self,
        mut ticked: F,
    ) -> impl Iterator<Item = &str> + use<'_, F> {
        self.items
            .iter()
            .enumerate()
            .map(move |(i, [unticked, checked])| {
                if ticked(i) { checked } else { unticked }.as_str()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Checkboxes;

    #[test]
    fn each_item_is_escaped_once_and_ticked_as_asked() {
        let boxes = Checkboxes::new("type", [("a", "Children's home"), ("b", "<Other>")]);
        let items: Vec<&str> = boxes.html(|i| i == 1).collect();
        assert_eq!(
            items,
            [
                r#"<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="type-a" name="type" type="checkbox" value="a"><label class="govuk-label govuk-checkboxes__label" for="type-a">Children&#39;s home</label></div>"#,
                r#"<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" id="type-b" name="type" type="checkbox" value="b" checked><label class="govuk-label govuk-checkboxes__label" for="type-b">&#60;Other&#62;</label></div>"#,
            ]
        );
    }
}
