//! Source lines too long to print are shown as a window around what a diagnostic points at.
//!
//! A minified JSON file or a generated Nix line can be megabytes long; printing it whole under a
//! diagnostic buries the message. When a file has a line longer than [`MAX_LINE`] bytes, the
//! renderer sees a *view* of it instead: every such line is cut to a window (around the first
//! label that starts in it, else its beginning) between `…` marks, every other line is kept, and
//! label offsets are moved into the view. Line and column numbers are always those of the real
//! file, so `file:line:col` stays what an editor expects.

use codespan_reporting::files::{self, Error, Files, SimpleFile, SimpleFiles};
use std::collections::HashMap;
use std::ops::Range;

/// Lines up to this many bytes are shown whole.
pub const MAX_LINE: usize = 240;
/// Bytes of context shown before the labelled place of a long line.
const BEFORE: usize = 60;

/// One long line as the view shows it.
struct Cut {
    /// Where the line starts in the view and in the file.
    view_start: usize,
    file_start: usize,
    /// The part of the file's line that is shown, in file offsets.
    shown: Range<usize>,
    /// Bytes of `…` written before the shown part.
    marker: usize,
}

/// A file whose long lines are cut.
struct View {
    file: SimpleFile<String, String>,
    /// The original text, for column numbers.
    original_len: usize,
    cuts: Vec<Cut>,
}

impl View {
    /// Builds the view of `text`, or `None` when no line is too long.
    fn build(name: &str, text: &str, anchors: &[usize]) -> Option<View> {
        let mut lines = Vec::new();
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            lines.push(start..start + line.len());
            start += line.len();
        }
        if !lines.iter().any(|l| l.len() > MAX_LINE) {
            return None;
        }
        let mut out = String::new();
        let mut cuts = Vec::new();
        for line in lines {
            if line.len() <= MAX_LINE {
                out.push_str(&text[line]);
                continue;
            }
            let anchor = anchors
                .iter()
                .copied()
                .filter(|a| line.contains(a))
                .min()
                .unwrap_or(line.start);
            let newline = text[line.clone()].ends_with('\n');
            let content_end = line.end - usize::from(newline);
            let mut from = anchor.saturating_sub(BEFORE).max(line.start);
            let mut to = (from + MAX_LINE).min(content_end);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            while !text.is_char_boundary(to) {
                to -= 1;
            }
            let view_start = out.len();
            let marker = if from > line.start { "…" } else { "" };
            out.push_str(marker);
            out.push_str(&text[from..to]);
            if to < content_end {
                out.push('…');
            }
            if newline {
                out.push('\n');
            }
            cuts.push(Cut {
                view_start,
                file_start: line.start,
                shown: from..to,
                marker: marker.len(),
            });
        }
        Some(View {
            file: SimpleFile::new(name.to_string(), out),
            original_len: text.len(),
            cuts,
        })
    }

    /// Where the file offset `at` is in the view.
    fn to_view(&self, text: &str, at: usize) -> usize {
        let at = at.min(self.original_len);
        let mut shift: isize = 0;
        for cut in &self.cuts {
            let line_end = cut.file_start + line_len(text, cut.file_start);
            if at < cut.file_start {
                break;
            }
            if at < line_end {
                let inside = at.clamp(cut.shown.start, cut.shown.end);
                return cut.view_start + cut.marker + (inside - cut.shown.start);
            }
            let view_line_len = self.view_line_len(cut);
            shift += view_line_len as isize - (line_end - cut.file_start) as isize;
        }
        (at as isize + shift) as usize
    }

    fn view_line_len(&self, cut: &Cut) -> usize {
        line_len(self.file.source(), cut.view_start)
    }

    /// The cut of the view line starting at `view_start`, if that line was cut.
    fn cut_at(&self, view_start: usize) -> Option<&Cut> {
        self.cuts.iter().find(|c| c.view_start == view_start)
    }
}

/// Length of the line starting at `start`, its newline included.
fn line_len(text: &str, start: usize) -> usize {
    text[start..]
        .find('\n')
        .map(|i| i + 1)
        .unwrap_or(text.len() - start)
}

/// The files as the renderer sees them: views where lines are too long, else the files.
pub struct Windowed<'a> {
    base: &'a SimpleFiles<String, String>,
    views: HashMap<usize, View>,
}

