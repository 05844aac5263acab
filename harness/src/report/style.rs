//! Colour, on or off: ANSI styling that disappears entirely when not wanted.

use crate::model::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    #[cfg(test)]
    pub const PLAIN: Style = Style { color: false };

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn red(self, t: &str) -> String {
        self.paint("1;31", t)
    }
    pub fn green(self, t: &str) -> String {
        self.paint("32", t)
    }
    pub fn yellow(self, t: &str) -> String {
        self.paint("33", t)
    }
    pub fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
    pub fn dim(self, t: &str) -> String {
        self.paint("2", t)
    }

    /// `text` coloured by what `outcome` means.
    pub fn outcome(self, outcome: Outcome, text: &str) -> String {
        match outcome {
            Outcome::Passed => self.green(text),
            Outcome::Failed | Outcome::Crashed | Outcome::TimedOut => self.red(text),
            Outcome::Ignored | Outcome::NotRun => self.yellow(text),
        }
    }
}

/// `text` padded to `width` columns, ignoring ANSI sequences when measuring.
pub fn pad(text: &str, width: usize) -> String {
    let visible = visible_len(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(visible)))
}

/// `text` right-aligned in `width` columns.
pub fn pad_left(text: &str, width: usize) -> String {
    let visible = visible_len(text);
    format!("{}{text}", " ".repeat(width.saturating_sub(visible)))
}

fn visible_len(text: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_ignores_colour() {
        let s = Style { color: true };
        assert_eq!(pad(&s.red("ab"), 4), "\x1b[1;31mab\x1b[0m  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(Style::PLAIN.red("x"), "x");
    }
}
