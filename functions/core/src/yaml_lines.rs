//! Where a key or a list item stands in a YAML file (a form, a page's
//! front matter, `agora.yaml`), for errors that name the line.
//! serde_norway gives positions only for syntax errors, so the block
//! structure those files use is read here: top-level keys at
//! column 0, list items (`- `) at one indentation under their key, and
//! an item's keys aligned after its dash.

/// A YAML file's lines, to look positions up in.
pub struct Lines<'a> {
    lines: Vec<&'a str>,
}

/// One item of a block list: its first line (the `- `) and the lines up
/// to the next item or the end of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Item {
    /// 0-based index of the item's first line.
    start: usize,
    /// 0-based index one past its last line.
    end: usize,
    /// The column of the item's own keys (after `- `), once seen.
    column: Option<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            lines: text.lines().collect(),
        }
    }

    /// The 1-based line of the top-level `key:`.
    pub fn key(&self, key: &str) -> Option<usize> {
        self.key_index(key).map(|i| i + 1)
    }

    /// The 1-based line of `key:` in the `index`-th (0-based) item of the
    /// top-level list `list`; the item's first line when it has no such
    /// key, the list's key when the item cannot be found (a flow list).
    pub fn in_item(&self, list: &str, index: usize, key: &str) -> Option<usize> {
        match self.item(list, index) {
            Some(item) => Some(
                (item.start..item.end)
                    .find(|&i| item.column.is_some_and(|c| key_at(self.lines[i], c, key)))
                    .unwrap_or(item.start)
                    + 1,
            ),
            None => self.key(list),
        }
    }

    fn key_index(&self, key: &str) -> Option<usize> {
        self.lines.iter().position(|line| key_at(line, 0, key))
    }

    fn item(&self, list: &str, index: usize) -> Option<Item> {
        let after_key = self.key_index(list)? + 1;
        let mut items: Vec<Item> = Vec::new();
        let mut dash_column = None;
        for (i, line) in self.lines.iter().enumerate().skip(after_key) {
            let content = line.trim_start();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let column = line.len() - content.len();
            let is_item = content == "-" || content.starts_with("- ");
            let dash = *dash_column.get_or_insert(column);
            if column < dash || (column == dash && !is_item) {
                break;
            }
            if column == dash {
                if let Some(last) = items.last_mut() {
                    last.end = i;
                }
                let after_dash = &content[1..];
                // A bare `-` puts the item's keys on the lines below.
                items.push(Item {
                    start: i,
                    end: i + 1,
                    column: (!after_dash.is_empty())
                        .then(|| line.len() - after_dash.trim_start().len()),
                });
            } else if let Some(last) = items.last_mut() {
                last.end = i + 1;
                last.column.get_or_insert(column);
            }
        }
        items.get(index).copied()
    }
}

/// Whether `line` holds `key:` starting at `column` (after a `- ` when
/// the key opens a list item).
fn key_at(line: &str, column: usize, key: &str) -> bool {
    let (Some(before), Some(rest)) = (line.get(..column), line.get(column..)) else {
        return false;
    };
    matches!(before.trim(), "" | "-")
        && rest
            .strip_prefix(key)
            .is_some_and(|after| after.starts_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# fields: in a comment
title: Próba
fields:
  - name: email
    type: email
    messages:
      required: Wpisz.
  # a comment between items
  -   name: mail
      required: false
  -
    name: third
    pattern: x
consents:
- name: processing
  text: >-
    - name: inside a text
  version: \"1\"
- name: publication
";

    #[test]
    fn finds_top_level_keys_not_comments() {
        let lines = Lines::new(TEXT);
        assert_eq!(lines.key("fields"), Some(3));
        assert_eq!(lines.key("title"), Some(2));
        assert_eq!(lines.key("name"), None);
    }

    #[test]
    fn finds_items_and_their_own_keys() {
        let lines = Lines::new(TEXT);
        assert_eq!(lines.in_item("fields", 0, "type"), Some(5));
        assert_eq!(lines.in_item("fields", 0, "required"), Some(4));
        assert_eq!(lines.in_item("fields", 1, "name"), Some(9));
        assert_eq!(lines.in_item("fields", 1, "required"), Some(10));
        assert_eq!(lines.in_item("fields", 2, "pattern"), Some(13));
        assert_eq!(lines.in_item("consents", 0, "name"), Some(15));
        assert_eq!(lines.in_item("consents", 0, "version"), Some(18));
        assert_eq!(lines.in_item("consents", 1, "text"), Some(19));
        assert_eq!(lines.in_item("consents", 2, "name"), Some(14));
    }

    #[test]
    fn a_flow_list_falls_back_to_its_key() {
        let lines = Lines::new("fields: [{ name: a }]\n");
        assert_eq!(lines.in_item("fields", 0, "name"), Some(1));
    }
}
