//! Cuts a sentence's PCM into pieces as it arrives, so its first sound can be sent before the
//! sentence is synthesised: a first piece once about 150 ms of audio is there, then pieces of
//! 0.5–1 s. Pure; every piece is whole samples, and together they are all the PCM received.

/// The first piece goes out once this much audio has arrived: enough for the widget to start
/// playing while the next piece is on its way, little enough not to wait.
pub const FIRST_PIECE_MS: u32 = 150;
/// Later pieces: at least this much audio (fewer, larger events)…
pub const PIECE_MS: u32 = 500;
/// …and at most this much, when a backend delivers a lot at once.
pub const MAX_PIECE_MS: u32 = 1000;

/// How a sentence's audio is handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piecing {
    /// One clip once it is complete (what `/api/chat` and older widgets get).
    Whole,
    /// Pieces as the audio arrives, sizes in bytes of PCM16.
    Pieces {
        first: usize,
        next: usize,
        max: usize,
    },
}

impl Piecing {
    /// Pieces of [`FIRST_PIECE_MS`], then [`PIECE_MS`]–[`MAX_PIECE_MS`], at `sample_rate`.
    pub fn pieces(sample_rate: u32) -> Self {
        let bytes = |ms: u32| (sample_rate as usize * ms as usize / 1000) * 2;
        Self::Pieces {
            first: bytes(FIRST_PIECE_MS).max(2),
            next: bytes(PIECE_MS).max(2),
            max: bytes(MAX_PIECE_MS).max(2),
        }
    }
}

/// Buffers PCM and cuts pieces from it. A cut always leaves at least one sample behind, so the
/// piece that [`Cutter::finish`] returns, the one marked last, is never empty.
#[derive(Debug)]
pub struct Cutter {
    piecing: Piecing,
    pending: Vec<u8>,
    cut: usize,
}

impl Cutter {
    pub fn new(piecing: Piecing) -> Self {
        Self {
            piecing,
            pending: Vec::new(),
            cut: 0,
        }
    }

    /// Adds PCM; returns the pieces it completed (never the last one).
    pub fn push(&mut self, pcm: &[u8]) -> Vec<Vec<u8>> {
        let Piecing::Pieces { first, next, max } = self.piecing else {
            return Vec::new();
        };
        self.pending.extend_from_slice(pcm);
        let mut out = Vec::new();
        loop {
            let want = if self.cut == 0 { first } else { next };
            if self.pending.len() < want + 2 {
                return out;
            }
            let take = (self.pending.len() - 2).min(max) & !1;
            out.push(self.pending.drain(..take).collect());
            self.cut += 1;
        }
    }

    /// The audio is complete: the rest is the last piece (`None` when not cutting pieces).
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        match self.piecing {
            Piecing::Whole => None,
            Piecing::Pieces { .. } => Some(std::mem::take(&mut self.pending)),
        }
    }

    /// The audio broke off: what had arrived still goes out, as a piece that is not the last.
    pub fn flush(&mut self) -> Option<Vec<u8>> {
        self.finish().filter(|rest| rest.len() >= 2)
    }

    /// Pieces handed out so far.
    pub fn count(&self) -> usize {
        self.cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_first_piece_comes_early_and_later_ones_are_larger() {
        let mut c = Cutter::new(Piecing::pieces(24_000));
        let chunk = vec![0u8; 4800]; // 100 ms
        assert!(c.push(&chunk).is_empty(), "100 ms is not enough yet");
        let first = c.push(&chunk);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].len(), 9598, "200 ms less one sample");
        let mut later = Vec::new();
        for _ in 0..20 {
            later.extend(c.push(&chunk));
        }
        assert!(
            later.iter().all(|p| (24_000..=48_000).contains(&p.len())),
            "{:?}",
            later.iter().map(Vec::len).collect::<Vec<_>>()
        );
        let last = c.finish().unwrap();
        assert!(!last.is_empty());
    }

    #[test]
    fn audio_arriving_at_once_is_cut_at_most_a_second_at_a_time() {
        let mut c = Cutter::new(Piecing::pieces(24_000));
        let pieces = c.push(&vec![0u8; 48_000 * 3]);
        assert_eq!(
            pieces.iter().map(Vec::len).collect::<Vec<_>>(),
            [48_000, 48_000, 47_998]
        );
        assert_eq!(
            c.finish().unwrap().len(),
            2,
            "one sample is kept for the last piece"
        );
    }

    #[test]
    fn whole_clips_are_not_cut() {
        let mut c = Cutter::new(Piecing::Whole);
        assert!(c.push(&[0u8; 100_000]).is_empty());
        assert_eq!(c.finish(), None);
        assert_eq!(c.flush(), None);
    }

    proptest! {
        #[test]
        fn pieces_are_whole_samples_and_lose_nothing(
            chunks in proptest::collection::vec(1usize..20_000, 1..40),
        ) {
            let mut c = Cutter::new(Piecing::pieces(24_000));
            let total: usize = chunks.iter().sum::<usize>() & !1;
            let mut pieces = Vec::new();
            for (i, n) in chunks.iter().enumerate() {
                pieces.extend(c.push(&vec![i as u8; *n]));
            }
            prop_assert!(pieces.iter().all(|p| p.len() % 2 == 0 && !p.is_empty()));
            let last = c.finish().unwrap();
            prop_assert!(!last.is_empty());
            let sent: usize = pieces.iter().map(Vec::len).sum::<usize>() + (last.len() & !1);
            prop_assert_eq!(sent, total);
        }
    }
}