impl<'a> Windowed<'a> {
    /// Views of the files that `labels` (file, offset) point into, where those have long lines.
    pub fn new(base: &'a SimpleFiles<String, String>, labels: &[(usize, usize)]) -> Windowed<'a> {
        let mut views = HashMap::new();
        let mut ids: Vec<usize> = labels.iter().map(|l| l.0).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let Ok(file) = base.get(id) else { continue };
            let anchors: Vec<usize> = labels.iter().filter(|l| l.0 == id).map(|l| l.1).collect();
            if let Some(view) = View::build(file.name(), file.source(), &anchors) {
                views.insert(id, view);
            }
        }
        Windowed { base, views }
    }

    /// Moves a label's range in file `id` into the view of that file.
    pub fn range(&self, id: usize, range: Range<usize>) -> Range<usize> {
        match (self.views.get(&id), self.base.get(id)) {
            (Some(view), Ok(file)) => {
                let start = view.to_view(file.source(), range.start);
                let end = view.to_view(file.source(), range.end).max(start);
                start..end
            }
            _ => range,
        }
    }
}

impl<'f> Files<'f> for Windowed<'_> {
    type FileId = usize;
    type Name = String;
    type Source = &'f str;

    fn name(&'f self, id: usize) -> Result<String, Error> {
        self.base.name(id)
    }

    fn source(&'f self, id: usize) -> Result<&'f str, Error> {
        match self.views.get(&id) {
            Some(view) => Ok(view.file.source().as_str()),
            None => self.base.source(id),
        }
    }

    fn line_index(&'f self, id: usize, byte_index: usize) -> Result<usize, Error> {
        match self.views.get(&id) {
            Some(view) => view.file.line_index((), byte_index),
            None => self.base.line_index(id, byte_index),
        }
    }

    fn line_range(&'f self, id: usize, line_index: usize) -> Result<Range<usize>, Error> {
        match self.views.get(&id) {
            Some(view) => view.file.line_range((), line_index),
            None => self.base.line_range(id, line_index),
        }
    }

    fn column_number(
        &'f self,
        id: usize,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, Error> {
        let Some(view) = self.views.get(&id) else {
            return self.base.column_number(id, line_index, byte_index);
        };
        let range = view.file.line_range((), line_index)?;
        let source = view.file.source();
        match view.cut_at(range.start) {
            // A column of a cut line counts the characters of the real line before it.
            Some(cut) => {
                let text = self.base.get(id)?.source();
                let in_view = byte_index.saturating_sub(range.start + cut.marker);
                let at = (cut.shown.start + in_view).min(cut.shown.end);
                let before = &text[cut.file_start..floor_boundary(text, at)];
                Ok(before.chars().count() + 1)
            }
            None => Ok(files::column_index(source, range, byte_index) + 1),
        }
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(text: &str) -> SimpleFiles<String, String> {
        let mut f = SimpleFiles::new();
        f.add("f.nix".to_string(), text.to_string());
        f
    }

    #[test]
    fn short_files_are_shown_as_they_are() {
        let base = files("a\nb\n");
        let w = Windowed::new(&base, &[(0, 2)]);
        assert_eq!(w.source(0).unwrap(), "a\nb\n");
        assert_eq!(w.range(0, 2..3), 2..3);
    }

    #[test]
    fn a_long_line_is_cut_around_the_label_with_real_columns() {
        let long = format!("{}X{}", "é".repeat(1000), "y".repeat(5000));
        let text = format!("first\n{long}\nlast\n");
        let x = text.find('X').unwrap();
        let base = files(&text);
        let w = Windowed::new(&base, &[(0, x)]);
        let view = w.source(0).unwrap();
        assert!(view.len() < 600, "{}", view.len());
        assert!(view.starts_with("first\n…") && view.ends_with("…\nlast\n"));
        let r = w.range(0, x..x + 1);
        assert_eq!(&view[r.clone()], "X");
        let line = w.line_index(0, r.start).unwrap();
        assert_eq!(line, 1);
        assert_eq!(w.column_number(0, line, r.start).unwrap(), 1001);
        let last = text.find("last").unwrap();
        let r = w.range(0, last..last + 4);
        assert_eq!(&view[r], "last");
    }
}
