//! Bounded output: the head and the tail of whatever a process writes, and how much was cut
//! between them, so no line and no stream is ever held whole in memory.

use std::io::{self, BufRead, Read};

/// The bytes kept of a line of output: at most this much of its start and of its end.
pub const LINE_HEAD: usize = 64 * 1024;
pub const LINE_TAIL: usize = 64 * 1024;

/// Text of unbounded length kept as its first `head` and last `tail` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    head: Vec<u8>,
    tail: Vec<u8>,
    head_cap: usize,
    tail_cap: usize,
    /// Bytes dropped from the front of `tail` so far.
    cut: u64,
}

impl Clip {
    pub fn new(head_cap: usize, tail_cap: usize) -> Clip {
        Clip {
            head: Vec::new(),
            tail: Vec::new(),
            head_cap,
            tail_cap,
            cut: 0,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        let room = self.head_cap - self.head.len();
        if room > 0 && self.tail.is_empty() {
            let n = room.min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.len() >= self.tail_cap {
            // The new bytes alone fill the tail: drop the old tail and their own front.
            let drop = bytes.len() - self.tail_cap;
            self.cut += (self.tail.len() + drop) as u64;
            self.tail.clear();
            self.tail.extend_from_slice(&bytes[drop..]);
            return;
        }
        self.tail.extend_from_slice(bytes);
        // Compact only when twice the cap is reached, so pushes stay cheap on average.
        if self.tail.len() > 2 * self.tail_cap.max(1) {
            let drop = self.tail.len() - self.tail_cap;
            self.tail.drain(..drop);
            self.cut += drop as u64;
        }
    }

    /// Records `bytes` bytes that went by without being seen (cut earlier): what is pushed
    /// later goes after the one cut, and whatever the tail held counts as cut too.
    pub fn push_gap(&mut self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        self.head_cap = self.head.len();
        self.cut += self.tail.len() as u64 + bytes;
        self.tail.clear();
    }

    pub fn push_str(&mut self, s: &str) {
        self.push(s.as_bytes());
    }

    /// How many bytes were pushed in all.
    pub fn len(&self) -> u64 {
        (self.head.len() + self.tail.len()) as u64 + self.cut
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kept text, split where bytes were cut (lossily decoded; a character split by the
    /// cut is counted as cut), and how many bytes were cut between them.
    pub fn parts(&self) -> (String, String, u64) {
        let mut cut = self.cut;
        let tail = if self.tail.len() > self.tail_cap {
            let drop = self.tail.len() - self.tail_cap;
            cut += drop as u64;
            &self.tail[drop..]
        } else {
            &self.tail[..]
        };
        if cut == 0 {
            let mut all = self.head.clone();
            all.extend_from_slice(tail);
            return (String::from_utf8_lossy(&all).into_owned(), String::new(), 0);
        }
        let head_end = utf8_end(&self.head);
        let tail_start = utf8_start(tail);
        cut += (self.head.len() - head_end + tail_start) as u64;
        (
            String::from_utf8_lossy(&self.head[..head_end]).into_owned(),
            String::from_utf8_lossy(&tail[tail_start..]).into_owned(),
            cut,
        )
    }

    /// The kept text, with a marker where bytes were cut.
    pub fn finish(&self) -> String {
        let (head, tail, cut) = self.parts();
        join(&head, &tail, cut)
    }
}

/// `head` and `tail` with a marker between them where `bytes` bytes were cut (none when
/// nothing was).
pub fn join(head: &str, tail: &str, bytes: u64) -> String {
    if bytes == 0 {
        format!("{head}{tail}")
    } else {
        format!("{head}\n[... {bytes} bytes cut ...]\n{tail}")
    }
}

/// Where the last complete UTF-8 character of `b` ends (`b.len()` unless it ends in the
/// middle of one).
fn utf8_end(b: &[u8]) -> usize {
    for back in 1..=3.min(b.len()) {
        let byte = b[b.len() - back];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let width = match byte {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if width > back {
            b.len() - back
        } else {
            b.len()
        };
    }
    b.len()
}

/// Where the first character of `b` starts, skipping at most three continuation bytes left
/// of a character the cut split.
fn utf8_start(b: &[u8]) -> usize {
    b.iter().take(3).take_while(|&&x| x & 0xC0 == 0x80).count()
}

/// Reads `reader` to its end, keeping at most `head` + `tail` bytes of it (for a stream
/// whose lines do not matter, such as a compiler's stderr).
pub fn read_to_end(reader: &mut impl Read, head: usize, tail: usize) -> Clip {
    let mut clip = Clip::new(head, tail);
    let mut buf = vec![0; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => clip.push(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    clip
}

/// Reads one line (up to `\n`, which is not kept, nor a `\r` before it), keeping at most
/// `head` + `tail` bytes of it however long it is. `None` at the end of the stream.
pub fn read_line(reader: &mut impl BufRead, head: usize, tail: usize) -> io::Result<Option<Clip>> {
    let mut clip = Clip::new(head, tail);
    let mut any = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        any = true;
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                clip.push(&buf[..i]);
                reader.consume(i + 1);
                trim_cr(&mut clip);
                return Ok(Some(clip));
            }
            None => {
                let n = buf.len();
                clip.push(buf);
                reader.consume(n);
            }
        }
    }
    trim_cr(&mut clip);
    Ok(any.then_some(clip))
}

fn trim_cr(clip: &mut Clip) {
    let kept = if clip.tail.is_empty() {
        &mut clip.head
    } else {
        &mut clip.tail
    };
    while kept.last() == Some(&b'\r') {
        kept.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        let mut c = Clip::new(4, 4);
        c.push_str("abc");
        c.push_str("defgh");
        assert_eq!(c.finish(), "abcdefgh");
        assert_eq!(c.parts().2, 0);
    }

    #[test]
    fn long_text_keeps_head_and_tail_and_counts_the_cut() {
        let mut c = Clip::new(3, 4);
        for chunk in ["abcdef", "ghij", "k", "lmnopq"] {
            c.push_str(chunk);
        }
        assert_eq!(c.len(), 17);
        assert_eq!(c.parts(), ("abc".to_string(), "nopq".to_string(), 10));
        assert_eq!(c.finish(), "abc\n[... 10 bytes cut ...]\nnopq");
    }

    #[test]
    fn a_gap_is_one_cut_after_the_head() {
        let mut c = Clip::new(4, 4);
        c.push_str("abcdef");
        c.push_gap(1000);
        c.push_str("xy");
        assert_eq!(c.parts(), ("abcd".into(), "xy".into(), 1002));
        assert_eq!(c.len(), 1008);
        let mut short = Clip::new(8, 8);
        short.push_str("ab");
        short.push_gap(10);
        short.push_str("cd");
        assert_eq!(short.finish(), "ab\n[... 10 bytes cut ...]\ncd");
    }

    #[test]
    fn characters_split_by_the_cut_are_counted_as_cut() {
        let mut c = Clip::new(2, 2);
        c.push_str("aé"); // 'a', 0xC3 | 0xA9 ...
        c.push_str("xxxxéy");
        let (head, tail, cut) = c.parts();
        assert_eq!((head.as_str(), tail.as_str()), ("a", "y"));
        assert_eq!(cut, 8);
        assert_eq!(c.len(), 10);
    }

    #[test]
    fn lines_of_any_length_are_read_capped() {
        let big = "x".repeat(1_000_000);
        let input = format!("one\r\n{big}end\nlast");
        let mut r = io::BufReader::with_capacity(1000, input.as_bytes());
        let one = read_line(&mut r, 8, 8).unwrap().unwrap();
        assert_eq!(one.finish(), "one");
        let long = read_line(&mut r, 8, 8).unwrap().unwrap();
        assert_eq!(
            long.parts(),
            ("x".repeat(8), "xxxxxend".into(), 1_000_003 - 16)
        );
        assert_eq!(read_line(&mut r, 8, 8).unwrap().unwrap().finish(), "last");
        assert_eq!(read_line(&mut r, 8, 8).unwrap(), None);
    }

    proptest::proptest! {
        /// Whatever is pushed in whatever pieces: head and tail are the text's own ends and
        /// the cut count makes up the rest.
        #[test]
        fn clip_keeps_the_ends(
            text in proptest::collection::vec(0u8..=255, 0..300),
            splits in proptest::collection::vec(0usize..300, 0..6),
            head in 0usize..40, tail in 1usize..40,
        ) {
            let mut c = Clip::new(head, tail);
            let mut at = 0;
            let mut cuts: Vec<usize> = splits.into_iter().map(|s| s.min(text.len())).collect();
            cuts.sort_unstable();
            for s in cuts.into_iter().chain([text.len()]) {
                c.push(&text[at..s]);
                at = s;
            }
            proptest::prop_assert_eq!(c.len(), text.len() as u64);
            let (h, t, cut) = c.parts();
            if cut == 0 {
                proptest::prop_assert_eq!(h, String::from_utf8_lossy(&text).into_owned());
            } else {
                proptest::prop_assert!(h.len() <= head * 3 && t.len() <= tail * 3);
                let h_bytes = String::from_utf8_lossy(&text[..head.min(text.len())]);
                let kept = h.trim_end_matches(char::REPLACEMENT_CHARACTER);
                proptest::prop_assert!(h_bytes.starts_with(kept), "{:?} {:?}", h_bytes, kept);
            }
        }
    }
}
